"""Measure PDF text libraries on PDFs built from the real report texts: which one to read report PDFs with.

    .venv/bin/python bench/pdf_libraries.py [--repeat 3] [--out bench/results/pdf-libraries.md]

For each report text in data/raw (2022, 2024) and each kind of PDF that tests/pdfs.py builds
(lines as in the text file, re-flowed prose, page footers and breaks, the monthly-topic table as a
ruled table, superscript footnote markers with bodies at the page bottom, all of them together),
every library setting below extracts the text, and tests/pdfs.compare_text checks it against the
source: non-whitespace characters kept (footer page numbers aside), sentences in order, each table
row's cells on one line in column order, footnote markers on lines of their own (not glued to the
figure after them), footers last on their page, footnote bodies at the end of their page, one
chunk per page. Time is the median of --repeat runs of one extraction of one PDF.

Libraries: pdfminer.six (its layout analysis, several LAParams, and none) and pdfplumber (its
extract_text settings, extract_text_lines, and the line assembly of hotline_kg.extract.pdf on its
words). PyMuPDF is left out (AGPL).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pdfplumber
from pdfminer.converter import TextConverter
from pdfminer.layout import LAParams
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hotline_kg.extract.pdf import pdf_text  # noqa: E402
from pdfs import KINDS, Comparison, build_pdf, compare_text  # noqa: E402

REPORTS = [ROOT / "data" / "raw" / "2022.txt", ROOT / "data" / "raw" / "2024.txt"]

Extractor = Callable[[Path], str]  # pages separated by "\f"


def pdfminer_text(laparams: LAParams | None) -> Extractor:
    def run(path: Path) -> str:
        pages = []
        with path.open("rb") as f:
            manager = PDFResourceManager()
            for page in PDFPage.get_pages(f):
                out = io.StringIO()
                device = TextConverter(manager, out, laparams=laparams)
                PDFPageInterpreter(manager, device).process_page(page)
                device.close()
                pages.append(out.getvalue().replace("\f", ""))
        return "\f".join(pages)

    return run


def plumber_text(**kwargs: object) -> Extractor:
    def run(path: Path) -> str:
        with pdfplumber.open(path) as pdf:
            return "\f".join(page.extract_text(**kwargs) for page in pdf.pages)

    return run


def plumber_lines(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\f".join("\n".join(line["text"] for line in page.extract_text_lines()) for page in pdf.pages)


def plumber_words(path: Path) -> str:
    """extract_words, one line per distinct `top` (rounded), words joined by spaces."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            lines: dict[float, list[dict]] = {}
            for word in page.extract_words():
                lines.setdefault(round(word["top"]), []).append(word)
            pages.append("\n".join(" ".join(w["text"] for w in lines[top]) for top in sorted(lines)))
    return "\f".join(pages)


SETTINGS: list[tuple[str, Extractor]] = [
    ("pdfminer.six LAParams() defaults (boxes_flow=0.5, line_margin=0.5)", pdfminer_text(LAParams())),
    ("pdfminer.six boxes_flow=None", pdfminer_text(LAParams(boxes_flow=None))),
    ("pdfminer.six boxes_flow=-1.0", pdfminer_text(LAParams(boxes_flow=-1.0))),
    ("pdfminer.six boxes_flow=1.0", pdfminer_text(LAParams(boxes_flow=1.0))),
    ("pdfminer.six line_margin=0.1", pdfminer_text(LAParams(line_margin=0.1))),
    ("pdfminer.six line_margin=2.0", pdfminer_text(LAParams(line_margin=2.0))),
    ("pdfminer.six char_margin=50, boxes_flow=None", pdfminer_text(LAParams(char_margin=50, boxes_flow=None))),
    ("pdfminer.six laparams=None", pdfminer_text(None)),
    ("pdfplumber extract_text() (x_tolerance=3, y_tolerance=3)", plumber_text()),
    ("pdfplumber extract_text(layout=True)", plumber_text(layout=True)),
    ("pdfplumber extract_text(x_tolerance=1, y_tolerance=1)", plumber_text(x_tolerance=1, y_tolerance=1)),
    ("pdfplumber extract_text(y_tolerance=8)", plumber_text(y_tolerance=8)),
    ("pdfplumber extract_text(use_text_flow=True)", plumber_text(use_text_flow=True)),
    ("pdfplumber extract_text_lines()", plumber_lines),
    ("pdfplumber extract_words(), lines by top", plumber_words),
    ("**pdfplumber extract_words(extra_attrs=[size]) + superscript lines = hotline_kg pdf_text**", pdf_text),
]


def cell(result: Comparison, seconds: float) -> str:
    broken = result.broken()
    kept = 100 * result.kept_share
    order = (
        "yes"
        if not [b for b in broken if not b.startswith("chars")]
        else "no: " + ", ".join(b for b in broken if not b.startswith("chars"))
    )
    return f"{kept:.2f}% · {order} · {seconds:.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pdf-libraries.md")
    args = parser.parse_args()

    rows: dict[str, dict[str, dict[str, str]]] = {}  # report -> setting -> kind -> cell
    totals: dict[str, dict[str, list[float]]] = {}  # report -> setting -> seconds per PDF
    examples: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for report in REPORTS:
            text = report.read_text(encoding="utf-8")
            rows[report.stem] = {name: {} for name, _ in SETTINGS}
            totals[report.stem] = {name: [] for name, _ in SETTINGS}
            for kind, options in KINDS.items():
                built = build_pdf(text, options)
                path = built.write(Path(tmp) / f"{report.stem}-{kind}.pdf")
                for name, extract in SETTINGS:
                    times = []
                    for _ in range(args.repeat):
                        start = time.perf_counter()
                        out = extract(path)
                        times.append(time.perf_counter() - start)
                    seconds = statistics.median(times)
                    result = compare_text(built, out)
                    rows[report.stem][name][kind] = cell(result, seconds)
                    totals[report.stem][name].append(seconds)
                    if report.stem == "2022" and kind == "all":
                        examples[name] = _row_example(out)
                    print(f"{report.stem} {kind:9} {seconds:6.2f}s {name[:60]:60} {result.broken()}", flush=True)
    args.out.write_text(_markdown(rows, totals, examples), encoding="utf-8")
    print(f"wrote {args.out}")


def _row_example(text: str) -> str:
    """The lines of a 2022 topic row with a wrapped name (row 3) as one setting gives them."""
    lines = text.replace("\f", "\n").split("\n")
    for i, line in enumerate(lines):
        if "居住区" in line and "电动自行车" in line and "聚焦" not in line:
            return "\n".join(lines[max(0, i - 2) : i + 6])
    return "(row not found)"


def _markdown(rows: dict, totals: dict, examples: dict[str, str]) -> str:
    kinds = list(KINDS)
    out = [
        f"# PDF text libraries on PDFs built from the report texts ({date.today()}, {os.cpu_count()} cores)",
        "",
        f"pdfminer.six {version('pdfminer.six')}, pdfplumber {version('pdfplumber')}, "
        f"reportlab {version('reportlab')}, Python {platform.python_version()}. "
        "Made by `.venv/bin/python bench/pdf_libraries.py`.",
        "",
        "PDF kinds (tests/pdfs.py `KINDS`): " + "; ".join(f"`{k}` = {_describe(o)}" for k, o in KINDS.items()) + ".",
        "",
        "Cell: non-whitespace characters kept (multiset against the source text, page-number lines "
        "aside) · order OK, or what broke (n/m = right/total: sentences in order; table rows with "
        "each visual line's cells on one line, left to right; footnote markers on a line of their "
        "own between the text around them; footers the last line of their page; footnote bodies "
        "at the end of their page; one chunk per page) · seconds for one extraction of the PDF "
        "(median of runs).",
        "",
    ]
    for report, settings in rows.items():
        out += [f"## {report}", "", "| library / setting | " + " | ".join(kinds) + " | mean s |"]
        out.append("|---" * (len(kinds) + 2) + "|")
        for name, cells in settings.items():
            mean = statistics.mean(totals[report][name])
            out.append(f"| {name} | " + " | ".join(cells[k] for k in kinds) + f" | {mean:.2f} |")
        out.append("")
    clean = [
        name
        for name, _ in SETTINGS
        if all(" · yes · " in rows[report][name][kind] for report in rows for kind in kinds)
    ]
    out += [
        "## Summary",
        "",
        "Settings that kept every character and the reading order in every kind of both reports: "
        + (", ".join(name.strip("*") for name in clean) or "none")
        + ".",
        "",
    ]
    out += ["## A 2022 topic row with a wrapped name (`all` kind), as each setting gives it", ""]
    for name, example in examples.items():
        out += [f"{name.strip('*')}:", "", "```", example, "```", ""]
    return "\n".join(out)


def _describe(options: object) -> str:
    parts = []
    width = getattr(options, "width", None)
    parts.append("text file's lines" if width is None else f"re-flowed at {width} chars")
    for flag in ("footers", "table", "footnotes"):
        if getattr(options, flag):
            parts.append(flag)
    return ", ".join(parts)


if __name__ == "__main__":
    main()
