"""A report PDF's text, laid out the way the report texts in data/raw are: one visual line a line.

Library: pdfplumber (MIT, on pdfminer.six), measured against pdfminer.six's own layout analysis in
bench/pdf_libraries.py (results in bench/results/pdf-libraries.md). pdfminer.six groups text into
boxes and reads a table column by column, so a topic row's cells come apart; pdfplumber gives each
word with its position and font size, and its lines keep a row's cells together. Neither keeps a
superscript footnote marker apart from the figure after it ("反映¹7592.4" comes out "反映17592.4"),
so the lines are put together here from pdfplumber's words (split where the font size changes):
words on one baseline make a line, left to right, one space between words; a word that is smaller
than and raised above a word next to it is a footnote marker and gets a line of its own, where it
stands, as in the report texts. Lines go top to bottom: a page in two text columns would be read
across both columns, which the reports do not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from hotline_kg.extract.errors import ReportError

SUPERSCRIPT_RATIO = 0.8  # a marker's font is at most this size of its neighbour's
SUPERSCRIPT_RISE = 0.15  # and its baseline is raised by more than this part of the neighbour's size
SAME_LINE = 0.3  # words whose baselines differ by less than this part of their size share a line

Word = dict[str, Any]


def pdf_text(path: Path) -> str:
    """The text of the PDF at `path`: pages separated by "\\f", each visual line on a line of its own
    (a table row's cells left to right, one space apart), footnote markers on lines of their own.

    Raises ReportError for a file that is not a PDF, an encrypted PDF that needs a password, and a
    PDF with no text layer (a scan)."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise ReportError(path, None, "not a PDF: the file does not start with a %PDF- header")
    try:
        with pdfplumber.open(path) as pdf:
            pages = [_page_text(page) for page in pdf.pages]
    except PdfminerException as e:
        cause = e.args[0] if e.args else e
        if isinstance(cause, PDFPasswordIncorrect):
            raise ReportError(path, None, "encrypted PDF: it opens only with a password; save it without one") from e
        raise ReportError(path, None, f"unreadable PDF: {cause!r}") from e
    if not any(page.strip() for page in pages):
        raise ReportError(
            path, None, f"no text layer in {len(pages)} page(s): a scanned PDF needs OCR before it can be read"
        )
    return "\f".join(pages)


def _page_text(page: pdfplumber.page.Page) -> str:
    words = page.dedupe_chars().extract_words(extra_attrs=["size"])
    hosts = {id(w): host for w in words if (host := _marker_host(w, words)) is not None}
    lines = _lines([w for w in words if id(w) not in hosts])
    line_of = {id(w): line for line in lines for w in line}
    for word in words:
        if id(word) in hosts:
            line = line_of.get(id(hosts[id(word)]))
            if line is None:  # its neighbour is a marker too
                lines.append(line := [])
            line.append(word)
    out = []
    for line in sorted(lines, key=lambda line: min(w["bottom"] for w in line)):
        text = ""
        for word in sorted(line, key=lambda w: w["x0"]):
            if id(word) in hosts:
                text += ("\n" if text and not text.endswith("\n") else "") + word["text"] + "\n"
            else:
                text += (" " if text and not text.endswith("\n") else "") + word["text"]
        out.append(text.rstrip("\n"))
    return "\n".join(out)


def _marker_host(word: Word, words: list[Word]) -> Word | None:
    """The word that `word` is a superscript of: smaller than it, raised above its baseline and
    touching it on the left or right; None for an ordinary word."""
    size = word["size"]
    for other in words:
        big = other["size"]
        if size > SUPERSCRIPT_RATIO * big or word["bottom"] > other["bottom"] - SUPERSCRIPT_RISE * big:
            continue
        if word["bottom"] < other["top"]:  # above the line, not raised within it
            continue
        if abs(word["x0"] - other["x1"]) < 0.5 * big or abs(other["x0"] - word["x1"]) < 0.5 * big:
            return other
    return None


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped by baseline (their bottoms, within a part of the font size)."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w["bottom"], w["x0"])):
        if lines and word["bottom"] - lines[-1][0]["bottom"] < SAME_LINE * min(word["size"], lines[-1][0]["size"]):
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines
