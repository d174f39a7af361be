"""Build report PDFs at test time from a report text (reportlab, built-in CID font STSong-Light).

A report text (data/raw/*.txt, tests/fixtures/*.txt) is the text of a PDF: short lines with blank
lines between them, a trailing space at the end of a paragraph or heading, footnote markers on
lines of their own, footnote bodies, page-number lines ("-26-") and the monthly-topic table as
one cell per line. `build_pdf` lays that text out again on A4 pages, with these options:

- `width`: None keeps the text file's lines (one PDF line each); a number joins each paragraph's
  lines and wraps them again at that many CJK characters, so lines break at other places.
  Headings, short lines (chart labels) and page-number lines keep lines of their own.
- `footers`: a centred page number "-N-" at the bottom of every page; a page-number line of the
  text becomes a page break (its number is not drawn: the footer is).
- `table`: the monthly-topic table (a header starting with "序号" and numbered rows) becomes a
  real table with ruled cells: 序号 | 问题 | 诉求总量 | 承办量前三位的单位 | 承办量 (2022
  style, three handlers and their counts per topic) or 序号 | 问题 | 诉求派单总量 (2024 style).
  The chart column's heading (每月诉求量…) is a caption line above each part of the table.
  Cells are top-aligned with one leading, so the n-th lines of a row's cells share a baseline; a
  long topic name wraps inside its cell.
- `footnotes`: a footnote marker becomes a superscript right after the text it follows (so in
  re-flowed text it sits right before the next figure), and its body goes to the bottom of the
  page where the marker lands, above the footer, under a short rule.

The output is deterministic (reportlab's invariant mode): the same text and options give the same
bytes. `BuiltPdf` says what was placed where, for the tests to check an extraction against.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 72.0
RIGHT = PAGE_WIDTH - 72.0
TOP = PAGE_HEIGHT - 72.0
BOTTOM = 72.0
FOOTER_Y = 40.0

BODY_SIZE, BODY_LEADING = 12.0, 22.0
NOTE_SIZE, NOTE_LEADING = 9.0, 13.0
CELL_SIZE, CELL_LEADING, CELL_PAD = 10.5, 15.0, 4.0
SUP_SCALE, SUP_RISE = 0.6, 0.42  # superscript size and baseline rise, as fractions of the text size

# column labels and widths (points) of the two table styles
TABLE_2022 = (("序号", 34.0), ("问题", 112.0), (None, 66.0), ("承办量前三位的单位", 118.0), ("承办量", 60.0))
TABLE_2024 = (("序号", 34.0), ("问题", 130.0), (None, 110.0))
TOTAL_LABEL = re.compile(r"诉求[^诉（）]*?总量")

PAGE_NUMBER = re.compile(r"^-\d+-$")
MARKER = re.compile(r"^\d{1,2}$")
BODY_INLINE = re.compile(r"^(\d{1,2}) (\S.*)$")
ROW_START = re.compile(r"^(\d+)(?:\s+(.*))?$")
HANDLER = re.compile(r"^(\S+)\s+(\d+)$")
ASCII_RUN = re.compile(r"[0-9A-Za-z.%+\-/:×·_]+|\s+|.", re.S)
# STSong-Light's CMap (UniGB-UCS2-H) has no U+00B7; GB 2312's middle dot is at U+30FB there, and
# it reads back as U+00B7
DRAWN_AS = str.maketrans({"\u00b7": "\u30fb"})
NO_LINE_START = set("，。、；：？！）》」』”’%）．,.;:!?")


@dataclass(frozen=True)
class Options:
    """How to lay a report text out (see the module docstring)."""

    width: int | None = None
    footers: bool = False
    table: bool = False
    footnotes: bool = False


# the kinds of PDF the tests and the benchmark build from each report text
KINDS: dict[str, Options] = {
    "lines": Options(),
    "reflow": Options(width=23),
    "footers": Options(width=37, footers=True),
    "table": Options(table=True),
    "footnotes": Options(width=31, footnotes=True),
    "all": Options(width=33, footers=True, table=True, footnotes=True),
}


@dataclass(frozen=True)
class TableRow:
    """One topic of the table: its cells, and the cells' text on each visual line of the row."""

    cells: tuple[str, ...]  # whole cell texts in column order (handlers and counts joined by " ")
    lines: tuple[tuple[str, ...], ...]  # line k: the k-th line of each cell that has one, left to right


@dataclass
class Page:
    """What a page of the PDF holds besides the running text."""

    number: int
    footer: str | None = None
    markers: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (number, body) at the page bottom


@dataclass(frozen=True)
class Marker:
    """A footnote marker and the text around it in the report text (a few characters each side)."""

    number: str
    before: str
    after: str


@dataclass
class BuiltPdf:
    """A PDF built by build_pdf, with what it holds where (for checking an extraction of it)."""

    data: bytes
    source: str
    options: Options
    pages: list[Page]
    table_rows: list[TableRow]
    footnote_bodies: list[tuple[str, str]]  # every footnote body placed at a page bottom
    markers: list[Marker]  # every footnote marker, superscript or on a line of its own

    def write(self, path: Path) -> Path:
        path.write_bytes(self.data)
        return path


Run = tuple[str, bool]  # text, superscript


@dataclass
class _Para:
    lines: list[list[Run]]
    reflow: bool = True


@dataclass
class _PageBreak:
    pass


@dataclass
class _Table:
    columns: tuple[tuple[str, float], ...]
    caption: str
    rows: list[tuple[list[str], ...]]  # per row, per column: the cell's paragraphs


_Block = _Para | _PageBreak | _Table


def register_font() -> None:
    """Register STSong-Light (fails loudly if reportlab lacks it)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _width(text: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, FONT, size)


def squeeze(text: str) -> str:
    """The text without any whitespace."""
    return "".join(text.split())


def _display_len(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _join(parts: list[str]) -> str:
    """Join the stripped lines of a paragraph: no space in CJK text, one between ASCII words."""
    out = ""
    for part in parts:
        if out and part and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


# ---------------------------------------------------------------- reading the report text


def _parse(text: str, options: Options) -> tuple[list[_Block], dict[str, deque[str]], list[Marker]]:
    raw = text.split("\n")
    blocks: list[_Block] = []
    markers: list[Marker] = []
    bodies: dict[str, deque[str]] = defaultdict(deque)
    pending: list[str] = []  # footnote numbers seen as markers, body not yet seen
    para: list[list[Run]] = []
    row_number = 1

    def close() -> None:
        nonlocal para
        if para:
            blocks.append(_Para(para, reflow=options.width is not None))
        para = []

    def standalone(line: str) -> None:
        close()
        blocks.append(_Para([[(line, False)]], reflow=False))

    i = 0
    while i < len(raw):
        line = raw[i]
        stripped = line.strip()
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        prev = raw[i - 1] if i > 0 else ""
        if not line:
            i += 1
            continue
        if not stripped:  # a line of spaces ends a paragraph
            close()
            i += 1
            continue
        if PAGE_NUMBER.match(stripped):
            close()
            blocks.append(_PageBreak() if options.footers else _Para([[(stripped, False)]], reflow=False))
            i += 1
            continue
        if options.table and stripped.startswith("序号"):
            close()
            table, i, row_number = _parse_table(raw, i, row_number)
            blocks.append(table)
            continue
        if options.footnotes:
            body_start = None
            if MARKER.match(line) and nxt[:1].isspace() and nxt.strip() and line in pending:
                body_start = (line, i + 1, nxt.strip())
            else:
                m = BODY_INLINE.match(line.rstrip())
                if m and m.group(1) in pending and (not prev.strip() or prev.endswith(" ")):
                    body_start = (m.group(1), i, m.group(2))
            if body_start:
                number, j, first = body_start
                close()
                parts = [first]
                end = raw[j].endswith(" ")
                while not end and j + 1 < len(raw):
                    j += 1
                    if not raw[j]:
                        continue
                    if not raw[j].strip():
                        break
                    parts.append(raw[j].strip())
                    end = raw[j].endswith(" ")
                bodies[number].append(_join(parts))
                pending.remove(number)
                i = j + 1
                continue
            if MARKER.match(line) and prev.strip() and nxt.strip() and not nxt[:1].isspace():
                markers.append(Marker(line, squeeze(prev)[-3:], squeeze(nxt)[:3]))
                pending.append(line)
                if para:
                    para[-1].append((line, True))
                else:
                    para.append([(line, True)])
                i += 1
                continue
        if MARKER.match(line) and prev.strip() and nxt.strip():  # a marker left as a line of its own
            if not nxt[:1].isspace():
                markers.append(Marker(line, squeeze(prev)[-3:], squeeze(nxt)[:3]))
            standalone(line)
            i += 1
            continue
        short = _display_len(stripped) < 10 and not MARKER.match(nxt)
        if short and not line.endswith(" "):
            standalone(stripped)
            i += 1
            continue
        para.append([(stripped, False)])
        if line.endswith(" "):
            close()
        i += 1
    close()
    return blocks, bodies, markers


def _parse_table(raw: list[str], i: int, row_number: int) -> tuple[_Table, int, int]:
    """The table part from the header line at i: header, then numbered rows up to a line that is neither."""
    header: list[str] = []
    while i < len(raw):
        stripped = raw[i].strip()
        m = ROW_START.match(stripped)
        if m and int(m.group(1)) == row_number:
            break
        if stripped:
            header.append(stripped)
        i += 1
    label = "".join("".join(header).split())
    total = TOTAL_LABEL.search(label)
    if total is None:
        raise ValueError(f"table header without a total column: {label}")
    style = TABLE_2022 if "承办量前三位" in label else TABLE_2024
    columns = tuple((name or total.group(0), width) for name, width in style)
    caption = label
    for name, _ in columns:
        if name not in caption:
            raise ValueError(f"table header without {name}: {label}")
        caption = caption.replace(name, "", 1)
    rows: list[tuple[list[str], ...]] = []
    while i < len(raw):
        stripped = raw[i].strip()
        m = ROW_START.match(stripped)
        if not stripped:
            i += 1
            continue
        if not m or int(m.group(1)) != row_number or "。" in stripped:  # not a row: a footnote body, prose
            break
        topic = [m.group(2).strip()] if m.group(2) else []
        i += 1
        total_value = None
        while i < len(raw):
            s = raw[i].strip()
            i += 1
            if not s:
                continue
            if s.isdigit():
                total_value = s
                break
            if PAGE_NUMBER.match(s) or s.startswith("序号") or "。" in s:
                raise ValueError(f"table row {row_number}: no total before {s!r}")
            topic.append(s)
        if total_value is None:
            raise ValueError(f"table row {row_number} without a total")
        cells: tuple[list[str], ...] = ([str(row_number)], ["".join(topic)], [total_value])
        if len(columns) == 5:
            handlers: list[str] = []
            counts: list[str] = []
            while i < len(raw):
                s = raw[i].strip()
                h = HANDLER.match(s)
                if s and not h:
                    break
                if h:
                    handlers.append(h.group(1))
                    counts.append(h.group(2))
                i += 1
            cells = (*cells, handlers, counts)
        rows.append(cells)
        row_number += 1
    return _Table(columns, caption, rows), i, row_number


# ---------------------------------------------------------------- wrapping


def _tokens(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for text, sup in runs:
        if sup:
            out.append((text, True))
        else:
            out.extend((tok, False) for tok in ASCII_RUN.findall(text))
    return out


def _wrap(runs: list[Run], width: float, size: float) -> list[list[Run]]:
    """Greedy line breaking between CJK characters and at spaces, never inside a run of ASCII
    characters (a figure); closing punctuation and superscripts stay on the line before."""
    lines: list[list[Run]] = []
    line: list[Run] = []
    used = 0.0
    for tok, sup in _tokens(runs):
        w = _width(tok, size * SUP_SCALE if sup else size)
        sticky = sup or tok in NO_LINE_START
        if line and used + w > width and not sticky:
            lines.append(line)
            line, used = [], 0.0
        if not line and tok.isspace():
            continue
        line.append((tok, sup))
        used += w
    if line:
        lines.append(line)
    return [_merge(line) for line in lines]


def _merge(line: list[Run]) -> list[Run]:
    out: list[Run] = []
    for text, sup in line:
        if out and out[-1][1] == sup:
            out[-1] = (out[-1][0] + text, sup)
        else:
            out.append((text, sup))
    if out and not out[-1][1]:
        out[-1] = (out[-1][0].rstrip(), False)
    return [run for run in out if run[0]]


def _plain(lines: list[list[Run]]) -> list[Run]:
    runs: list[Run] = []
    for line in lines:
        for text, sup in line:
            if runs and not sup and not runs[-1][1]:
                runs[-1] = (_join([runs[-1][0], text]), False)
            else:
                runs.append((text, sup))
    return runs


# ---------------------------------------------------------------- drawing


class _Writer:
    def __init__(self, options: Options, bodies: dict[str, deque[str]]) -> None:
        register_font()
        self.options = options
        self.bodies = bodies
        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=0)
        self.canvas.setTitle("report")
        self.pages: list[Page] = [Page(1)]
        self.y = TOP
        self.notes: list[tuple[str, str, list[list[Run]]]] = []
        self.table_rows: list[TableRow] = []
        self.placed_bodies: list[tuple[str, str]] = []

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def notes_height(self, notes: list[tuple[str, str, list[list[Run]]]]) -> float:
        if not notes:
            return 0.0
        return 10.0 + sum(len(lines) for _, _, lines in notes) * NOTE_LEADING

    def new_page(self) -> None:
        self.finish_page()
        self.canvas.showPage()
        self.pages.append(Page(len(self.pages) + 1))
        self.y = TOP

    def finish_page(self) -> None:
        c = self.canvas
        if self.notes:
            top = BOTTOM + self.notes_height(self.notes)
            c.setLineWidth(0.5)
            c.line(LEFT, top - 4, LEFT + 120, top - 4)
            y = top - 4 - NOTE_LEADING
            for number, body, lines in self.notes:
                for line in lines:
                    self.draw_line(LEFT, y, line, NOTE_SIZE)
                    y -= NOTE_LEADING
                self.page.notes.append((number, body))
                self.placed_bodies.append((number, body))
            self.notes = []
        if self.options.footers:
            footer = f"-{self.page.number}-"
            c.setFont(FONT, 10.5)
            c.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, footer)
            self.page.footer = footer

    def draw_line(self, x: float, y: float, runs: list[Run], size: float) -> None:
        t = self.canvas.beginText(x, y)
        for text, sup in runs:
            if sup:
                t.setFont(FONT, size * SUP_SCALE)
                t.setRise(size * SUP_RISE)
                t.textOut(text.translate(DRAWN_AS))
                t.setRise(0)
            else:
                t.setFont(FONT, size)
                t.textOut(text.translate(DRAWN_AS))
        self.canvas.drawText(t)

    def place_line(self, runs: list[Run]) -> None:
        new_notes = []
        for text, sup in runs:
            if sup and self.options.footnotes and self.bodies.get(text):
                body = self.bodies[text].popleft()
                lines = _wrap([(text, True), (" " + body, False)], RIGHT - LEFT, NOTE_SIZE)
                new_notes.append((text, body, lines))
        while self.y - BODY_LEADING < BOTTOM + self.notes_height(self.notes + new_notes) and self.y < TOP:
            self.new_page()
        self.y -= BODY_LEADING
        self.draw_line(LEFT, self.y + 6, runs, BODY_SIZE)
        self.notes.extend(new_notes)
        self.page.markers.extend(text for text, sup in runs if sup)

    def paragraph(self, block: _Para) -> None:
        width = RIGHT - LEFT
        if block.reflow and self.options.width is not None:
            lines = _wrap(_plain(block.lines), min(width, self.options.width * BODY_SIZE), BODY_SIZE)
        else:
            lines = [wrapped for line in block.lines for wrapped in _wrap(line, width, BODY_SIZE)]
        for line in lines:
            self.place_line(line)

    def page_break(self) -> None:
        if self.y < TOP or self.notes:
            self.new_page()

    def table(self, block: _Table) -> None:
        c = self.canvas
        if self.y - (BODY_LEADING + 3 * CELL_LEADING) < BOTTOM + self.notes_height(self.notes):
            self.new_page()
        self.place_line([(block.caption, False)])
        widths = [w for _, w in block.columns]
        header = [self.cell_lines([name], w) for name, w in block.columns]
        self.table_row(header, widths)
        for row in block.rows:
            cells = [self.cell_lines(paras, w) for paras, (_, w) in zip(row, block.columns, strict=True)]
            height = max(len(lines) for lines in cells) * CELL_LEADING + 2 * CELL_PAD
            if self.y - height < BOTTOM + self.notes_height(self.notes):
                self.new_page()
            self.table_row(cells, widths)
            depth = max(len(lines) for lines in cells)
            self.table_rows.append(
                TableRow(
                    cells=tuple(" ".join(paras) for paras in row),
                    lines=tuple(tuple(lines[k] for lines in cells if k < len(lines)) for k in range(depth)),
                )
            )
        c.setLineWidth(1)
        self.y -= 6

    def cell_lines(self, paras: list[str], width: float) -> list[str]:
        out: list[str] = []
        for para in paras:
            for line in _wrap([(para, False)], width - 2 * CELL_PAD, CELL_SIZE):
                out.append("".join(text for text, _ in line))
        return out

    def table_row(self, cells: list[list[str]], widths: list[float]) -> None:
        c = self.canvas
        height = max(len(lines) for lines in cells) * CELL_LEADING + 2 * CELL_PAD
        top = self.y
        x = LEFT
        c.setLineWidth(0.5)
        for lines, w in zip(cells, widths, strict=True):
            c.rect(x, top - height, w, height, stroke=1, fill=0)
            y = top - CELL_PAD - CELL_SIZE
            for line in lines:
                c.setFont(FONT, CELL_SIZE)
                c.drawString(x + CELL_PAD, y, line.translate(DRAWN_AS))
                y -= CELL_LEADING
            x += w
        self.y = top - height

    def close(self) -> bytes:
        self.finish_page()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def build_pdf(text: str, options: Options = Options()) -> BuiltPdf:
    """Lay a report text out as a PDF (see the module docstring); deterministic."""
    blocks, bodies, markers = _parse(text, options)
    writer = _Writer(options, bodies)
    for block in blocks:
        if isinstance(block, _Para):
            writer.paragraph(block)
        elif isinstance(block, _PageBreak):
            writer.page_break()
        else:
            writer.table(block)
    data = writer.close()
    return BuiltPdf(data, text, options, writer.pages, writer.table_rows, writer.placed_bodies, markers)


def build_report_pdf(source: Path, out: Path, options: Options = Options()) -> BuiltPdf:
    """Build the PDF of a report text file into `out`."""
    built = build_pdf(source.read_text(encoding="utf-8"), options)
    built.write(out)
    return built


def encrypted_pdf(out: Path, password: str = "secret") -> Path:
    """A small text PDF that opens only with a user password (reportlab's standard encryption)."""
    register_font()
    c = canvas.Canvas(str(out), pagesize=A4, invariant=1, encrypt=password)
    c.setFont(FONT, BODY_SIZE)
    c.drawString(LEFT, TOP, "2022 年，12345 热线共受理群众反映 7592.4 万件。")
    c.showPage()
    c.save()
    return out


def image_only_pdf(out: Path) -> Path:
    """A 'scanned' PDF: one page holding a picture of text lines and no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for row in range(20):
        y = 40 + row * 36
        for col in range(24):
            draw.rectangle((40 + col * 22, y, 56 + col * 22, y + 16), fill=40)
    c = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    c.drawInlineImage(image, LEFT, BOTTOM, width=RIGHT - LEFT, height=TOP - BOTTOM)
    c.showPage()
    c.save()
    return out


# ---------------------------------------------------------------- comparing an extraction with the source


@dataclass
class Comparison:
    """How an extracted text (a page starts with "\\f") matches what a BuiltPdf holds. Each check
    counts what came out right, next to its total, and keeps the first things that did not."""

    chars_total: int = 0
    chars_kept: int = 0
    missing: Counter[str] = field(default_factory=Counter)  # source characters not in the output
    extra: Counter[str] = field(default_factory=Counter)  # output characters not in the source
    sentences_total: int = 0
    sentences_in_order: int = 0
    sentence_problems: list[str] = field(default_factory=list)
    rows_total: int = 0
    rows_ok: int = 0
    row_problems: list[str] = field(default_factory=list)
    markers_total: int = 0
    markers_ok: int = 0
    markers_glued: int = 0  # a marker run into the figure after it ("反映17592.4")
    marker_problems: list[str] = field(default_factory=list)
    pages_expected: int = 0
    pages: int = 0
    footers_total: int = 0
    footers_ok: int = 0
    footer_problems: list[str] = field(default_factory=list)
    notes_total: int = 0
    notes_ok: int = 0
    note_problems: list[str] = field(default_factory=list)

    @property
    def kept_share(self) -> float:
        return self.chars_kept / self.chars_total if self.chars_total else 1.0

    def broken(self) -> list[str]:
        """What broke, shortly ("table rows 0/17"); empty if nothing did."""
        out = []
        if self.chars_kept < self.chars_total or self.extra:
            out.append(f"chars -{self.chars_total - self.chars_kept}/+{sum(self.extra.values())}")
        checks = [
            ("sentences", self.sentences_in_order, self.sentences_total),
            ("table rows", self.rows_ok, self.rows_total),
            ("markers", self.markers_ok, self.markers_total),
            ("footers", self.footers_ok, self.footers_total),
            ("footnotes", self.notes_ok, self.notes_total),
        ]
        out += [f"{name} {ok}/{total}" for name, ok, total in checks if ok < total]
        if self.markers_glued:
            out.append(f"{self.markers_glued} marker(s) glued to the figure after")
        if self.pages != self.pages_expected:
            out.append(f"pages {self.pages}/{self.pages_expected}")
        return out


def _is_page_number(line: str) -> bool:
    return bool(PAGE_NUMBER.match(line.strip()))


def source_chars(text: str) -> Counter[str]:
    """Non-whitespace characters of a text, without its page-number lines ("-3-")."""
    return Counter("".join(squeeze(line) for line in text.split("\n") if not _is_page_number(line)))


def sentences(built: BuiltPdf) -> list[str]:
    """The source's sentences (to "。", whitespace removed) before the table, without the footnote
    bodies that went to page bottoms and without page-number lines."""
    lines = built.source.split("\n")
    end = next((i for i, line in enumerate(lines) if line.strip().startswith("序号")), len(lines))
    prose = "".join(squeeze(line) for line in lines[:end] if not _is_page_number(line))
    for number, body in built.footnote_bodies:
        prose = prose.replace(number + squeeze(body), "", 1)
    return [s for s in re.findall(r"[^。]*。", prose) if s]


def compare_text(built: BuiltPdf, text: str) -> Comparison:
    """Compare an extraction of `built` with what was laid out (see Comparison)."""
    cmp = Comparison()
    pages = text.split("\n\f")
    lines = [line for line in text.replace("\f", "\n").split("\n")]
    body_lines = [line for line in lines if not _is_page_number(line)]

    src = source_chars(built.source)
    out = Counter("".join(squeeze(line) for line in body_lines))
    cmp.chars_total = sum(src.values())
    cmp.chars_kept = sum((src & out).values())
    cmp.missing = src - out
    cmp.extra = out - src

    flat = "".join(squeeze(line) for line in body_lines)
    for number, body in built.footnote_bodies:
        flat = flat.replace(number + squeeze(body), "", 1)
    at = 0
    wanted = sentences(built)
    cmp.sentences_total = len(wanted)
    for sentence in wanted:
        found = flat.find(sentence, at)
        if found < 0:
            if len(cmp.sentence_problems) < 5:
                where = "elsewhere" if sentence in flat else "nowhere"
                cmp.sentence_problems.append(f"{sentence[:40]} ({where})")
            continue
        cmp.sentences_in_order += 1
        at = found + len(sentence)

    normal = [" ".join(line.split()) for line in lines]
    at = 0
    cmp.rows_total = len(built.table_rows)
    for row in built.table_rows:
        start = at
        ok = True
        for cells in row.lines:
            want = " ".join(cells)
            try:
                start = normal.index(want, start) + 1
            except ValueError:
                ok = False
                if len(cmp.row_problems) < 5:
                    cmp.row_problems.append(f"no line {want!r}")
                break
        if ok:
            cmp.rows_ok += 1
            at = start

    squeezed = [squeeze(line) for line in body_lines]
    filled = [i for i, line in enumerate(squeezed) if line]
    cmp.markers_total = len(built.markers)
    for marker in built.markers:
        ok = False
        for k, i in enumerate(filled[1:-1], start=1):
            before = "".join(squeezed[j] for j in filled[max(0, k - 2) : k])
            after = "".join(squeezed[j] for j in filled[k + 1 : k + 3])
            if squeezed[i] == marker.number and before.endswith(marker.before) and after.startswith(marker.after):
                ok = True
                break
        cmp.markers_ok += ok
        glued = marker.number + marker.after
        if marker.after[:1].isdigit() and any(glued in token for line in lines for token in line.split()):
            cmp.markers_glued += 1
        if not ok and len(cmp.marker_problems) < 5:
            cmp.marker_problems.append(f"{marker.before}[{marker.number}]{marker.after} not on a line of its own")

    cmp.pages_expected = len(built.pages)
    cmp.pages = len(pages)
    for page in built.pages:
        if page.footer is not None:
            cmp.footers_total += 1
            chunk = pages[page.number - 1].split("\n") if page.number <= len(pages) else []
            last = next((line.strip() for line in reversed(chunk) if line.strip()), "")
            if last == page.footer:
                cmp.footers_ok += 1
            elif len(cmp.footer_problems) < 5:
                cmp.footer_problems.append(f"page {page.number}: last line {last[:30]!r}, not {page.footer!r}")
        if page.notes:
            cmp.notes_total += len(page.notes)
            chunk = pages[page.number - 1].split("\n") if page.number <= len(pages) else []
            body = "".join(squeeze(line) for line in chunk if not _is_page_number(line))
            tail = "".join(number + squeeze(text) for number, text in page.notes)
            if body.endswith(tail):
                cmp.notes_ok += len(page.notes)
            elif len(cmp.note_problems) < 5:
                cmp.note_problems.append(f"page {page.number}: footnotes {[n for n, _ in page.notes]} not at the end")
    return cmp
