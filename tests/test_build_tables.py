"""The tidy downloads of dist/ (hotline_kg.rdf.tables): the observations as CSV with CSV on the Web
metadata, and as a workbook — rows that agree with the graph, IRIs that CSVW makes the same as the
graph's, csvw validation, bytes that do not change between builds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import csvw
import pytest
from rdflib import Literal, URIRef

from conftest import SITE
from csvw_check import change_cell, csvw_problems
from hotline_kg.rdf import tables
from hotline_kg.rdf.observations import period_path
from hotline_kg.rdf.vocab import HL, QB, RDF, SDMX_ATTRIBUTE, SDMX_MEASURE, SKOS, Site

BUILD_DATE = dt.date(2026, 11, 22)  # the date the `built` fixture builds with


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def years(built) -> list[int]:
    result, _ = built
    return sorted(result.observations)


def table_names(built) -> list[str]:
    return [tables.csv_name()] + [tables.csv_name(y) for y in years(built)]


def observations_in(graph) -> set[URIRef]:
    return set(graph.subjects(RDF.type, QB.Observation))


# --- the files --------------------------------------------------------------------------------


def test_dist_has_a_table_per_report_and_one_of_all(built):
    result, out = built
    names = table_names(built)
    expected = {*names, *(tables.metadata_name(n) for n in names), tables.XLSX}
    assert expected <= set(result.files)
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert expected <= {line.split("  ", 1)[1] for line in sums}
    for name in expected:
        assert (out / name).read_bytes() == result.files[name]


def test_csv_is_plain_utf8_with_the_documented_header(built):
    _, out = built
    for name in table_names(built):
        data = (out / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
        text = data.decode("utf-8")
        assert "\r" not in text and text.endswith("\n")
        assert text.split("\n", 1)[0] == ",".join(tables.COLUMN_NAMES)
        for row in csv_rows(out / name):
            assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", row["value"]), row["value"]
            assert re.fullmatch(r"([0-9]+)?", row["cases"]), row["cases"]


def test_rows_are_in_reading_order(built):
    _, out = built
    rows = csv_rows(out / tables.csv_name())
    keys = [(int(r["report"]), int(r["source_line"]), r["observation"]) for r in rows]
    assert keys == sorted(keys)
    assert len({r["observation"] for r in rows}) == len(rows)


def test_a_report_table_is_that_reports_rows_of_the_whole(built):
    _, out = built
    whole = csv_rows(out / tables.csv_name())
    parts = []
    for year in years(built):
        part = csv_rows(out / tables.csv_name(year))
        assert part and {r["report"] for r in part} == {str(year)}
        assert part == [r for r in whole if r["report"] == str(year)]
        parts += part
    assert len(parts) == len(whole)


def test_the_same_observations_give_the_same_bytes(built):
    result, _ = built
    again = tables.files(SITE, result.observations, BUILD_DATE)
    assert again == {name: result.files[name] for name in again}
    reversed_years = {y: list(reversed(obs)) for y, obs in reversed(result.observations.items())}
    assert tables.files(SITE, reversed_years, BUILD_DATE) == again


# --- rows agree with the graph ----------------------------------------------------------------


def test_csv_rows_agree_with_the_graph(built, whole_graph):
    _, out = built
    g = whole_graph
    rows = csv_rows(out / tables.csv_name())
    assert {URIRef(r["observation"]) for r in rows} == observations_in(g)
    for r in rows:
        obs = URIRef(r["observation"])
        subject = URIRef(r["subject"])
        assert subject == SITE.id(r["subject_code"])
        assert g.value(obs, HL.subject) == subject
        assert g.value(obs, HL.report) == SITE.id(f"report/{r['report']}")
        assert g.value(obs, HL.refPeriod) == SITE.id(period_path(r["period"]))
        assert g.value(obs, HL.measure) == SITE.id(f"measure/{r['measure']}")
        assert g.value(obs, SDMX_ATTRIBUTE.unitMeasure) == SITE.id(f"unit/{r['unit']}")
        assert g.value(obs, SDMX_MEASURE.obsValue).toPython() == Decimal(r["value"])
        cases = g.value(obs, HL.cases)
        assert (cases.toPython() if cases is not None else None) == (Decimal(r["cases"]) if r["cases"] else None)
        assert Literal(r["subject_zh"], lang="zh") in set(g.objects(subject, SKOS.prefLabel))
        assert Literal(r["subject_en"], lang="en") in set(g.objects(subject, SKOS.prefLabel))
        assert (subject, RDF.type, HL[r["subject_class"]]) in g
        lines = {int(r["source_line"]), *(int(x) for x in r["other_source_lines"].split())}
        assert {int(x) for x in g.objects(obs, HL.sourceLine)} == lines
        assert int(r["source_line"]) == min(lines)
        pages = {int(x) for x in (r["source_page"] + " " + r["other_source_pages"]).split()}
        assert {int(x) for x in g.objects(obs, HL.sourcePage)} == pages
        assert Literal(r["quote"], lang="zh") in set(g.objects(obs, HL.quote))


def test_a_figure_stated_twice_has_both_lines(built):
    _, out = built
    rows = csv_rows(out / tables.csv_name())
    twice = [r for r in rows if r["other_source_lines"]]
    assert twice, "the committed reports state some figures twice"
    for r in twice:
        assert all(int(line) > int(r["source_line"]) for line in r["other_source_lines"].split())


# --- CSV on the Web -------------------------------------------------------------------------------


@pytest.fixture
def dist_copy(built, tmp_path: Path) -> Path:
    _, out = built
    folder = tmp_path / "dist"
    shutil.copytree(out, folder)
    return folder


def test_the_tables_validate_as_csvw(built, dist_copy):
    for name in table_names(built):
        assert csvw_problems(dist_copy / tables.metadata_name(name)) == [], name


def test_csvw_metadata_describes_its_table(built):
    _, out = built
    for name in table_names(built):
        meta = json.loads((out / tables.metadata_name(name)).read_text(encoding="utf-8"))
        assert meta["url"] == name
        schema = meta["tableSchema"]
        assert [c["name"] for c in schema["columns"] if not c.get("virtual")] == list(tables.COLUMN_NAMES)
        assert schema["aboutUrl"] == SITE.base + "id/obs/{report}/{+subject_code}/{measure}/{period}"
        assert all(c.get("datatype") and c.get("dc:description") for c in schema["columns"] if not c.get("virtual"))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("report", "二〇二四"),
        ("period", "2024-13"),
        ("subject_code", "District/110105"),
        ("subject_class", "district"),
        ("measure", "calls"),
        ("value", "12,3"),
        ("value", "1.2E3x"),
        ("value", ""),
        ("unit", "万件"),
        ("cases", "many"),
        ("source_line", "0"),
        ("source_line", ""),
        ("source_page", "1.5"),
        ("other_source_lines", "12 x"),
    ],
)
def test_a_bad_cell_fails_csvw_validation(dist_copy, column, value):
    name = tables.csv_name(2024)
    change_cell(dist_copy / name, 3, column, value)
    problems = csvw_problems(dist_copy / tables.metadata_name(name))
    position = f"{name}:4:{tables.COLUMN_NAMES.index(column) + 1} {column}:"
    assert any(position in p for p in problems), problems


def test_a_missing_column_fails_csvw_validation(dist_copy):
    name = tables.csv_name()
    path = dist_copy / name
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("quote")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([row[:i] + row[i + 1 :] for row in rows])
    assert csvw_problems(dist_copy / tables.metadata_name(name))


def test_a_byte_order_mark_fails_csvw_validation(dist_copy):
    path = dist_copy / tables.csv_name()
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert csvw_problems(dist_copy / tables.metadata_name(tables.csv_name()))


def test_csvw_gives_the_graphs_observation_iris(built, whole_graph):
    """The aboutUrl template, expanded by csvw for every row, is the observation column and
    the IRI of the same observation in the graph."""
    _, out = built
    expected = observations_in(whole_graph)
    seen = set()
    for name in table_names(built):
        table = csvw.Table.from_file(out / tables.metadata_name(name))
        template = table.tableSchema.aboutUrl
        for number, row in enumerate(table.iterdicts(strict=True), start=1):
            iri = table.expand(template, row, _row=number)
            assert iri == row["observation"].unsplit()  # csvw reads an anyURI cell as an rfc3986 URIReference
            assert URIRef(iri) in expected
            seen.add(URIRef(iri))
    assert seen == expected


@pytest.mark.slow
def test_csvw_json_of_a_table_is_the_graphs_observations(built, whole_graph):
    """csvw's CSV-to-JSON conversion (minimal mode): each row describes the observation with the
    graph's IRI, and what it says of it is what the graph says."""
    _, out = built
    g = whole_graph
    for name in table_names(built):
        described = csvw.CSVW(str(out / tables.metadata_name(name))).to_json(minimal=True)
        assert len(described) == len(csv_rows(out / name))
        for thing in described:
            obs = URIRef(thing.pop("@id"))
            assert obs in observations_in(g)
            assert thing.pop("rdf:type") == "qb:Observation"
            assert (obs, QB.dataSet, URIRef(thing.pop("qb:dataSet"))) in g
            for prop in (HL.report, HL.subject, HL.measure, SDMX_ATTRIBUTE.unitMeasure):
                assert (obs, prop, URIRef(thing.pop(str(prop)))) in g
            for prop in (SDMX_MEASURE.obsValue, HL.cases):
                if str(prop) in thing:
                    assert float(g.value(obs, prop).toPython()) == float(thing.pop(str(prop)))
            for prop in (HL.sourceLine, HL.sourcePage):
                values = set(_flat(thing.pop(str(prop), [])))
                assert values == {int(x) for x in g.objects(obs, prop)}
            assert Literal(thing.pop(str(HL.quote)), lang="zh") in set(g.objects(obs, HL.quote))
            assert thing == {}


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def test_another_base_uri_moves_the_tables_iris(built):
    result, _ = built
    site = Site("https://data.example.org/hotline/")
    files = tables.files(site, result.observations, BUILD_DATE)
    text = files[tables.csv_name()].decode("utf-8") + files[tables.metadata_name(tables.csv_name())].decode("utf-8")
    assert SITE.base not in text.replace(str(HL), "")
    rows = list(csv.DictReader(io.StringIO(files[tables.csv_name()].decode("utf-8"))))
    assert all(r["observation"].startswith(site.base + "id/obs/") for r in rows)
    meta = json.loads(files[tables.metadata_name(tables.csv_name())])
    assert meta["tableSchema"]["aboutUrl"].startswith(site.base)


# --- the workbook ---------------------------------------------------------------------------------

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def read_xlsx(data: bytes) -> dict[str, list[list[str]]]:
    """Sheet name → rows of cell texts (as stored), read with the standard library."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root.findall("m:si", NS)]
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        sheets = {}
        for sheet in book.find("m:sheets", NS):
            root = ElementTree.fromstring(z.read("xl/" + target[sheet.get(REL)].removeprefix("/xl/")))
            rows = []
            for row in root.iter(f"{{{NS['m']}}}row"):
                cells: dict[int, str] = {}
                for cell in row.findall("m:c", NS):
                    ref = re.match(r"[A-Z]+", cell.get("r")).group()
                    col = 0
                    for ch in ref:
                        col = col * 26 + ord(ch) - 64
                    v = cell.find("m:v", NS)
                    text = "" if v is None else v.text or ""
                    cells[col - 1] = shared[int(text)] if cell.get("t") == "s" else text
                rows.append([cells.get(i, "") for i in range(max(cells) + 1 if cells else 0)])
            sheets[sheet.get("name")] = rows
        return sheets


def test_workbook_has_all_reports_each_report_and_the_columns(built):
    _, out = built
    sheets = read_xlsx((out / tables.XLSX).read_bytes())
    assert list(sheets) == ["all", *(str(y) for y in years(built)), "columns"]
    for sheet, name in zip(list(sheets)[:-1], table_names(built), strict=True):
        rows = csv_rows(out / name)
        cells = sheets[sheet]
        assert cells[0] == list(tables.COLUMN_NAMES)
        assert len(cells) == len(rows) + 1
        for row, stored in zip(rows, cells[1:], strict=True):
            stored = stored + [""] * (len(tables.COLUMN_NAMES) - len(stored))
            got = dict(zip(tables.COLUMN_NAMES, stored, strict=True))
            for column in ("observation", "period", "subject_zh", "subject_en", "measure", "unit", "quote"):
                assert got[column] == row[column]
            # number cells: XlsxWriter stores 16 significant digits, which read back as the same double
            assert float(got["value"]) == float(row["value"])
            assert (float(got["cases"]) if got["cases"] else None) == (float(row["cases"]) if row["cases"] else None)
            assert int(got["source_line"]) == int(row["source_line"]) and int(got["report"]) == int(row["report"])
    assert [r[0] for r in sheets["columns"][1:]] == list(tables.COLUMN_NAMES)


def test_workbook_dates_are_the_builds(built):
    _, out = built
    with zipfile.ZipFile(out / tables.XLSX) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert f"{BUILD_DATE.isoformat()}T00:00:00Z" in core
