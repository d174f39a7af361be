"""The embedded engine: Oxigraph in this process, queried in worker processes with a hard time limit.

The parent process loads the graph once into an in-memory pyoxigraph store, then
forks workers that share it copy-on-write. A query runs in a worker; if it is
not done in time, the worker is killed (the work really stops) and a fresh one
is forked, while other workers keep serving. The number of workers is the
concurrency limit. Results come back already serialised, cut at the row limit.
A large graph (``ON_DISK_ABOVE``) goes into an on-disk store instead,
which each worker opens read-only: slower to query, much smaller in memory.

Parent and worker talk over a socket pair, one length-prefixed pickle each way per query
(``_send`` / ``_receive`` in the worker, asyncio streams in the parent).

``EmbeddedEngine`` implements ``base.Engine``, the one interface the routes use; a remote
SPARQL engine (``remote.RemoteEngine``) can replace it without touching them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import gc
import gzip
import hashlib
import json
import multiprocessing as mp
import os
import pickle
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.formats import GRAPH_FORMATS, INPUT_FORMATS, SOLUTION_FORMATS
from hotline_kg.server.engine.base import (
    Answer,
    Busy,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    TooManyResults,
    Unavailable,
    types_for,
)

#: Result formats by media type, and files `load_store` reads by extension: ``hotline_kg.formats``.
FILE_FORMATS = INPUT_FORMATS


#: Above this many bytes of input (uncompressed), ``auto`` puts the store on disk and each worker
#: opens it read-only. In memory, queries are several times faster, but the store takes about
#: two to three times its N-Triples size, and not once: Oxigraph's in-memory store writes to its pages as
#: it reads them, so each forked worker soon holds a copy of its own (measured: 100k synthetic
#: observations, 460 MB in memory, 2.1 GB for the server and 4 workers after one heavy query
#: each). On disk, the workers share the operating system's page cache.
ON_DISK_ABOVE = 20_000_000


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
MAX_INPUT_ENV = "HOTLINE_KG_MAX_INPUT"
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
    """The largest input file, in bytes of text, and whether it was set: ``$HOTLINE_KG_MAX_INPUT``
    (a number of bytes, or with a K, M or G suffix: binary units), else ``MAX_INPUT``."""
    text = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not text:
        return MAX_INPUT, False
    match = re.fullmatch(r"(\d+)\s*([KMG]?)i?B?", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"{MAX_INPUT_ENV}={text}: not a number of bytes (e.g. 8G, 500M, 1000000)")
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2).upper()], True


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
            raise _PastMemory(f"{self.path}: more than {self.in_memory} bytes once decompressed")
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
    (``max_input()``; else InputTooLarge) and, if given, ``in_memory`` bytes (else ``_PastMemory``):
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
            raise _PastMemory(f"{path}: {size} bytes")
        return path.open("rb")
    return _Bounded(path, path.open("rb"), limit, not given, in_memory)  # type: ignore[return-value]


class _PastMemory(InputTooLarge):
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
    (``max_input``; InputTooLarge) or ``in_memory_up_to`` bytes (``_PastMemory``)."""
    store = ox.Store(str(location)) if location is not None else ox.Store()
    sources = [(path, None) for path in paths] + [(path, ox.NamedNode(iri)) for iri, path in named]
    for path, graph in sources:
        fmt = FILE_FORMATS.get(path.name.removesuffix(".gz").rsplit(".", 1)[-1].lower())
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF format (use {', '.join(FILE_FORMATS)}, gzipped or not)")
        if graph is not None and fmt.supports_datasets:
            raise ValueError(f"{path}: a file of quads cannot go into one named graph")
        target = {} if graph is None else {"to_graph": graph}
        try:
            with _open_input(path, in_memory_up_to) as stream:
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


# --- worker side ------------------------------------------------------------------------------

_STORE: ox.Store | None = None
#: Whether the default graph of a query is the union of all graphs: only needed when the store
#: has named graphs (the union costs Oxigraph 5–15 % on large aggregates).
_UNION = True


def _serve(sock: socket.socket, location: str | None, server: int) -> None:
    """Worker loop: answer queries from the socket until it closes. A worker of an on-disk
    store opens its own read-only handle (a database handle must not cross a fork)."""
    global _STORE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(server)
    _close_inherited(sock.fileno())
    if location is not None:
        _STORE = ox.Store.read_only(location)
    while True:
        request = _receive(sock)
        if request is None:
            return
        started = time.perf_counter()
        reply = _reply(request)  # type: ignore[arg-type]
        took = time.perf_counter() - started
        sock.sendall(_frame((reply, took)))  # and how long it took
        if took > TRIM_AFTER:
            _trim()


#: After a query that ran this long (seconds), a worker gives the memory it freed back to the
#: system: the C allocator keeps it otherwise (measured at 100k: a worker that had answered the
#: start-up queries held 200 MB, 92 MB after trimming; the server and its workers 368 MB, 261 MB).
TRIM_AFTER = 0.05


def _trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _reply(request: tuple[object, ...], counted: bool = True) -> tuple[object, ...]:
    """A query's answer, or the name and message of the error it raised."""
    try:
        return ("ok", _answer(*request, counted=counted))  # type: ignore[arg-type]
    except Exception as err:
        return ("error", type(err).__name__, str(err))


def _answer_of(reply: tuple[object, ...]) -> Answer:
    """The answer in a reply, or the engine interface's exception for its error."""
    if reply[0] == "ok":
        return reply[1]  # type: ignore[return-value]
    _, kind, message = reply
    if kind == "TooManyResults":
        raise TooManyResults(message)
    if kind == "SyntaxError":
        raise QuerySyntaxError(message)
    raise QueryFailed(message)


def _close_inherited(keep: int) -> None:
    """Close what the fork copied from the server but the worker must not hold: its clients'
    connections (held here, a connection the server closes would stay open) and listening socket."""
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))


#: A message's length, before the message (a pickle).
_LENGTH = struct.Struct("!I")


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


def _receive(sock: socket.socket) -> object | None:
    """The next message on the socket, or None once the server has closed it."""
    head = _read_exactly(sock, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(sock, _LENGTH.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _read_exactly(sock: socket.socket, n: int) -> bytes | None:
    buffer = bytearray(n)
    view, got = memoryview(buffer), 0
    while got < n:
        read = sock.recv_into(view[got:])
        if read == 0:
            return None
        got += read
    return bytes(buffer)


#: Linux prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _die_with_parent(server: int) -> None:
    """A worker (or the loader) ends with its server, even a server killed with SIGKILL: each
    worker holds a copy of the server's end of its pipe, so it would never see the pipe close.
    A server that died before the request took effect has left it another parent (init, or a
    subreaper): it ends at once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server:
        os._exit(0)


def _answer(
    query: str,
    default_graphs: tuple[str, ...],
    named_graphs: tuple[str, ...],
    solutions_type: str,
    graph_type: str,
    max_rows: int,
    base_iri: str | None,
    counted: bool = True,
) -> Answer:
    """A query's answer, serialised. ``counted=False``: the caller knows the result is within
    the row limit (it was, and the graph has not changed), so it is not counted."""
    assert _STORE is not None
    kwargs: dict[str, object] = {"base_iri": base_iri} if base_iri else {}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = _UNION
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    result = _STORE.query(query, **kwargs)  # type: ignore[arg-type]
    if isinstance(result, ox.QueryBoolean):
        fmt = SOLUTION_FORMATS[solutions_type]
        if fmt in (ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV):
            body = ("true" if bool(result) else "false").encode()
        else:
            body = result.serialize(format=fmt)
        return Answer("boolean", body, solutions_type)
    if not counted:
        if isinstance(result, ox.QuerySolutions):
            return Answer("solutions", result.serialize(format=SOLUTION_FORMATS[solutions_type]), solutions_type)
        return Answer("graph", result.serialize(format=GRAPH_FORMATS[graph_type]), graph_type)
    # Oxigraph writes the answer in a line-per-row format (TSV, N-Triples), counted as it comes
    # (``_Lines`` stops it past the row limit), then re-serialises it in the format wanted.
    if isinstance(result, ox.QuerySolutions):
        tsv = _Lines(max_rows, header=1)
        result.serialize(tsv, format=ox.QueryResultsFormat.TSV)
        body = tsv.value()
        if solutions_type != formats.SPARQL_TSV.media:
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
            body = parsed.serialize(format=SOLUTION_FORMATS[solutions_type])  # type: ignore[union-attr]
        return Answer("solutions", body, solutions_type)
    lines = _Lines(max_rows)
    result.serialize(lines, format=ox.RdfFormat.N_TRIPLES)
    body = lines.value()
    if graph_type != formats.N_TRIPLES.media:
        body = ox.serialize(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), format=GRAPH_FORMATS[graph_type])
    return Answer("graph", body, graph_type)


class _Lines:
    """A binary file Oxigraph writes an answer to: keeps it, counting lines (no line-per-row
    format puts a raw newline inside a term), and raises TooManyResults past ``most`` rows
    (the lines after ``header`` lines)."""

    def __init__(self, most: int, header: int = 0) -> None:
        self.most = most
        self.lines = -header
        self.parts: list[bytes] = []

    def write(self, chunk: bytes) -> int:
        self.lines += chunk.count(b"\n")
        if self.lines > self.most:
            raise TooManyResults(f"the result has more than {self.most} rows; add a LIMIT")
        self.parts.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


# --- parent side ------------------------------------------------------------------------------


@dataclass
class _Worker:
    """A worker process and the server's end of its socket (streams made on first use, in the loop)."""

    process: mp.process.BaseProcess
    sock: socket.socket
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def ask(self, request: tuple[object, ...], limit: float) -> tuple[tuple[object, ...], float]:
        """Send a request and wait for the reply and the seconds the worker took to make it;
        TimeoutError after ``limit`` seconds, IncompleteReadError or OSError if the worker died."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)
        assert self.reader is not None
        self.writer.write(_frame(request))
        async with asyncio.timeout(limit):
            head = await self.reader.readexactly(_LENGTH.size)
            body = await self.reader.readexactly(_LENGTH.unpack(head)[0])
        return pickle.loads(body)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        else:
            self.sock.close()


@dataclass
class Loaded:
    """The served graph, loaded: in memory, or on disk in a temporary folder."""

    store: ox.Store
    location: Path | None = None
    folder: tempfile.TemporaryDirectory[str] | None = None
    claim: int | None = None  # the lock held on the temporary folder while it is in use (``_claim``)

    def close(self) -> None:
        if self.folder is not None:
            del self.store
            self.folder.cleanup()
        if self.claim is not None:
            os.close(self.claim)
            self.claim = None


def open_store(
    files: list[Path], named: list[tuple[str, Path]], on_disk: bool | None = None, keep_in: Path | None = None
) -> Loaded:
    """Load these files (and ``named`` files, each into its named graph), in memory or, above
    ON_DISK_ABOVE bytes of input (``on_disk=None``), on disk: in a temporary folder, or in
    ``keep_in``, where the next start finds it (``kept_store``). Bad input raises ValueError
    naming the file."""
    asked = on_disk
    if on_disk is None:
        on_disk = sum(input_size(p) for p in [*files, *(p for _, p in named)]) > ON_DISK_ABOVE
    if not on_disk:
        if asked is not None:  # --store memory
            return Loaded(load_store(files, named=named))
        try:  # chosen by the sizes the files say they hold: a gzip file may lie in its trailer
            return Loaded(load_store(files, named=named, in_memory_up_to=ON_DISK_ABOVE))
        except _PastMemory:
            pass  # on disk, below (the store half loaded in memory is freed with the exception)
    if keep_in is not None:
        location = kept_store(files, named, keep_in)
        try:
            return Loaded(ox.Store.read_only(str(location)), location)
        except OSError as err:  # damaged in a way its record of its files does not show: once more
            _discard(location.parent, f"it cannot be opened: {err}", files)
            location = kept_store(files, named, keep_in)
            return Loaded(ox.Store.read_only(str(location)), location)
    sweep_stores()
    folder = tempfile.TemporaryDirectory(prefix=STORE_PREFIX)
    claim = _claim(Path(folder.name))
    location = Path(folder.name) / "store"
    try:
        _load_apart(files, named, location)
    except ValueError:
        folder.cleanup()
        os.close(claim)
        raise
    return Loaded(ox.Store.read_only(str(location)), location, folder, claim)


#: The temporary folders of on-disk stores: ``<temporary directory>/hotline-kg-store-*``.
STORE_PREFIX = "hotline-kg-store-"
#: In each, a file the server holds a lock on while it serves the store.
IN_USE = "in-use"


def _claim(folder: Path) -> int:
    """Lock a new store folder for this server (until it closes the store, or dies): a file
    locked first, then named ``IN_USE``, so that no one ever sees it unlocked before it is used."""
    making = folder / f".{IN_USE}"
    fd = os.open(making, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(making, folder / IN_USE)
    return fd


def sweep_stores(under: Path | None = None, prefix: str = STORE_PREFIX) -> list[Path]:
    """Remove the temporary store folders (``prefix*`` in ``under``, by default the temporary
    directory) of servers that were killed: their lock was released with them, and a server ended
    by a signal it cannot catch leaves its folder behind. The folders removed."""
    removed = []
    for folder in Path(under or tempfile.gettempdir()).glob(prefix + "*"):
        try:
            fd = os.open(folder / IN_USE, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue  # not one of ours, or not yet claimed
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def kept_store(files: list[Path], named: list[tuple[str, Path]], folder: Path) -> Path:
    """The on-disk store of these inputs in ``folder/store-<stamp>/``, built first if no earlier
    start built it. The stamp names the files (path, size, time of change), their named graphs
    and the Oxigraph version; the store is built in a temporary folder beside it and renamed
    when complete, so a start that finds it never sees half a store, and servers starting at
    once over the same folder each end up with the one store. Stores of other inputs are left.

    A store found there is checked against the record of its files made when it was built
    (``complete``: each file's size and times of change): one damaged since (a file changed,
    cut short, removed or added) is rebuilt from the input files, saying so on stderr."""
    inputs = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns, "") for p in files]
    inputs += [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns, iri) for iri, p in named]
    stamp = hashlib.sha256(json.dumps([ox.__version__, inputs]).encode()).hexdigest()[:16]
    target = folder / f"store-{stamp}"
    if (target / "complete").is_file():
        problem = _damage(target)
        if problem is None:
            return target / "store"
        _discard(target, problem, files)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stores(folder, BUILDING)  # of servers killed while they built a store here
        for aside in folder.glob(".damaged-*"):
            shutil.rmtree(aside, ignore_errors=True)
        building = Path(tempfile.mkdtemp(prefix=f"{BUILDING}{stamp}-", dir=folder))
        claim = _claim(building)
    except OSError as err:
        raise ValueError(f"--store-dir {folder}: {err.strerror}") from err
    try:
        _load_apart(files, named, building / "store")
        record = {"inputs": inputs, "files": _files_of(building / "store")}
        (building / "complete").write_text(json.dumps(record, indent=1) + "\n")
        os.rename(building, target)
    except OSError:  # another server finished it first, or the folder failed us
        shutil.rmtree(building, ignore_errors=True)
        if not (target / "complete").is_file():
            raise ValueError(f"--store-dir {folder}: the store could not be put in place") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    finally:
        os.close(claim)
    return target / "store"


#: The folders a kept store is built in, in ``--store-dir``, until it is complete.
BUILDING = ".building-"


#: Files of an on-disk store that may change while its data does not (RocksDB's lock file and
#: its information log): not in the record of its files.
UNRECORDED = ("LOCK", "LOG")


def _files_of(store: Path) -> dict[str, list[int]]:
    """Each file of an on-disk store: its size and times of modification and of change (which
    no one can set back: any write to the file, or a copy of it, changes it)."""
    found = {}
    for path in sorted(store.rglob("*")):
        if path.is_file() and not path.name.startswith(UNRECORDED):
            stat = path.stat()
            found[str(path.relative_to(store))] = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    return found


def _damage(target: Path) -> str | None:
    """What is wrong with a kept store (``target/store``) against the record of its files
    (``target/complete``), or None."""
    try:
        listed = json.loads((target / "complete").read_text())["files"]
        assert isinstance(listed, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return "the record of its files is unreadable, or it was built by an earlier version"
    found = _files_of(target / "store")
    for name, stat in listed.items():
        if name not in found:
            return f"{name} is missing"
        if found[name][0] != stat[0]:
            return f"{name} has {found[name][0]} bytes, not {stat[0]}"
        if found[name] != stat:
            return f"{name} was changed"
    extra = sorted(set(found) - set(listed))
    return f"{extra[0]} is not one of its files" if extra else None


def _discard(target: Path, problem: str, files: list[Path]) -> None:
    """Say that a kept store is damaged and remove it (another server may have done so first)."""
    print(
        f"warning: --store-dir {target.parent}: the kept store {target.name} is damaged ({problem}); "
        f"building it again from {', '.join(map(str, files))}",
        file=sys.stderr,
    )
    aside = target.parent / f".damaged-{target.name}-{os.getpid()}"
    try:
        os.rename(target, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _load_apart(files: list[Path], named: list[tuple[str, Path]], location: Path) -> None:
    """Bulk-load an on-disk store in a short-lived process, so the memory the load needs is
    returned when it ends instead of staying in the server (and in every forked worker). The
    process is started afresh, not forked: a fork of a process that has used RocksDB can wait
    forever on a lock of RocksDB's that no thread of the fork will ever release."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    compact = sum(input_size(p) for p in [*files, *(p for _, p in named)]) <= COMPACT_UP_TO
    process = ctx.Process(target=_load_into, args=(files, named, location, send, compact, os.getpid()))
    process.start()
    send.close()  # the loader holds the only writing end: if it dies, the read below ends
    try:
        message = receive.recv()
    except EOFError:
        message = ""
    process.join()
    if message or process.exitcode != 0:
        raise ValueError(message or f"loading {', '.join(map(str, files))} failed (exit {process.exitcode})")


#: Up to this many bytes of input, a new on-disk store is compacted once loaded (Oxigraph's
#: ``optimize``): measured at 100k observations, about a second that makes the heavy example
#: queries half again to twice as fast; at 1M observations it would add 14 s to a start of ~50 s.
COMPACT_UP_TO = 1_000_000_000


def _load_into(
    files: list[Path], named: list[tuple[str, Path]], location: Path, send: Connection, compact: bool, server: int
) -> None:
    """The loading process of ``_load_apart``: says "" when done, else what went wrong. It ends
    with the server, even a server killed with SIGKILL while it loads."""
    _die_with_parent(server)
    try:
        store = load_store(files, location, named)
        if compact:
            store.optimize()
        store.flush()
        send.send("")
    except (ValueError, OSError) as err:
        send.send(str(err))
    except BaseException as err:  # a bug, not bad input: still named
        send.send(f"loading {', '.join(map(str, files))} failed: {type(err).__name__}: {err}")


class _Light:
    """Queries seen to be light: each was evaluated in a worker in less than ``below`` seconds,
    within the row limit, so it runs in the server process from then on, without the round trip
    to a worker (most of the time a small query takes). The graph never changes while served, so
    neither does a query's cost or its number of rows; one that ever takes longer is forgotten
    and goes back to the workers, where it can be stopped. Queries whose cost may vary from run
    to run (RAND) always go to a worker."""

    SIZE = 10_000
    VOLATILE = re.compile(r"\bRAND\s*\(", re.IGNORECASE)

    def __init__(self, below: float) -> None:
        self.below = below
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()

    def known(self, request: tuple[object, ...]) -> bool:
        if request not in self._seen:
            return False
        self._seen.move_to_end(request)
        return True

    def learn(self, request: tuple[object, ...], took: float, reply: tuple[object, ...]) -> None:
        """Remember a query answered (not refused: its result is within the row limit) in less
        than ``below`` seconds; forget one that took longer."""
        if took >= self.below or reply[0] != "ok" or self.VOLATILE.search(request[0]):  # type: ignore[arg-type]
            self._seen.pop(request, None)
            return
        self._seen[request] = None
        if len(self._seen) > self.SIZE:
            self._seen.popitem(last=False)


class EmbeddedEngine:
    """A pool of forked workers over one loaded store (``base.Engine``). Queries seen to take less
    than ``inline_below`` seconds run in this process (``_Light``): the event loop stalls no
    longer than that for one."""

    def __init__(
        self,
        loaded: Loaded,
        workers: int,
        timeout: float,
        max_rows: int,
        base_iri: str | None = None,
        inline_below: float = 0.005,
    ) -> None:
        global _STORE, _UNION
        _STORE = loaded.store
        self.loaded = loaded
        self.location = str(loaded.location) if loaded.location is not None else None
        self.timeout = timeout
        self.max_rows = max_rows
        self.base_iri = base_iri
        self._ctx = mp.get_context("fork")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._size = workers
        self._workers: list[_Worker] = []
        self._graphs = sorted(g.value for g in loaded.store.named_graphs() if isinstance(g, ox.NamedNode))
        _UNION = bool(self._graphs)
        self._len = len(loaded.store)
        self._light = _Light(inline_below)
        self._crashing: dict[tuple, str] = {}  # queries a worker crashed on (``CRASHES``), and how

    def named_graphs(self) -> list[str]:
        return list(self._graphs)

    def size(self) -> int:
        return self._len

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        process = self._ctx.Process(target=_serve, args=(child, self.location, os.getpid()), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    async def start(self) -> None:
        self._idle = asyncio.LifoQueue()  # the worker used last goes next: its caches are warm
        gc.freeze()  # the collector leaves the objects there are now alone: forks keep sharing their pages
        for _ in range(self._size):
            self._idle.put_nowait(self._spawn())

    async def stop(self) -> None:
        global _STORE
        for worker in self._workers:
            worker.close()
            if worker.process.is_alive():
                worker.process.kill()
        self._workers.clear()
        _STORE = None
        self.loaded.close()

    async def query(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        media_type: str,
        timeout: float | None = None,
    ) -> Answer:
        """Run a query in a worker (waiting for a free one: the concurrency limit), or here if it
        is known to be light (``_Light``)."""
        assert self._idle is not None, "EmbeddedEngine.start() not called"
        limit = self.timeout if timeout is None else timeout
        solutions_type, graph_type = types_for(media_type)
        request = (
            text,
            tuple(default_graphs),
            tuple(named_graphs),
            solutions_type,
            graph_type,
            self.max_rows,
            self.base_iri,
        )
        if self._light.known(request):
            started = time.perf_counter()
            reply = _reply(request, counted=False)
            self._light.learn(request, time.perf_counter() - started, reply)
            return _answer_of(reply)
        if request in self._crashing:  # it would crash the next worker too: not run again
            raise QueryFailed(self._crashing[request])
        if self._idle.empty():
            try:
                worker = await asyncio.wait_for(self._idle.get(), limit)
            except TimeoutError:
                raise Busy(f"all {self._size} query workers stayed busy for {limit:g} s; retry later") from None
        else:
            worker = self._idle.get_nowait()
        try:
            if not worker.process.is_alive():  # it died while idle (killed, out of memory): a fresh one
                self._kill(worker)
                worker = self._spawn()
            reply, took = await worker.ask(request, limit)
        except TimeoutError:
            self._kill(worker)
            worker = self._spawn()
            raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped") from None
        except (asyncio.IncompleteReadError, OSError) as err:  # the worker died under the query
            pid, how = worker.process.pid, _how_it_ended(worker)
            crashed = worker.process.exitcode in CRASHES
            self._kill(worker)
            worker = self._spawn()
            if crashed:  # the engine itself aborted on this query: it would again, every time
                message = (
                    f"the engine could not evaluate this query: its worker (pid {pid}) {how} (Oxigraph aborts "
                    "on a few queries, such as ORDER BY over IRIs, numbers and strings together; ordering by "
                    "STR() of the value avoids that one); it was replaced, and this query is not run again"
                )
                if len(self._crashing) < CRASHES_KEPT:
                    self._crashing[request] = message
                raise QueryFailed(message) from err
            raise Unavailable(
                f"the query worker (pid {pid}) {how} while evaluating the query; it has been replaced, retry"
            ) from err
        except asyncio.CancelledError:  # its reply must not reach the next query
            self._kill(worker)
            worker = self._spawn()
            raise
        finally:
            self._idle.put_nowait(worker)
        self._light.learn(request, took, reply)
        return _answer_of(reply)

    def _kill(self, worker: _Worker) -> None:
        """End a worker (if it has not ended) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.process.join(timeout=1)
        worker.close()
        if worker in self._workers:
            self._workers.remove(worker)


#: Seconds to wait for a worker whose socket closed under a query to be seen to have ended.
ENDED_WITHIN = 1
#: Exit codes of a worker that crashed by itself (an abort, as on a Rust panic, or a fault in the
#: engine), not killed from outside (SIGKILL: the time limit, the OOM killer, an operator): the
#: query is at fault, and is answered ``QueryFailed`` (400) and remembered, not retried.
CRASHES = frozenset(-int(s) for s in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE))
#: How many such queries are remembered (each holds its text).
CRASHES_KEPT = 1000


def _how_it_ended(worker: _Worker) -> str:
    """How a worker whose socket closed ended: killed by which signal, or its exit status."""
    worker.process.join(timeout=ENDED_WITHIN)
    code = worker.process.exitcode
    if code is None:
        return "closed its connection"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"
