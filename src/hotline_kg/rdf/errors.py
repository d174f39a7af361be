"""The one error type of the build: it names the file and, where known, the row.

``read_table`` reads the build's CSV tables so that every fault of one (bytes that are not
UTF-8, broken quoting, a row with more or fewer cells than columns) is such an error, with
the line it is on."""

from __future__ import annotations

from pathlib import Path

from hotline_kg.io import read_table as table_reader


class BuildError(Exception):
    """Input the build cannot turn into a graph; nothing is written."""

    def __init__(self, path: Path | str, row: int | None, message: str) -> None:
        self.path = str(path)
        self.row = row
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.row}" if self.row else self.path
        return f"{where}: {self.message}"


def read_table(path: Path, missing: str = "missing") -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The columns and rows (each with its line) of a CSV table the build reads; every fault a
    ``BuildError`` naming the file and line (``io.read_table``)."""
    return table_reader(path, BuildError, missing)
