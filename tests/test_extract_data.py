"""The committed inputs and outputs: raw reports, sources.csv, and data/facts."""

import ast
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


def without_examples(code: str) -> str:
    """Python source without the examples of its docstrings (doctests, run by tests/test_doctests.py):
    they quote the reports' sentences, figures and all, and show what is read from them. An example
    runs from its ``>>>`` line to the blank line (or the closing quotes) after its expected output."""
    lines = code.splitlines()
    drop: set[int] = set()
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = node.body[0] if node.body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            continue
        if not isinstance(first.value.value, str) or first.end_lineno is None:
            continue
        in_example = False
        for i in range(first.lineno - 1, first.end_lineno):
            text = lines[i].strip()
            if text.startswith(">>>"):
                in_example = True
            elif not text or text.startswith('"""'):
                in_example = False
            if in_example:
                drop.add(i)
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


@pytest.mark.slow
def test_no_report_figure_is_typed_into_code():
    """Figures reach the facts only from data/raw: none of them is written in the code (the examples
    of its docstrings quote the reports: they are documentation, and are left out)."""
    figures = {
        fact.value
        for path in REPORTS
        for fact in extract_file(path).facts
        if sum(ch.isdigit() for ch in fact.value) >= 3  # shorter ones ("0.1") occur in URIs and versions
    }
    for source in (ROOT / "src").rglob("*.py"):
        code = without_examples(source.read_text(encoding="utf-8"))
        found = [f for f in figures if re.search(rf"(?<![\w.]){re.escape(f)}(?![\w.])", code)]
        assert found == [], f"{source} contains report figures {found}"
