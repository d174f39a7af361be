"""The same report as a PDF gives the same facts as its text: PDFs are built at test
time (tests/pdfs.py, reportlab's STSong-Light) with lines broken in other places, page
footers, superscript footnote markers and the monthly-topic table as a real table."""

from pathlib import Path

import pytest

from conftest import RAW, run_build
from hotline_kg.extract import extract_file
from hotline_kg.extract.report import extract_pdf
from pdfs import KINDS, build_report_pdf

# each test reads a whole report from a PDF built for it (a second or two each)
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: What a fact is, apart from where it was read: the line and page differ between text and PDF.
SAME = ("section", "subject", "subject_kind", "measure", "value", "unit", "period", "relative_to", "qualifier", "quote")


def facts(result) -> list[tuple[str, ...]]:
    return sorted(tuple(fact.row()[c] for c in SAME) for fact in result.facts)


CASES = [
    *((RAW / "2022.txt", kind) for kind in sorted(KINDS)),
    *((RAW / "2024.txt", kind) for kind in sorted(KINDS)),
    # the builder lays out the real reports' table headers and headings only; this fixture's
    # other header layout is built as prose, so only its re-flowed kinds are like a real PDF
    (FIXTURES / "heldout-a.txt", "lines"),
    (FIXTURES / "heldout-a.txt", "reflow"),
    (FIXTURES / "heldout-b.txt", "reflow"),
]


@pytest.mark.parametrize(("source", "kind"), CASES, ids=lambda x: x.stem if isinstance(x, Path) else x)
def test_the_pdf_gives_the_same_facts_as_the_text(tmp_path, source, kind):
    pdf = build_report_pdf(source, tmp_path / "report.pdf", KINDS[kind]).write(tmp_path / "report.pdf")
    from_pdf, text = extract_pdf(pdf)
    from_text = extract_file(source)
    assert facts(from_pdf) == facts(from_text)
    assert from_pdf.unclaimed == []
    lines = [*text.translate(ASCII_DIGITS).split("\n"), ""]
    for fact in from_pdf.facts:
        if fact.value[:1].isdigit():  # a figure starts on its source line (it may end on the next)
            here = "".join(lines[fact.source_line - 1 : fact.source_line + 1]).replace(" ", "")
            assert fact.value in here, f"{fact.value} is not on line {fact.source_line} of the PDF's text"
        assert fact.source_page is not None and fact.source_page >= 1


def test_extract_keeps_the_pdf_text_beside_it(tmp_path):
    import subprocess
    import sys

    pdf = build_report_pdf(RAW / "2024.txt", tmp_path / "report.pdf", KINDS["all"]).write(tmp_path / "report.pdf")
    result = subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "extract", str(pdf), "-o", str(tmp_path / "facts.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    kept = tmp_path / "2024.txt"
    assert kept.read_text(encoding="utf-8") == extract_pdf(pdf)[1]
    rows = (tmp_path / "facts.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(extract_file(RAW / "2024.txt").facts) + 1
    pages = {row.split(",")[11] for row in rows[1:]}
    assert "" not in pages and len(pages) > 3


def test_a_report_pdf_in_data_raw_goes_through_extract_and_build(project, tmp_path):
    """A PDF listed in data/raw/sources.csv: `extract data/raw` keeps its text beside it and
    writes facts with pages; the build accepts it and the graph carries hl:sourcePage."""
    import csv
    import subprocess
    import sys

    from rdflib import Graph

    from hotline_kg.rdf.vocab import HL

    raw = project / "data" / "raw"
    build_report_pdf(raw / "2024.txt", raw / "2024.pdf", KINDS["all"]).write(raw / "2024.pdf")
    (raw / "2024.txt").unlink()
    sources = (raw / "sources.csv").read_text(encoding="utf-8").replace(",2024.txt,", ",2024.pdf,")
    (raw / "sources.csv").write_text(sources, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "extract", str(raw), "--out-dir", str(project / "data" / "facts")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (raw / "2024.txt").is_file()
    with (project / "data" / "facts" / "2024.csv").open(encoding="utf-8") as f:
        pages = {row["source_page"] for row in csv.DictReader(f)}
    assert "" not in pages and len(pages) > 3
    built = run_build(project, tmp_path / "dist")
    assert built.returncode == 0, built.stderr
    graph = Graph().parse(tmp_path / "dist" / "report-2024.ttl")
    assert len(set(graph.objects(None, HL.sourcePage))) > 3
