"""The input files of the embedded store, read as streams within limits: the largest input file
(``max_input``, the ``max_input`` setting), gzip bombs refused as they are read, line-based files
bulk-loaded in pieces (``load_store``)."""

from __future__ import annotations

import contextlib
import gzip
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from hotline_kg.formats import INPUT_FORMATS
from hotline_kg.progress import Reading
from hotline_kg.server.settings import env_name, read


def input_size(path: Path) -> int:
    """About how many bytes ``path`` holds once decompressed: a gzip file's size field (modulo
    4 GiB, so never taken below three times the compressed size), or the file's size."""
    size = path.stat().st_size
    if not path.name.endswith(".gz") or size < 18:
        return size
    with path.open("rb") as f:
        f.seek(-4, os.SEEK_END)
        return max(struct.unpack("<I", f.read(4))[0], 3 * size)


#: The environment variable of the largest input file, in bytes once decompressed (``max_input``).
MAX_INPUT_ENV = env_name("max_input")
#: Its default: 8 GiB of RDF text per file. Far above the largest graph benchmarked
#: (bench/results/synthetic-1m.md, a million observations), and about as much as an on-disk store
#: loads in a start that a person would still wait for; a larger graph needs the setting raised.
MAX_INPUT = 8 << 30
#: Under the default limit, a gzip file whose text is more than this many times the compressed
#: bytes read is refused as a gzip bomb, once past ``RATIO_FROM`` bytes of text. Deflate reaches
#: about a thousand to one (a run of one byte); RDF text compresses about twenty to thirty to one
#: (measured on the build's dumps and on the benchmark's synthetic cube); a bomb made with the
#: fastest setting of zlib still passes two hundred to one. Setting ``MAX_INPUT_ENV`` turns this
#: off: the limit given is then the only one.
MAX_RATIO = 100
#: Files of up to this many bytes of text are never refused for their ratio (a small file of one
#: triple repeated compresses far better than RDF does, and costs little).
RATIO_FROM = 16 << 20


class InputTooLarge(ValueError):
    """An input file holds more text than the largest input allowed, or is a gzip bomb."""


def max_input() -> tuple[int, bool]:
    """The largest input file, in bytes of text, and whether it was set: the ``max_input``
    setting (``$HOTLINE_KG_MAX_INPUT``), else ``MAX_INPUT``."""
    given = read("max_input")
    return (MAX_INPUT, False) if given is None else (given, True)


class _Bounded:
    """A gzip file's text as a stream that stops with ``InputTooLarge`` past ``limit`` bytes, or
    (``ratio``) past ``MAX_RATIO`` times the compressed bytes read so far: a gzip bomb is refused
    after a few MB, before the parser or the store hold much of it. Only the text read is counted:
    the size in the gzip trailer is modulo 4 GiB, and a file may lie in it."""

    def __init__(self, path: Path, raw: IO[bytes], limit: int, ratio: bool, in_memory: int | None) -> None:
        self.path, self.raw, self.limit, self.ratio, self.in_memory = path, raw, limit, ratio, in_memory
        self.text = gzip.GzipFile(fileobj=raw, mode="rb")
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # all of it: in pieces, each counted
            parts = []
            while part := self.read(PIECE):
                parts.append(part)
            return b"".join(parts)
        data = self.text.read(size)
        self.count += len(data)
        if self.count > self.limit:
            raise InputTooLarge(
                f"{self.path}: more than {self.limit} bytes once decompressed, the largest input allowed "
                f"(${MAX_INPUT_ENV}); refused"
            )
        if self.in_memory is not None and self.count > self.in_memory:
            raise PastMemory(f"{self.path}: more than {self.in_memory} bytes once decompressed")
        packed = max(self.raw.tell(), 1)
        if self.ratio and self.count > RATIO_FROM and self.count > MAX_RATIO * packed:
            raise InputTooLarge(
                f"{self.path}: a gzip bomb? {self.count} bytes of text from the first {packed} bytes of the "
                f"file, more than {MAX_RATIO} to one (RDF compresses far less); refused (if it is RDF, "
                f"set {MAX_INPUT_ENV} to the size of its text)"
            )
        return data

    def close(self) -> None:
        self.text.close()
        self.raw.close()

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_input(path: Path, in_memory: int | None = None) -> IO[bytes]:
    """The text of an input file, read as a stream, at most the largest input allowed
    (``max_input()``; else InputTooLarge) and, if given, ``in_memory`` bytes (else ``PastMemory``):
    a gzip file decompressed as it is read, and refused as a bomb (``MAX_RATIO``) unless the limit
    was set; a larger plain file refused at once."""
    limit, given = max_input()
    if not path.name.endswith(".gz"):
        size = path.stat().st_size
        if size > limit:
            raise InputTooLarge(
                f"{path}: {size} bytes, more than {limit}, the largest input allowed (${MAX_INPUT_ENV}); refused"
            )
        if in_memory is not None and size > in_memory:
            raise PastMemory(f"{path}: {size} bytes")
        return path.open("rb")
    return _Bounded(path, path.open("rb"), limit, not given, in_memory)  # type: ignore[return-value]


class PastMemory(InputTooLarge):
    """More text than ``auto`` keeps in memory: the store goes on disk instead."""


def load_store(
    paths: Iterable[Path],
    location: Path | None = None,
    named: Iterable[tuple[str, Path]] = (),
    in_memory_up_to: int | None = None,
) -> ox.Store:
    """A store with the given RDF files (Turtle, N-Triples, N-Quads, gzipped or not), in memory or
    on disk at ``location``; ``named`` files of triples go into the named graph given with each.
    Files are read as streams, never whole into memory, each at most the largest input allowed
    (``max_input``; InputTooLarge) or ``in_memory_up_to`` bytes (``PastMemory``)."""
    store = ox.Store(str(location)) if location is not None else ox.Store()
    sources = [(path, None) for path in paths] + [(path, ox.NamedNode(iri)) for iri, path in named]
    for path, graph in sources:
        fmt = INPUT_FORMATS.get(path.name.removesuffix(".gz").rsplit(".", 1)[-1].lower())
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF format (use {', '.join(INPUT_FORMATS)}, gzipped or not)")
        if graph is not None and fmt.supports_datasets:
            raise ValueError(f"{path}: a file of quads cannot go into one named graph")
        target = {} if graph is None else {"to_graph": graph}
        try:
            with _open_input(path, in_memory_up_to) as opened, _shown(opened, path) as stream:
                if location is None:  # in memory, `load` peaks lower than `bulk_load`
                    store.load(stream, format=fmt, **target)
                elif fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                    _bulk_load_in_pieces(store, stream, fmt, target)
                else:
                    store.bulk_load(stream, format=fmt, **target)
        except SyntaxError as err:
            raise ValueError(f"{path}: {err}") from err
        except (OSError, EOFError) as err:  # a damaged gzip file
            raise ValueError(f"{path}: cannot be read ({err})") from err
        except MemoryError as err:  # the parser's buffer: a term or a line longer than it takes
            raise ValueError(f"{path}: cannot be read ({err}: a term or line too long)") from err
    return store


#: Files of this many bytes of text or more show their loading on a terminal (``progress``).
SHOWN_FROM = 16 << 20


@contextlib.contextmanager
def _shown(stream: IO[bytes], path: Path) -> Iterator[IO[bytes]]:
    """The stream, its reading shown on a terminal if the file is large (``SHOWN_FROM``); a line
    left unfinished by an error is ended before the error is told."""
    size = input_size(path)
    if size < SHOWN_FROM:
        yield stream
        return
    reading = Reading(stream, f"loading {path}", size)
    try:
        yield reading  # type: ignore[misc]
    finally:
        reading.stop()


#: Line-based files go into an on-disk store in pieces of about this many bytes, cut at line
#: ends. Oxigraph's bulk loader keeps what it is given sorted in memory before writing it: in
#: pieces, 16 million triples load in 250 MB instead of 1700 MB, and sooner (measured: 47 s vs 50 s).
PIECE = 16 << 20


def _bulk_load_in_pieces(store: ox.Store, stream: IO[bytes], fmt: ox.RdfFormat, target: dict[str, object]) -> None:
    """Bulk-load an N-Triples or N-Quads stream piece by piece. A blank node label names one node
    only within one load, so from the first piece that holds a blank node on, the rest of the
    file goes in as one (a label in an earlier piece would have held a blank node too)."""
    carry, line = b"", 1
    while True:
        block = stream.read(PIECE)
        data = carry + block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        piece, carry = data[:cut], data[cut:]
        if b"_:" in piece:
            store.bulk_load(_Joined(piece + carry, stream), format=fmt, **target)  # type: ignore[arg-type]
            return
        try:
            if piece.strip():
                store.bulk_load(piece, format=fmt, **target)  # type: ignore[arg-type]
        except SyntaxError as err:  # its line numbers count from the piece's first line
            raise SyntaxError(f"in the lines from line {line} on: {err}") from err
        if not block:
            return
        line += piece.count(b"\n")


class _Joined:
    """A binary stream: ``head``, then what is left of ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            taken = self.head if size < 0 else self.head[:size]
            self.head = self.head[len(taken) :]
            return taken
        return self.rest.read(size)
