"""Progress of long work (loading a large graph, compacting a store): one line on the terminal,
rewritten in place, and its time once done. Nothing at all when standard error is not
a terminal (CI, logs, pipes), so that output stays what it was.

>>> import io
>>> quiet = io.StringIO()  # not a terminal
>>> with step("compacting", quiet):
...     pass
>>> quiet.getvalue()
''
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

#: Seconds between two rewrites of the line.
EVERY = 0.25


class Progress:
    """One piece of work's line: ``label``, and how far it is when its ``total`` is known."""

    def __init__(self, label: str, total: int | None = None, stream: IO[str] | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream if stream is not None else sys.stderr
        self.on = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self.shown = time.monotonic()
        self._write(f"{label} …")

    def update(self, done: int) -> None:
        """``done`` units of ``total`` are done (shown at most every ``EVERY`` seconds)."""
        now = time.monotonic()
        if not self.on or now - self.shown < EVERY:
            return
        self.shown = now
        share = f" {min(100, 100 * done // self.total)} %" if self.total else ""
        self._write(f"{self.label} …{share} ({_size(done)})")

    def finish(self, verb: str = "done") -> None:
        self._write(f"{self.label}: {verb} in {time.monotonic() - self.started:.1f} s\n")

    def abandon(self) -> None:
        """End the line where it stands, so that what is printed next (an error) has its own."""
        if self.on:
            self.stream.write("\n")
            self.stream.flush()

    def _write(self, text: str) -> None:
        if self.on:
            self.stream.write("\r\x1b[K" + text)
            self.stream.flush()


@contextmanager
def step(label: str, stream: IO[str] | None = None) -> Iterator[Progress]:
    """A piece of work with a line of its own on a terminal, and its time once done."""
    progress = Progress(label, stream=stream)
    try:
        yield progress
    except BaseException:
        progress.abandon()
        raise
    progress.finish()


class Reading:
    """A binary stream whose reading is shown as progress: ``total`` bytes expected."""

    def __init__(self, raw: IO[bytes], label: str, total: int, stream: IO[str] | None = None) -> None:
        self.raw, self.read_so_far, self.ended = raw, 0, False
        self.progress = Progress(label, total, stream)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.ended:
            return data
        self.read_so_far += len(data)
        self.progress.update(self.read_so_far)
        if not data:
            self.ended = True
            self.progress.finish("read")
        return data

    def stop(self) -> None:
        """End a line left unfinished (the reader stopped on an error), so the error has its own."""
        if not self.ended:
            self.ended = True
            self.progress.abandon()

    def close(self) -> None:
        self.stop()
        self.raw.close()

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
