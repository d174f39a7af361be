"""The raw folder (data/raw): the reports it lists, and the numbers accepted as unclaimed.

``sources.csv`` lists each report by its file, a text (.txt) or a PDF (.pdf);
the text extracted from a PDF is kept beside it as ``<year>.txt``, so that
source lines stay citable. ``accepted-numbers.csv`` beside it lists numbers
that no rule reads, each with the reason a person gave for letting the report
in without them; `hotline-kg build` refuses a report with any other unclaimed
number.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.report import Extraction, extract_file, kept_text
from hotline_kg.extract.unclaimed import Number
from hotline_kg.io import read_table

SOURCES = "sources.csv"
ACCEPTED = "accepted-numbers.csv"
ACCEPTED_COLUMNS = ("file", "line", "column", "number", "reason")
YEAR_RE = re.compile(r"[0-9]{4}")
#: The columns of sources.csv the build describes each report by.
SOURCE_COLUMNS = ("year", "file", "sha256", "title_zh", "title_en", "publisher_zh", "publisher_en")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Accepted:
    """An unclaimed number let in on purpose: where it is, and why."""

    file: str
    line: int
    column: int
    number: str
    reason: str


def reports(raw: Path) -> list[tuple[int, Path]]:
    """(year, file) of each report sources.csv lists, in its order."""
    return [(year, file) for _, year, file in listed(raw)]


def listed(raw: Path) -> list[tuple[int, int, Path]]:
    """(line in sources.csv, year, file) of each report it lists, in its order."""
    return [(line, int(row["year"].strip()), raw / row["file"].strip()) for line, row in _sources(raw)]


def _sources(raw: Path) -> list[tuple[int, dict[str, str]]]:
    """The rows of sources.csv with their lines; each has a year and a file."""
    path = raw / SOURCES
    _, rows = read_table(path, ReportError, "missing: it lists the reports to read")
    for line, row in rows:
        year, file = (row.get("year") or "").strip(), (row.get("file") or "").strip()
        if not YEAR_RE.fullmatch(year) or not file:
            raise ReportError(path, line, "each row needs a year and a file")
    return rows


def _source_problems(row: dict[str, str]) -> list[str]:
    """What is wrong with a row of sources.csv for the build, which describes each report by it."""
    problems = [f"empty {column}" for column in SOURCE_COLUMNS if not (row.get(column) or "").strip()]
    if not SHA256_RE.fullmatch(row.get("sha256") or ""):
        problems.append(f"sha256 “{row.get('sha256')}” is not 64 hexadecimal digits")
    problems += [f"{column} holds a control character" for column, cell in row.items() if CONTROL_RE.search(cell)]
    return problems


def read_accepted(raw: Path) -> list[Accepted]:
    """The accepted unclaimed numbers (none if the file does not exist); every row needs a reason."""
    path = raw / ACCEPTED
    if not path.exists():
        return []
    found = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != ACCEPTED_COLUMNS:
            raise ReportError(path, 1, f"columns must be {','.join(ACCEPTED_COLUMNS)}")
        for row in reader:
            if not row["reason"] or not row["reason"].strip():
                raise ReportError(path, reader.line_num, "an accepted number needs a reason")
            try:
                found.append(
                    Accepted(row["file"], int(row["line"]), int(row["column"]), row["number"], row["reason"].strip())
                )
            except ValueError as exc:
                raise ReportError(path, reader.line_num, "line and column must be whole numbers") from exc
    return found


def refused(result: Extraction, accepted: list[Accepted]) -> list[Number]:
    """The unclaimed numbers of a report that no accepted row lets in."""
    allowed = {(a.file, a.line, a.column, a.number) for a in accepted}
    name = result.path.name
    return [n for n in result.unclaimed if (name, n.line, n.column + 1, n.text) not in allowed]


def check(raw: Path) -> list[str]:
    """Extract every listed report and name each number that blocks the build: ``[]`` when all are in."""
    accepted = read_accepted(raw)
    sources = raw / SOURCES
    problems = [f"{sources}:{line}: {problem}" for line, row in _sources(raw) for problem in _source_problems(row)]
    for line, year, path in listed(raw):
        text = kept_text(path, year) if path.suffix.lower() == ".pdf" else path
        if not text.exists():
            problems.append(
                f"{sources}:{line}: {path}: its text is not kept beside it yet (run `hotline-kg extract {raw}`)"
            )
            continue
        try:
            result = extract_file(text, year)  # the listed year, for a text that states no period
        except ReportError as err:  # a report that cannot be read: where it is wrong, else where it is listed
            problems.append(str(err) if err.line else f"{sources}:{line}: {err}")
            continue
        if result.year != year:
            problems.append(f"{sources}:{line}: {text} is a report of {result.year}, listed as {year}")
        for n in refused(result, accepted):
            problems.append(
                f"{result.path}:{n.line}:{n.column + 1}: unclaimed number {n.text} "
                f"(read it with a rule, or accept it in {raw / ACCEPTED} with a reason)"
            )
    return problems
