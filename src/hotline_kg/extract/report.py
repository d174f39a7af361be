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

from hotline_kg.extract import cues, rules, sections
from hotline_kg.extract.collect import BEIJING, OWNER_RE, Collector
from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.facts import Fact
from hotline_kg.extract.lines import (
    HEADING,
    ITEM_HEADING,
    MAX_REPORT_BYTES,
    NOTE,
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
from hotline_kg.extract.unclaimed import Number, not_figures, reasons, unclaimed

#: A stated reporting period: a whole calendar year, or an annual report's title ("2023年度报告").
PERIOD_RE = re.compile(r"(\d{4})年1月1日(?:0时)?至\1年12月31日")
TITLE_RE = re.compile(r"^[^，。；]{0,30}?(\d{4}) ?年度[^，。；\d]{0,16}?报告[^，。；]{0,10}$")
#: The ``other_subject`` cues that are places (whose hotline a text may be about).
PLACES = ("another city", "another province", "another country")
#: Where a text names the place it is about: its first characters (title, opening sentence).
TITLE_SPAN = 200
#: Share of Chinese characters among a text's letters below which it is not read as Chinese.
MIN_CHINESE = 0.3
#: The reason of an unclaimed number no rule gave a reason for.
NO_RULE = "no rule reads it: its clause has no subject, measure and unit the cue table knows"
#: Share of kana above which a text of Chinese characters is Japanese.
KANA = 0.05
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
    #: Why the text gives no facts at all (another language, another city), "" when it was read.
    refused: str = ""


def extract_file(path: Path, year: int | None = None) -> Extraction:
    """Extract a report text (.txt) or a report PDF (.pdf, read with ``pdf.pdf_text``);
    ``year`` is the reporting period of a text that states none."""
    if path.suffix.lower() == ".pdf":
        return extract_pdf(path, year)[0]
    return extract_text(read_text(path), path, year)


def extract_pdf(path: Path, year: int | None = None) -> tuple[Extraction, str]:
    """A report PDF's facts and its text; the facts cite lines of the text as kept
    beside the PDF (``<year>.txt``), which the caller writes."""
    from hotline_kg.extract.pdf import pdf_text

    text = pdf_text(path)
    stated = report_year(classify(split_lines(text))) or year
    return extract_text(text, kept_text(path, stated), year), text


def kept_text(pdf: Path, year: int | None) -> Path:
    """Where the text of a report PDF is kept: beside it, as <year>.txt (<name>.txt without a year)."""
    return pdf.with_name(f"{year}.txt") if year else pdf.with_suffix(".txt")


def extract_text(text: str, path: Path, year: int | None = None) -> Extraction:
    """Facts, warnings and unclaimed numbers of one report text. A text in an
    unknown shape gives the facts the rules read with certainty (maybe none)
    and lists every other number as unclaimed, each with the reason where a rule
    gave one. The report's year is its stated reporting period, or ``year`` for a
    text that states none; without either, only figures whose own sentence or
    heading states their year are read. A text in another language or about
    another city's hotline gives no facts: all its numbers are listed, with that
    reason (``Extraction.refused``). Errors: a text above the size limit
    (``lines.MAX_REPORT_BYTES``), and a ``year`` that contradicts the stated period."""
    if (size := len(text.encode("utf-8", "surrogatepass"))) > MAX_REPORT_BYTES:
        raise ReportError(path, None, too_large(size))
    lines = classify(split_lines(text))
    stated = report_year(lines)
    if stated and year and stated != year:
        raise ReportError(path, None, f"the text states its reporting period as {stated}; --year {year} contradicts it")
    if refusal := refused(lines):
        every = unclaimed(lines, set(), {})
        return Extraction(path, stated or year, [], [], [replace(n, why=refusal) for n in every], refusal)
    outline = sections.outline(lines)
    col = Collector(stated or year, report=stated is not None)
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
    why = col.declined | {place: r for stream in streams for place, r in reasons(stream).items()}
    left = [replace(n, why=why.get((n.line, n.column), NO_RULE)) for n in unclaimed(lines, col.claimed, skipped)]
    return Extraction(path, col.year, facts, sorted(col.warnings), left)


def report_year(lines: list[Line]) -> int | None:
    """The year the report covers, if it states its reporting period: a whole calendar
    year ("2024年1月1日0时至2024年12月31日24时") or an annual report's title ("2023年度报告").
    Never the first year the text mentions.

    >>> report_year(classify(split_lines("2024 年 1 月 1 日 0 时至 2024 年 12 月 31 日 24 时，12345 热")))
    2024
    """
    # a note may state it: "注：本报告数据统计时间为2020年1月1日至2020年12月31日"
    text = Stream.of(line for line in lines if line.kind in (TEXT, HEADING, NOTE)).text
    title = next((line.stripped for line in lines if line.stripped), "")
    m = PERIOD_RE.search(text) or TITLE_RE.search(title)
    return int(m.group(1)) if m else None


def refused(lines: list[Line]) -> str:
    """Why a text gives no facts at all, or "": it is not Chinese, or it names another place's
    hotline (a place of the cue table's ``other_subject`` rows, or "X市12345 / X市民服务热线")
    and never Beijing. A text that names no place is read; one that names Beijing and other
    places is read, each figure kept out whose sentence names another place."""
    text = Stream.of(lines).text
    letters = [c for c in text if c.isalpha()]
    chinese = sum("\u4e00" <= c <= "\u9fff" for c in letters)
    kana = sum("\u3040" <= c <= "\u30ff" for c in letters)
    if not letters or chinese < MIN_CHINESE * len(letters) or kana > KANA * len(letters):
        return "the text is not in Chinese: no facts are read from it"
    beijing = sum(text.count(name) for name in BEIJING)
    t = cues.table()
    places = [c for c in t.cues("other_subject") if t.meaning("other_subject", c).startswith(PLACES)]
    places += [m.group("place") for m in OWNER_RE.finditer(text) if not any(b in m.group("place") for b in BEIJING)]
    if not beijing:
        others = [t.meaning("other_subject", c) for c in t.cues("other_subject") if c in text]
        others += [f"the hotline of {p}" for p in places if p not in t.rows["other_subject"]]
        return (
            f"the text names {others[0]} and never Beijing (北京): none of its figures is Beijing's" if others else ""
        )
    opening = text[:TITLE_SPAN]
    named = [p for p in places if p in opening] if not any(name in opening for name in BEIJING) else []
    counts = {p: text.count(p) for p in places}
    most = max(counts, key=counts.__getitem__, default="")
    if named or (most and counts[most] > beijing):
        place = named[0] if named else most
        return (
            f"the text is about {place}'s hotline (named {text.count(place)}×, Beijing {beijing}×): "
            "no fact is Beijing's"
        )
    return ""


def read_block(col: Collector, block: Block) -> Stream:
    """Apply the rules for the block's kind to its sentences; return its text."""
    stream = Stream.of(line for line in block.lines if line.kind == TEXT)
    text = stream.whole()
    kind = block.kind
    col.heading = block.heading.stripped if block.heading is not None else ""
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
