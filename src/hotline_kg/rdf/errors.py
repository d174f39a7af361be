"""The one error type of the build: it names the file and, where known, the row.

``read_table`` reads the build's CSV tables so that every fault of one (bytes that are not
UTF-8, broken quoting, a row with more or fewer cells than columns) is such an error, with
the line it is on."""

from __future__ import annotations

import csv
import io
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


def read_table(path: Path, missing: str = "missing") -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The columns of a CSV table (UTF-8, a header line first) and its rows, each with the line
    it starts on; blank lines are skipped. ``missing`` is the message for a file that is not there."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BuildError(path, None, missing) from exc
    except OSError as exc:
        raise BuildError(path, None, f"cannot read the file: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BuildError(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if not header:
            raise BuildError(path, 1, "no header line")
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells:
                continue
            if len(cells) != len(header):
                raise BuildError(path, line, f"{len(cells)} cells in a row of a table of {len(header)} columns")
            rows.append((line, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise BuildError(path, reader.line_num or 1, f"not a well-formed CSV table: {exc}") from exc
    return header, rows
