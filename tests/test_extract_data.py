"""The committed inputs and outputs: raw reports, sources.csv, and data/facts."""

import csv
import hashlib
import re

import pytest

from conftest import FACTS, RAW, ROOT
from hotline_kg.extract import COLUMNS, extract_file, to_csv

REPORTS = sorted(RAW.glob("*.txt"))


def test_there_are_reports():
    assert len(REPORTS) >= 2


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_extract_reproduces_the_committed_facts_byte_for_byte(path):
    result = extract_file(path)
    committed = FACTS / f"{result.year}.csv"
    assert to_csv(result.facts).encode("utf-8") == committed.read_bytes()


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_no_number_is_left_unclaimed(path):
    result = extract_file(path)
    assert [(n.line, n.text) for n in result.unclaimed] == []
    assert result.warnings == []


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_each_value_is_printed_on_its_source_line(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    for fact in extract_file(path).facts:
        line = re.sub(r"\s+", "", lines[fact.source_line - 1])
        assert re.search(rf"(?<![\d.]){re.escape(fact.value)}(?![\d.])", line), fact
        assert fact.value in fact.quote


def test_sources_describe_every_raw_file():
    with (RAW / "sources.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(row["file"] for row in rows) == [p.name for p in REPORTS]
    for row in rows:
        data = (RAW / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert extract_file(RAW / row["file"]).year == int(row["year"])
        assert row["title_zh"] and row["title_en"] and row["publisher_zh"] and row["publisher_en"]


def test_facts_tables_have_the_documented_columns_and_no_duplicates():
    for table in FACTS.glob("*.csv"):
        with table.open(encoding="utf-8") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames or ()) == COLUMNS
            rows = list(reader)
        keys = [
            (
                r["section"],
                r["subject"],
                r["measure"],
                r["period"],
                r["relative_to"],
                r["qualifier"],
                r["source_line"],
            )
            for r in rows
        ]
        assert len(keys) == len(set(keys)), table


@pytest.mark.slow
def test_no_report_figure_is_typed_into_code():
    """Figures reach the facts only from data/raw: none of them is written in the code, its docstring
    examples included (they quote the reports' sentences with other figures). A figure is found
    beside Chinese text too ("受理1817.1万件"), not only between spaces."""
    figures = {
        fact.value
        for path in REPORTS
        for fact in extract_file(path).facts
        if sum(ch.isdigit() for ch in fact.value) >= 3  # shorter ones ("0.1") occur in URIs and versions
    }
    for source in (ROOT / "src").rglob("*.py"):
        code = source.read_text(encoding="utf-8")
        found = [f for f in figures if re.search(rf"(?<![0-9.]){re.escape(f)}(?![0-9]|\.[0-9])", code)]
        assert found == [], f"{source} contains report figures {found}"
