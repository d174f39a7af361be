"""Extract every stated fact of one report text: raw text in, facts out.

The steps: classify the lines (``lines``), cut them into blocks by heading
(``sections``), read each block's sentences with the rules for its kind
(``rules``, ``table``), then account for every number (``unclaimed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

from hotline_kg.extract import rules, sections
from hotline_kg.extract.collect import Collector
from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.facts import Fact
from hotline_kg.extract.lines import (
    HEADING,
    ITEM_HEADING,
    MAX_REPORT_BYTES,
    TEXT,
    Line,
    classify,
    read_text,
    split_lines,
    too_large,
)
from hotline_kg.extract.sections import Block
from hotline_kg.extract.stream import MAX_SENTENCE, Stream
from hotline_kg.extract.table import topic_table
from hotline_kg.extract.unclaimed import Number, not_figures, unclaimed

PERIOD_RE = re.compile(r"(\d{4})年1月1日(?:0时)?至\1年12月31日")
FIRST_YEAR_RE = re.compile(r"(\d{4})年")
#: Line kinds read only to account for their numbers (dates, names), not for facts.
SIDE_TEXT = {"footnote_body", "note", "chart_label", "heading", "subheading", "table"}
#: Section → kind of the bodies it names.
HANDLER_KINDS = {
    sections.CITY_DEPARTMENTS: "city_department",
    sections.STATE_OWNED_ENTERPRISES: "state_owned_enterprise",
}
KNOWN_PARTS = {sections.OVERVIEW, sections.CATEGORIES, sections.HANDLING}


@dataclass(frozen=True)
class Extraction:
    path: Path
    year: int
    facts: list[Fact]
    warnings: list[tuple[int, str]]
    unclaimed: list[Number]


def extract_file(path: Path) -> Extraction:
    """Extract a report text (.txt) or a report PDF (.pdf, read with ``pdf.pdf_text``)."""
    if path.suffix.lower() == ".pdf":
        return extract_pdf(path)[0]
    return extract_text(read_text(path), path)


def extract_pdf(path: Path) -> tuple[Extraction, str]:
    """A report PDF's facts and its text; the facts cite lines of the text as kept
    beside the PDF (``<year>.txt``), which the caller writes."""
    from hotline_kg.extract.pdf import pdf_text

    text = pdf_text(path)
    year = report_year(classify(split_lines(text)), path)
    return extract_text(text, kept_text(path, year)), text


def kept_text(pdf: Path, year: int) -> Path:
    """Where the text of a report PDF is kept: beside it, as <year>.txt."""
    return pdf.with_name(f"{year}.txt")


def extract_text(text: str, path: Path) -> Extraction:
    """Facts, warnings and unclaimed numbers of one report text. A text in an
    unknown shape gives the facts the rules read with certainty (maybe none)
    and lists every other number as unclaimed; only a text without a report
    year is an error, and a text above the size limit (``lines.MAX_REPORT_BYTES``)."""
    if (size := len(text.encode("utf-8", "surrogatepass"))) > MAX_REPORT_BYTES:
        raise ReportError(path, None, too_large(size))
    lines = classify(split_lines(text))
    outline = sections.outline(lines)
    col = Collector(report_year(lines, path))
    col.warnings.extend(outline.warnings)
    if not KNOWN_PARTS & {block.kind for block in outline.blocks}:
        col.warn(
            1,
            "none of the known parts (“一、总体情况”, “二、…前十类问题…”, “…诉求办理情况”) was found: "
            "not a 12345 hotline annual report, or one in a new shape",
        )
    streams = [read_block(col, block) for block in outline.blocks]
    streams += [Stream.of(run) for kind, run in _runs(lines) if kind in SIDE_TEXT]
    skipped = not_figures(lines, streams) | col.not_facts
    pages = {line.no: line.page for line in lines}
    facts = [replace(f, source_page=pages.get(f.source_line)) for f in sorted(col.facts, key=lambda f: f.order)]
    return Extraction(path, col.year, facts, sorted(col.warnings), unclaimed(lines, col.claimed, skipped))


def report_year(lines: list[Line], path: Path) -> int:
    """The year the report covers: from its reporting period, else its first "YYYY 年"."""
    text = Stream.of(line for line in lines if line.kind == TEXT).text
    m = PERIOD_RE.search(text) or FIRST_YEAR_RE.search(text[:200])
    if not m:
        raise ReportError(
            path,
            None,
            "no report year found (expected a period such as “2024年1月1日0时至2024年12月31日24时”)",
        )
    return int(m.group(1))


def read_block(col: Collector, block: Block) -> Stream:
    """Apply the rules for the block's kind to its sentences; return its text."""
    stream = Stream.of(line for line in block.lines if line.kind == TEXT)
    text = stream.whole()
    kind = block.kind
    for sentence in text.long_sentences():
        col.warn(
            sentence.line,
            f"a sentence of {len(sentence.text)} characters, more than the {MAX_SENTENCE} a sentence of a report "
            "may have: its figures are not read",
        )
    if kind in (sections.SUMMARY, sections.OVERVIEW):
        rules.overview(col, kind, text)
    elif kind == sections.CATEGORIES and block.heading is not None and block.heading.kind != HEADING:
        rules.category(col, kind, text, block.title)
    elif kind == sections.TRENDS:
        rules.trends(col, kind, text)
    elif kind == sections.HANDLING:
        rules.handling_intro(col, kind, text)
    elif kind == sections.DISTRICTS:
        item = block.heading is not None and block.heading.kind == ITEM_HEADING
        rules.districts(col, kind, text, block.title if item else None)
    elif kind in HANDLER_KINDS:
        rules.handlers(HANDLER_KINDS[kind])(col, kind, text)
    elif kind == sections.MONTHLY_TOPICS:
        rules.topics_intro(col, kind, text)
        topic_table(col, kind, block.lines)
    return stream


def _runs(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    return [(kind, list(run)) for kind, run in groupby(lines, key=lambda line: line.kind)]
