"""The one error type of the build: it names the file and, where known, the row."""

from __future__ import annotations

from pathlib import Path


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
