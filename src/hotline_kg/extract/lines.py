"""Read a report text and say what each line is.

PDF text comes with page numbers, footnote markers and footnote bodies, chart
axis labels and legends between the sentences. This module tells those apart
from the report's own text so later steps read clean sentences, and so every
number in the file is accounted for (see ``unclaimed``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from hotline_kg.extract.errors import ReportError
from hotline_kg.schema import NUMBER

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
#: The largest report text read, in bytes of UTF-8: the reports' texts are 14-17 KB, so this is
#: room for one many times longer, while the slowest text of this size still extracts in seconds
#: (tests/test_fuzz_pipeline.py); a larger file is refused before it is read.
MAX_REPORT_BYTES = 2**20
#: Form feed: the page break of text extracted from a PDF.
PAGE_BREAK = "\f"
HALF_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})

PAGE_NUMBER_RE = re.compile(r"^[-—–]\s*\d{1,3}\s*[-—–]$")
#: Heading numbering styles, from the outermost a report usually uses to the innermost.
#: Which level a style stands for is read from the order the report uses them in.
HEADING_STYLES = {
    "part": rf"第[{CN_DIGITS}]+(?:部分|章|节)[、.．:：]?",  # 第一部分 总体情况
    "cn": rf"[{CN_DIGITS}]+[、.．]",  # 一、总体情况
    "cn_paren": rf"[（(][{CN_DIGITS}]+[）)]",  # （一）市场管理
    "arabic": r"\d{1,2}\s*[.．、](?![0-9])",  # 1.东城区
    "arabic_paren": r"[（(]\d{1,2}[）)]",  # （1）东城区
}
#: List-item styles: never more than an item heading inside a part.
ITEM_STYLES = {"arabic", "arabic_paren"}
HEADING_RE = re.compile(
    "^(?:" + "|".join(f"(?P<{k}>{v})" for k, v in HEADING_STYLES.items()) + r")\s*(?P<name>[^\s\d].{0,40})$"
)
BARE_NUMBER_RE = re.compile(r"^\d{1,2}$")
FOOTNOTE_START_RE = re.compile(r"^(\d{1,2})(?:\s+(\S.*))?$")
#: A chart axis label: a printed figure (full-width digits read as ASCII) and 万, % or 亿.
CHART_AXIS_RE = re.compile(rf"^{NUMBER}\s*(?:万|%|亿)$")
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
        with path.open("rb") as f:
            data = f.read(MAX_REPORT_BYTES + 1)
            if len(data) > MAX_REPORT_BYTES:
                raise ReportError(path, None, too_large(os.fstat(f.fileno()).st_size))
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


def too_large(size: int) -> str:
    return f"{size} bytes, more than the limit for a report text ({MAX_REPORT_BYTES} bytes)"


def split_lines(text: str) -> list[str]:
    """Split on newlines only (so line numbers match ``cat -n``), dropping CR."""
    return [line.rstrip("\r") for line in text.split("\n")]


def classify(raw_lines: list[str]) -> list[Line]:
    """Give every line a kind; the rules follow the layout of PDF-extracted report text.

    >>> lines = classify(split_lines("线共受理群众反映\\n1\\n5742.8 万件，同比上升 45.2%。其中，诉求派"))
    >>> [line.kind for line in lines]
    ['text', 'footnote_marker', 'text']
    >>> [line.kind for line in classify(split_lines("0.0万\\n0.5万\\n-26- "))]
    ['chart_axis', 'chart_axis', 'page_number']
    """
    kinds = [_basic_kind(text.strip()) for text in raw_lines]
    _mark_levels(raw_lines, kinds)
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
    if heading_style(s):
        return HEADING
    if NOTE_RE.match(s):
        return NOTE
    return TEXT


def heading_style(s: str) -> str | None:
    """The numbering style of a heading line ("cn" for "一、…"), or None for any other line.

    >>> heading_style("一、总体情况及受理特点"), heading_style("（一）市场管理"), heading_style("1.东城区")
    ('cn', 'cn_paren', 'arabic')
    >>> heading_style("2024 年群众反映集中的前二十类问题共计 4140.4万件，占") is None
    True
    """
    m = HEADING_RE.match(s.translate(HALF_WIDTH_DIGITS))
    if not m or SENTENCE_PUNCTUATION.search(s):
        return None
    style = next(k for k in HEADING_STYLES if m.group(k))
    if style in ITEM_STYLES and not re.match(r"[\u4e00-\u9fff“]", m.group("name")):
        return None
    return style


def heading_name(s: str) -> str:
    m = HEADING_RE.match(s.strip().translate(HALF_WIDTH_DIGITS))
    return m.group("name").strip() if m else s.strip()


def _mark_levels(raw: list[str], kinds: list[str]) -> None:
    """Heading, sub-heading or item heading, by nesting: a style not seen in the
    open headings opens a level below; a style already open closes the levels
    below it. List-item styles (1. / （1）) are always item headings."""
    open_styles: list[str] = []
    for i, text in enumerate(raw):
        if kinds[i] != HEADING:
            continue
        style = heading_style(text.strip())
        if style in open_styles:
            del open_styles[open_styles.index(style) + 1 :]
        else:
            open_styles.append(style)  # type: ignore[arg-type]
        depth = len(open_styles)
        if depth > 2 or style in ITEM_STYLES:
            kinds[i] = ITEM_HEADING
        elif depth == 2:
            kinds[i] = SUBHEADING


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


def chart_axis(s: str) -> bool:
    """A line that is a chart's axis label ("N万", "N%").

    >>> chart_axis("1.5万"), chart_axis("１.５万"), chart_axis("2024年")
    (True, True, False)
    """
    return CHART_AXIS_RE.match(s.translate(HALF_WIDTH_DIGITS)) is not None


def _mark_charts(raw: list[str], kinds: list[str]) -> None:
    """A chart is a run of axis labels ("N万") and the short title and legend
    lines around it, up to the next page number, heading or sentence."""
    i = 0
    while i < len(raw):
        if kinds[i] == TEXT and chart_axis(raw[i].strip()):
            j = i
            while j < len(raw):
                s = raw[j].strip()
                if kinds[j] == BLANK:
                    j += 1
                elif kinds[j] == TEXT and chart_axis(s):
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
