"""Read a report text and say what each line is.

PDF text comes with page numbers, footnote markers and footnote bodies, chart
axis labels and legends between the sentences. This module tells those apart
from the report's own text so later steps read clean sentences, and so every
number in the file is accounted for (see ``unclaimed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hotline_kg.extract.errors import ReportError

#: Kinds of line. "text" lines carry the report's sentences.
TEXT = "text"
BLANK = "blank"
PAGE_NUMBER = "page_number"
FOOTNOTE_MARKER = "footnote_marker"
FOOTNOTE_BODY = "footnote_body"
CHART_AXIS = "chart_axis"
CHART_LABEL = "chart_label"
NOTE = "note"
HEADING = "heading"
SUBHEADING = "subheading"
ITEM_HEADING = "item_heading"
TABLE = "table"

CN_DIGITS = "一二三四五六七八九十"
#: Form feed: the page break of text extracted from a PDF.
PAGE_BREAK = "\f"

PAGE_NUMBER_RE = re.compile(r"^[-—–]\s*\d{1,3}\s*[-—–]$")
#: "一、总体情况", "第一部分 总体情况", "第二章：…".
HEADING_RE = re.compile(
    rf"^(?:[{CN_DIGITS}]+[、.．]|第[{CN_DIGITS}]+(?:部分|章|节)[、.．:：]?)\s*(?P<name>\S.{{0,30}})$"
)
#: "（一）市场管理".
SUBHEADING_RE = re.compile(rf"^[（(][{CN_DIGITS}]+[）)]\s*(?P<name>\S.{{0,40}})$")
#: "1.东城区", "(1)东城区".
ITEM_HEADING_RE = re.compile(r"^(?:\d{1,2}\s*[.．、]|[（(]\d{1,2}[）)])\s*(?P<name>[\u4e00-\u9fff]{2,12})$")
BARE_NUMBER_RE = re.compile(r"^\d{1,2}$")
FOOTNOTE_START_RE = re.compile(r"^(\d{1,2})(?:\s+(\S.*))?$")
CHART_AXIS_RE = re.compile(r"^\d+(?:\.\d+)?\s*(?:万|%|亿)$")
NOTE_RE = re.compile(r"^注[：:]")
TABLE_HEADER_RE = re.compile(r"^序号\s")
SENTENCE_PUNCTUATION = re.compile(r"[，。；：,;]")
#: A chart title or legend is short and has no sentence punctuation.
CHART_LABEL_MAX = 25


@dataclass(frozen=True)
class Line:
    """One line of the raw file: its 1-based number, its text and its kind."""

    no: int
    text: str
    kind: str
    #: The PDF page it was printed on, where the text keeps page breaks (form feeds).
    page: int | None = None

    @property
    def stripped(self) -> str:
        return self.text.strip()


def read_text(path: Path) -> str:
    """Read a report file as UTF-8 text, or raise a ReportError naming the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(path, None, f"cannot read the file: {exc.strerror}") from exc
    if not data.strip():
        raise ReportError(path, None, "the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReportError(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    if "\x00" in text:
        raise ReportError(path, text[: text.index("\x00")].count("\n") + 1, "binary data, not text")
    return text


def split_lines(text: str) -> list[str]:
    """Split on newlines only (so line numbers match ``cat -n``), dropping CR."""
    return [line.rstrip("\r") for line in text.split("\n")]


def classify(raw_lines: list[str]) -> list[Line]:
    """Give every line a kind; the rules follow the layout of PDF-extracted report text."""
    kinds = [_basic_kind(text.strip()) for text in raw_lines]
    _mark_tables(raw_lines, kinds)
    _mark_footnotes(raw_lines, kinds)
    _mark_charts(raw_lines, kinds)
    pages = _pages(raw_lines)
    return [
        Line(no, text, kind, page) for no, (text, kind, page) in enumerate(zip(raw_lines, kinds, pages, strict=True), 1)
    ]


def _pages(raw_lines: list[str]) -> list[int | None]:
    """The page of each line, counting form feeds (PDF page breaks); None for text without them."""
    if not any(PAGE_BREAK in text for text in raw_lines):
        return [None] * len(raw_lines)
    pages: list[int | None] = []
    page = 1
    for text in raw_lines:
        page += text.count(PAGE_BREAK, 0, len(text) - len(text.lstrip()))
        pages.append(page)
        page += text.lstrip().count(PAGE_BREAK)
    return pages


def _basic_kind(s: str) -> str:
    if not s:
        return BLANK
    if PAGE_NUMBER_RE.match(s):
        return PAGE_NUMBER
    if HEADING_RE.match(s) and not SENTENCE_PUNCTUATION.search(s):
        return HEADING
    if SUBHEADING_RE.match(s) and not SENTENCE_PUNCTUATION.search(s):
        return SUBHEADING
    if ITEM_HEADING_RE.match(s):
        return ITEM_HEADING
    if NOTE_RE.match(s):
        return NOTE
    return TEXT


def _mark_tables(raw: list[str], kinds: list[str]) -> None:
    """A table runs from a "序号 …" header line to the next heading or prose sentence."""
    inside = False
    for i, text in enumerate(raw):
        s = text.strip()
        if TABLE_HEADER_RE.match(s):
            inside = True
        elif kinds[i] in (HEADING, SUBHEADING) or "。" in s or "，" in s:
            inside = False
        if inside and kinds[i] in (TEXT, BLANK, ITEM_HEADING):
            kinds[i] = TABLE if kinds[i] != BLANK else BLANK


def _mark_footnotes(raw: list[str], kinds: list[str]) -> None:
    """Footnotes are numbered upwards (1, 2, 3 … or continuing from earlier
    pages): a bare number on its own line in the prose, above the last one, is a
    reference; a later line starting with a referenced number is that
    footnote's body, which runs to the end of its sentence."""
    next_ref = 1
    pending: set[int] = set()
    i = 0
    while i < len(raw):
        s = raw[i].strip()
        if kinds[i] != TEXT:
            i += 1
            continue
        start = FOOTNOTE_START_RE.match(s)
        if start and int(start.group(1)) in pending:
            pending.discard(int(start.group(1)))
            i = _mark_footnote_body(raw, kinds, i, has_text=start.group(2) is not None)
            continue
        if BARE_NUMBER_RE.match(s) and int(s) >= next_ref:
            kinds[i] = FOOTNOTE_MARKER
            pending.add(int(s))
            next_ref = int(s) + 1
        i += 1


def _mark_footnote_body(raw: list[str], kinds: list[str], i: int, has_text: bool) -> int:
    kinds[i] = FOOTNOTE_BODY
    if has_text and raw[i].rstrip().endswith("。"):
        return i + 1
    j = i + 1
    while j < len(raw) and kinds[j] in (TEXT, BLANK):
        if kinds[j] == TEXT:
            kinds[j] = FOOTNOTE_BODY
            if raw[j].rstrip().endswith("。"):
                return j + 1
        j += 1
    return j


def _mark_charts(raw: list[str], kinds: list[str]) -> None:
    """A chart is a run of axis labels ("N万") and the short title and legend
    lines around it, up to the next page number, heading or sentence."""
    i = 0
    while i < len(raw):
        if kinds[i] == TEXT and CHART_AXIS_RE.match(raw[i].strip()):
            j = i
            while j < len(raw):
                s = raw[j].strip()
                if kinds[j] == BLANK:
                    j += 1
                elif kinds[j] == TEXT and CHART_AXIS_RE.match(s):
                    kinds[j] = CHART_AXIS
                    j += 1
                elif kinds[j] == TEXT and len(s) <= CHART_LABEL_MAX and not SENTENCE_PUNCTUATION.search(s):
                    kinds[j] = CHART_LABEL
                    j += 1
                else:
                    break
            i = j
        else:
            i += 1
