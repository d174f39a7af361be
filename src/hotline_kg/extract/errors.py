"""The one error type of extraction: it names the file and, where known, the line."""

from __future__ import annotations

from pathlib import Path


class ReportError(Exception):
    """A report that cannot be read or understood."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"
