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
from dataclasses import dataclass
from pathlib import Path

from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.report import Extraction, extract_file, kept_text
from hotline_kg.extract.unclaimed import Number

SOURCES = "sources.csv"
ACCEPTED = "accepted-numbers.csv"
ACCEPTED_COLUMNS = ("file", "line", "column", "number", "reason")


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
    path = raw / SOURCES
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ReportError(path, None, f"cannot read the list of reports: {exc.strerror}") from exc
    found = []
    for n, row in enumerate(rows, 2):
        year, file = (row.get("year") or "").strip(), (row.get("file") or "").strip()
        if not year.isdigit() or not file:
            raise ReportError(path, n, "each row needs a year and a file")
        found.append((int(year), raw / file))
    return found


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
    problems = []
    for year, path in reports(raw):
        text = kept_text(path, year) if path.suffix.lower() == ".pdf" else path
        if not text.exists():
            problems.append(f"{path}: its text is not kept beside it yet (run `hotline-kg extract {raw}`)")
            continue
        result = extract_file(text)
        if result.year != year:
            problems.append(f"{text}: a report of {result.year}, listed as {year} in {raw / SOURCES}")
        for n in refused(result, accepted):
            problems.append(
                f"{result.path}:{n.line}:{n.column + 1}: unclaimed number {n.text} "
                f"(read it with a rule, or accept it in {raw / ACCEPTED} with a reason)"
            )
    return problems
