"""The facts schema (hotline_kg.schema): one definition, used by the extractor and the build, and
published as CSV on the Web metadata that the committed facts tables validate against (csvw)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import csvw
import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from conftest import FACTS, ROOT, SITE
from csvw_check import change_cell, csvw_problems
from hotline_kg import schema
from hotline_kg.extract import facts as extract_facts
from hotline_kg.rdf import observations, reference
from hotline_kg.rdf.observations import kebab

METADATA = FACTS / schema.METADATA_FILE


# --- the committed metadata and tables -------------------------------------------------------------


def test_metadata_file_is_the_one_the_schema_generates():
    expected = schema.csvw_text(schema.facts_tables(FACTS))
    assert METADATA.read_text(encoding="utf-8") == expected, (
        "data/facts/facts.csv-metadata.json is out of date: run `python -m hotline_kg.schema data/facts`"
    )


def test_metadata_lists_every_facts_table():
    group = csvw.TableGroup.from_file(METADATA)
    assert sorted(str(t.url) for t in group.tables) == sorted(p.name for p in FACTS.glob("*.csv"))
    for table in group.tables:
        assert [c.name for c in table.tableSchema.columns] == list(schema.COLUMN_NAMES)
        assert all(c.common_props.get("dc:description") for c in table.tableSchema.columns)


def test_committed_facts_tables_validate():
    assert csvw_problems(METADATA) == []


def test_committed_tables_read_with_their_datatypes():
    group = csvw.TableGroup.from_file(METADATA)
    for table in group.tables:
        rows = list(table.iterdicts(strict=True))
        assert rows
        assert {type(r["year"]) for r in rows} == {int}
        assert all(isinstance(r["source_line"], int) and r["source_line"] >= 1 for r in rows)
        assert {r["source_page"] for r in rows} == {None}  # the committed texts carry no page breaks
        assert {r["relative_to"] for r in rows} >= {None}


# --- a bad value in a copy of a table fails ----------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of data/facts with its metadata."""
    folder = tmp_path / "facts"
    shutil.copytree(FACTS, folder)
    return folder


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("unit", "万个"),
        ("source_line", "12a"),
        ("source_line", "0"),
        ("source_line", ""),
        ("source_page", "x"),
        ("source_page", "0"),
        ("source_page", "1.5"),
        ("year", "二〇二四"),
        ("measure", "calls"),
        ("subject_kind", "hotlines"),
        ("value", "445.2x"),
        ("value", "-1"),
        ("value", "九十"),
        ("period", "2024-13"),
        ("subject", ""),
        ("quote", ""),
        ("qualifier", " 上升"),
    ],
)
def test_a_bad_cell_fails(copy, column, value):
    change_cell(copy / "2024.csv", 3, column, value)
    problems = csvw_problems(copy / schema.METADATA_FILE)
    position = f"2024.csv:4:{schema.COLUMN_NAMES.index(column) + 1} {column}:"
    assert any(position in p for p in problems), problems


def test_a_page_number_is_valid(copy):
    change_cell(copy / "2024.csv", 3, "source_page", "12")
    assert csvw_problems(copy / schema.METADATA_FILE) == []


def test_columns_out_of_order_fail(copy):
    table = copy / "2024.csv"
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i, j = rows[0].index("source_line"), rows[0].index("source_page")
    for row in rows:
        row[i], row[j] = row[j], row[i]
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    assert csvw_problems(copy / schema.METADATA_FILE)


def test_a_missing_column_fails(copy):
    table = copy / "2024.csv"
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("quote")
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([row[:i] + row[i + 1 :] for row in rows])
    assert csvw_problems(copy / schema.METADATA_FILE)


# --- a new report's table --------------------------------------------------------------------------


def fact(**changes) -> extract_facts.Fact:
    values = dict(
        year=2031,
        section="overview",
        subject="12345热线",
        subject_kind="hotline",
        measure="requests",
        value="2419.5",
        unit="万件",
        period="2031",
        period_source="report",
        source_line=21,
        quote="12345热线共受理群众反映2419.5万件。",
    )
    return extract_facts.Fact(**{**values, **changes})


def test_the_extractors_table_of_a_new_year_validates(tmp_path):
    facts = [
        fact(),
        fact(measure="yoy_change", value="12.9", unit="%", qualifier="上升", source_page=3, order=(2,)),
        fact(measure="growth_multiple", value="翻倍", unit="倍", qualifier="同比", source_page=4, order=(3,)),
    ]
    text = extract_facts.to_csv(facts)
    assert text.splitlines()[0] == ",".join(schema.COLUMN_NAMES)
    assert text.splitlines()[1].startswith("2031,overview,12345热线,hotline,requests,2419.5,万件,2031,report,,,21,,")
    assert ",上升,21,3," in text
    (tmp_path / "2031.csv").write_text(text, encoding="utf-8")
    path = schema.write_csvw_metadata(tmp_path)
    assert path == tmp_path / schema.METADATA_FILE
    assert csvw_problems(path) == []


def test_csvw_metadata_names_only_facts_tables():
    with pytest.raises(ValueError, match="not a facts table name"):
        schema.csvw_metadata(["facts.csv"])


# --- one definition ----------------------------------------------------------------------------------


def test_the_extractor_and_the_build_use_the_schema():
    assert extract_facts.COLUMNS == schema.COLUMN_NAMES
    assert extract_facts.MEASURES is schema.MEASURES
    assert observations.UNITS is schema.UNITS and observations.Unit is schema.Unit
    assert observations.WORDS is schema.WORDS and observations.GROWTH is schema.GROWTH
    assert set(reference.SIMPLE_KINDS) < set(schema.SUBJECT_KINDS)
    assert fact().row()["source_page"] == "" and fact(source_page=5).row()["source_page"] == "5"


def test_measures_kinds_and_units_are_ontology_terms():
    ontology = Graph().parse(ROOT / "ontology" / "hotline.ttl", publicID=SITE.base)
    hl = SITE.hl
    measures = set(ontology.subjects(RDF.type, hl.Measure))
    terms = {m.term for m in schema.MEASURES.values()} | set(schema.GROWTH.values())
    assert {SITE.id(f"measure/{kebab(t)}") for t in terms} == measures
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    assert {hl[k.code_class] for k in schema.SUBJECT_KINDS.values()} <= classes
    assert len({u.slug for u in schema.UNITS.values()}) == len(schema.UNITS)
    assert (hl.sourcePage, RDF.type, OWL.DatatypeProperty) in ontology
