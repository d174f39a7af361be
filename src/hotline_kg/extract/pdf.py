"""A report PDF's text, laid out as the report texts in data/raw are: one visual line a line.

Library: pdfplumber (MIT; it reads PDFs with pdfminer.six, also MIT), chosen by measuring both on
PDFs built from the real reports (bench/pdf_libraries.py, bench/results/pdf-libraries.md).
pdfminer.six's layout analysis groups text into boxes and reads the monthly-topic table box by
box, one column after another, so a row's cells come apart; pdfplumber gives each word with its
position and font size, and a line built from the words on one baseline keeps a row's cells
together, left to right. Neither library keeps a superscript footnote marker apart from the figure
after it ("反映¹N" comes out "反映1N"), so the lines are put together here from
pdfplumber's words, split where the font size changes: words on one baseline make a line, left to
right, one space between words; a word smaller than and raised above a word it touches is a
footnote marker, and gets a line of its own where it stands, as in the report texts. Lines go top
to bottom across the whole page: a page set in two text columns would be read across both columns
(the reports have none).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.page import Page
from pdfplumber.utils.exceptions import PdfminerException

from hotline_kg.extract.errors import ReportError

#: What pdfminer prints for a glyph its font cannot map to Unicode: never a report's text.
UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
SUPERSCRIPT_RATIO = 4 / 5  # a marker's font is at most this part of its neighbour's
SUPERSCRIPT_RISE = 0.15  # and its bottom is above its neighbour's by more than this part of that size
SAME_LINE = 0.3  # words whose bottoms differ by less than this part of their font size share a line

Word = dict[str, Any]


def pdf_text(path: Path) -> str:
    """The text of the PDF at `path`: each page after the first starts with a form feed, each
    visual line on a line of its own (a table row's cells left to right, one space apart),
    footnote markers on lines of their own.

    Raises ReportError for a file that is not a PDF, a PDF that is encrypted with a password, a PDF
    that cannot be parsed, and a PDF with no text layer (a scan)."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise ReportError(path, None, "not a PDF: no %PDF- header at the start of the file")
    try:
        with pdfplumber.open(path) as pdf:
            pages = [_page_text(page) for page in pdf.pages]
    except (PdfminerException, PSException) as e:
        cause = e.args[0] if isinstance(e, PdfminerException) and e.args else e
        if isinstance(cause, PDFPasswordIncorrect):
            raise ReportError(path, None, "encrypted PDF: it opens only with a password; save it without one") from e
        raise ReportError(path, None, f"unreadable PDF: {cause!r}") from e
    if not any(pages):
        raise ReportError(
            path, None, f"no text layer in its {len(pages)} page(s): a scanned PDF needs OCR before it can be read"
        )
    for number, page in enumerate(pages, 1):
        if m := UNMAPPED_GLYPH.search(page):
            raise ReportError(
                path,
                None,
                f"page {number}: a font without a Unicode map (pdfminer gives “{m.group()}” instead of text); "
                "export the PDF again with embedded Unicode fonts, or extract its text another way",
            )
    return "\n\f".join(pages)


def _page_text(page: Page) -> str:
    words = page.dedupe_chars().extract_words(extra_attrs=["size"])
    hosts = _marker_hosts(words)
    lines = _lines([w for w in words if id(w) not in hosts])
    line_of = {id(w): line for line in lines for w in line}
    for word in words:
        if id(word) in hosts:
            line_of[id(hosts[id(word)])].append(word)
    out = []
    for line in lines:
        text = ""
        for word in sorted(line, key=lambda w: w["x0"]):
            if id(word) in hosts:
                text += ("\n" if text and not text.endswith("\n") else "") + word["text"] + "\n"
            else:
                text += (" " if text and not text.endswith("\n") else "") + word["text"]
        out.append(text.rstrip("\n"))
    return "\n".join(out)


def _marker_hosts(words: list[Word]) -> dict[int, Word]:
    """For each footnote marker (by id), the ordinary word it is a superscript of: a word that is
    bigger, whose bottom is lower by part of its size, whose height the marker overlaps, and that
    touches the marker on the left or right."""
    if not words:
        return {}
    biggest = max(w["size"] for w in words)
    small = [w for w in words if w["size"] <= SUPERSCRIPT_RATIO * biggest]
    hosts: dict[int, Word] = {}
    for word in small:
        for other in words:
            big = other["size"]
            if word["size"] > SUPERSCRIPT_RATIO * big:
                continue
            if not other["top"] <= word["bottom"] < other["bottom"] - SUPERSCRIPT_RISE * big:
                continue
            if abs(word["x0"] - other["x1"]) < big / 2 or abs(other["x0"] - word["x1"]) < big / 2:
                hosts[id(word)] = other
                break
    return {marker: host for marker, host in hosts.items() if id(host) not in hosts}


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped by baseline (their bottoms, within a part of the font size), top to bottom."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w["bottom"], w["x0"])):
        if lines and word["bottom"] - lines[-1][0]["bottom"] < SAME_LINE * min(word["size"], lines[-1][0]["size"]):
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines
