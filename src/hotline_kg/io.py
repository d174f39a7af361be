"""File reading and writing shared by the pipeline steps: CSV tables read with each fault named
by file and line (``read_table``), files written whole or not at all (``write_atomic``)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: How a step reports a fault in a file: an exception made from the file, its line (None: the
#: whole file) and a message (``extract.errors.ReportError``, ``rdf.errors.BuildError``).
Fault = Callable[[Path, int | None, str], Exception]
#: A table: its columns, and its rows each with the line it starts on.
Table = tuple[list[str], list[tuple[int, dict[str, str]]]]


def read_table(
    path: Path, fault: Fault, missing: str = "missing"
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The columns of a CSV table (UTF-8, a header line first) and its rows, each with the line
    it starts on; blank lines are skipped. Every fault is raised as ``fault(path, line, message)``:
    a file that is not there (``missing``) or cannot be read, bytes that are not UTF-8, broken
    quoting, no header, a row with another number of cells than the header."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise fault(path, None, missing) from exc
    except OSError as exc:
        raise fault(path, None, f"cannot read the file: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fault(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if not header:
            raise fault(path, 1, "no header line")
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells:
                continue
            if len(cells) != len(header):
                raise fault(path, line, f"{len(cells)} cells in a row of a table of {len(header)} columns")
            rows.append((line, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise fault(path, reader.line_num or 1, f"not a well-formed CSV table: {exc}") from exc
    return header, rows


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place,
    so a failed run never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
