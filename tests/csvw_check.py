"""Checking CSV on the Web with the csvw package, for the facts tables and the tidy downloads."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import csvw


class Log:
    """Collects what the csvw package logs while reading a table strictly."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def warning(self, message: str) -> None:
        self.messages.append(message)


def csvw_problems(metadata: Path) -> list[str]:
    """Everything the csvw package finds wrong with the table(s) a metadata file describes:
    the warnings of its validator (as `csvwvalidate` reports them), every cell that does not
    read strictly by its column's datatype, format and null rules (file:line:column), and a
    header that is not the columns' titles in order."""
    try:
        validator = csvw.CSVW(str(metadata), validate=True)
        problems = [] if validator.is_valid else [str(w.message) for w in validator.warnings]
        group = "tables" in json.loads(metadata.read_text(encoding="utf-8"))
        tables = csvw.TableGroup.from_file(metadata).tables if group else [csvw.Table.from_file(metadata)]
        for table in tables:
            path = metadata.parent / str(table.url)
            with path.open(encoding="utf-8", newline="") as f:
                header = next(csv.reader(f))
            titles = [c.titles.getfirst() for c in table.tableSchema.columns if not c.virtual]
            if header != titles:
                problems.append(f"{path.name}: header {header} is not {titles}")
            log = Log()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for _ in table.iterdicts(log=log, strict=True):
                    pass
            problems += log.messages + [str(w.message) for w in caught]
    except ValueError as exc:  # e.g. a required column missing from the header
        return [str(exc)]
    return problems


def change_cell(table: Path, row: int, column: str, value: str) -> None:
    """Rewrite one cell of a CSV file (row 0 is the header)."""
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[row][rows[0].index(column)] = value
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
