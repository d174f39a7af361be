"""Facts the schema defines (hotline_kg.schema) and other sources restate by hand: the SHACL shapes,
which cannot import Python, and the extractor's cue table (cues.csv). Each test reads the other
source as it is written and fails on any difference from the schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import SH

from conftest import HL, SITE
from hotline_kg import schema
from hotline_kg.extract import cues, rules
from hotline_kg.rdf.observations import kebab

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "shapes"
HLS = Namespace(f"{SITE.base}def/shapes#")


def shapes(name: str) -> Graph:
    """A shapes file as ``hotline-kg validate`` reads it (relative IRIs against the base URI)."""
    text = SITE.rebase((SHAPES / name).read_text(encoding="utf-8"))
    return Graph().parse(data=text, format="turtle", publicID=SITE.base)


def select(constraint: str) -> str:
    """The SPARQL text of a SPARQL constraint of shapes/consistency.ttl."""
    found = list(shapes("consistency.ttl").objects(HLS[constraint], SH.select))
    assert len(found) == 1, f"hls:{constraint} has {len(found)} sh:select"
    return str(found[0])


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression (| outside groups and classes)."""
    parts, depth, in_class, start = [], 0, False, 0
    for i, ch in enumerate(pattern):
        if i and pattern[i - 1] == "\\":
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:]]


# --- the printed figure ------------------------------------------------------------------------------


def test_the_schema_builds_its_column_format_from_its_one_figure_pattern():
    assert schema.NUMBER_FORMAT == r"[0-9]+(\.[0-9]+)?"
    assert schema.VALUE_FORMAT.startswith(f"{schema.NUMBER_FORMAT}|")
    for text in ("2419.5", "75", "0.0", "97.0"):
        assert re.fullmatch(schema.NUMBER, text) and re.fullmatch(schema.NUMBER_FORMAT, text)
    for text in ("-1.7", "12.", ".5", "1,103.94", "２４", "1e3"):
        assert not re.fullmatch(schema.NUMBER, text) and not re.fullmatch(schema.NUMBER_FORMAT, text)


def test_value_is_printed_checks_the_schema_s_figure():
    """hls:ValueIsPrinted compares the value with a printed figure that matches REGEX(?printed, "…").
    A SPARQL string inside Turtle writes the decimal point as [.] (a backslash would have to be
    escaped twice); that is the only spelling allowed to differ."""
    found = re.findall(r'REGEX\(\?printed, "([^"]*)"\)', select("ValueIsPrinted"))
    assert len(found) == 1, found
    assert found[0] == "^" + schema.NUMBER_FORMAT.replace(r"\.", "[.]") + "$"


def test_the_printed_value_shape_accepts_the_schema_s_figure_and_words():
    """shapes/core.ttl: the pattern of hl:printedValue is ^(figure|words)$; its figure is the
    schema's, spelled the same, and it accepts every figure in words the schema lists."""
    graph = shapes("core.ttl")
    patterns = [
        str(pattern) for prop in graph.subjects(SH.path, HL.printedValue) for pattern in graph.objects(prop, SH.pattern)
    ]
    assert len(patterns) == 1, patterns
    pattern = patterns[0]
    assert pattern.startswith("^(") and pattern.endswith(")$"), pattern
    figure, *words = alternatives(pattern[2:-2])
    assert figure == schema.NUMBER_FORMAT
    in_words = re.compile("|".join(words))
    assert [word for word in schema.WORDS if not in_words.fullmatch(word)] == []


# --- measures and units --------------------------------------------------------------------------------

#: One disjunct of UnitFitsMeasure's FILTER: a measure (or a list of them) and the unit (or units) it
#: must have, as ``?u != unit:x`` or ``?u NOT IN (unit:x, unit:y)``.
DISJUNCT = re.compile(
    r"\(\?m (?:= (?P<one>measure:[\w-]+)|IN \((?P<many>[^)]*)\))"
    r" && \?u (?:!= (?P<unit>unit:[\w-]+)|NOT IN \((?P<units>[^)]*)\))\)"
)


def names(text: str, prefix: str) -> list[str]:
    """The local names of a comma-separated list of prefixed names ("measure:a, measure:b")."""
    items = [item.strip() for item in text.split(",")]
    assert all(item.startswith(prefix) for item in items), items
    return [item.removeprefix(prefix) for item in items]


def shacl_units() -> dict[str, set[str]]:
    """UnitFitsMeasure as written: measure code (kebab-case) → the unit codes it allows."""
    query = select("UnitFitsMeasure")
    body = re.search(r"FILTER \(\s*(\(\?m .*?)\s*\)\s*BIND", query, re.DOTALL)
    assert body, "UnitFitsMeasure has no FILTER (…) before its BINDs"
    disjuncts = [" ".join(part.split()) for part in body.group(1).split("||")]
    found: dict[str, set[str]] = {}
    for disjunct in disjuncts:
        m = DISJUNCT.fullmatch(disjunct)
        assert m, f"UnitFitsMeasure: cannot read “{disjunct}”"
        measures = [m.group("one").removeprefix("measure:")] if m.group("one") else names(m.group("many"), "measure:")
        units = {m.group("unit").removeprefix("unit:")} if m.group("unit") else set(names(m.group("units"), "unit:"))
        for measure in measures:
            assert measure not in found, f"UnitFitsMeasure names measure:{measure} twice"
            found[measure] = units
    return found


def schema_units() -> dict[str, set[str]]:
    """MEASURE_UNITS in the graph's terms: a measure's code → the codes of its units. A growth
    multiple without a base period is a year-on-year or period-on-period one (schema.GROWTH)."""
    expected: dict[str, set[str]] = {}
    for name, units in schema.MEASURE_UNITS.items():
        terms = [schema.MEASURES[name].term]
        if name == "growth_multiple":
            terms += sorted(set(schema.GROWTH.values()))
        for term in terms:
            expected[kebab(term)] = {schema.UNITS[unit].slug for unit in units}
    return expected


def test_the_schema_gives_every_measure_its_units():
    assert list(schema.MEASURE_UNITS) == list(schema.MEASURES)
    assert {unit for units in schema.MEASURE_UNITS.values() for unit in units} == set(schema.UNITS)


def test_unit_fits_measure_is_the_schema_s_table():
    assert shacl_units() == schema_units()


def test_unit_fits_measure_reader_sees_a_difference():
    """The comparison is not vacuous: a measure left out, or a unit added, is seen."""
    table = shacl_units()
    assert table.pop("requests") == {"ten-thousand-cases", "cases"}
    assert table != schema_units()
    table = shacl_units()
    table["share"].add("cases")
    assert table != schema_units()


def test_change_has_its_direction_knows_the_schema_s_fall():
    """hls:ChangeHasItsDirection: a fall (schema.FALL) is negative, a rise positive; and those are
    the directions the cue table gives."""
    query = select("ChangeHasItsDirection")
    falls = set(re.findall(r'STR\(\?direction\) = "([^"]+)" && \?number > 0', query))
    rises = set(re.findall(r'STR\(\?direction\) = "([^"]+)" && \?number < 0', query))
    assert falls == schema.FALL
    table = cues.table()
    assert {table.meaning("direction", cue) for cue in table.cues("direction")} == falls | rises


# --- the cue table ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table() -> cues.Cues:
    return cues.table()


def meanings(table: cues.Cues, role: str) -> set[str]:
    return {table.meaning(role, cue) for cue in table.cues(role)}


def test_every_unit_of_the_schema_is_a_unit_cue_of_its_own(table):
    """A unit of the facts table is printed as itself (the other unit cues, 万名, 亿元 …, are not
    units of any measure: their figures stay unclaimed)."""
    assert {unit: table.rows["unit"].get(unit) for unit in schema.UNITS} == {unit: unit for unit in schema.UNITS}
    assert meanings(table, "unit") & set(schema.UNITS) == set(schema.UNITS)


def test_the_cue_table_s_figures_in_words_are_the_schema_s(table):
    """The same words, and each one-character numeral with the schema's value (a longer word figure,
    翻倍, keeps the word as its meaning)."""
    assert set(table.cues("numeral")) == set(schema.WORDS)
    for cue in table.cues("numeral"):
        expected = cue if len(cue) > 1 else str(schema.WORDS[cue])
        assert table.meaning("numeral", cue) == expected, f"numeral {cue}"


def test_the_cue_table_s_measures_are_the_schema_s(table):
    assert meanings(table, "count") == set(rules.PROGRAMME_COUNTS)
    assert set(rules.PROGRAMME_COUNTS) <= set(schema.MEASURES)
    assert meanings(table, "rate") == {name for name in schema.MEASURES if name.endswith("_rate")}


def test_the_cue_table_s_qualifiers_are_the_schema_s(table):
    assert meanings(table, "approx") == {schema.APPROXIMATE}
    assert meanings(table, "base") == set(schema.GROWTH) - {""}
    assert meanings(table, "direction") >= schema.FALL


def test_the_cue_table_s_subjects_are_of_the_schema_s_kinds(table):
    """A subject cue is "kind name"; a level (区级部门, 街道乡镇) is made a district's part by the rules."""
    kinds = {table.meaning("subject", cue).split(" ", 1)[0] for cue in table.cues("subject")}
    assert kinds - {"level"} <= set(schema.SUBJECT_KINDS)
    assert "district_part" in schema.SUBJECT_KINDS
