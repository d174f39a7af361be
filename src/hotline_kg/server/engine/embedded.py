"""The embedded engine: Oxigraph in this process, queried in worker processes with a hard time limit.

The parent process loads the graph once into an in-memory pyoxigraph store, then
forks workers that share it copy-on-write. A query runs in a worker; if it is
not done in time, the worker is killed (the work really stops) and a fresh one
is forked, while other workers keep serving. The number of workers is the
concurrency limit. Results come back already serialised, cut at the row limit.

``EmbeddedEngine`` implements ``base.Engine``, the one interface the routes use; a remote
SPARQL engine (``remote.RemoteEngine``) can replace it without touching them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gzip
import json
import multiprocessing as mp
import os
import signal
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

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
    types_for,
)

#: Result formats by media type, and files `load_store` reads by extension: ``hotline_kg.formats``.
FILE_FORMATS = INPUT_FORMATS


#: Above this many bytes of input, the store lives on disk and each worker opens it read-only:
#: memory stays near one on-disk Oxigraph, instead of an in-memory copy of a large graph.
ON_DISK_ABOVE = 5_000_000


def load_store(paths: Iterable[Path], location: Path | None = None, named: Iterable[tuple[str, Path]] = ()) -> ox.Store:
    """A store with the given RDF files (Turtle, N-Triples, N-Quads, gzipped or not), in memory or
    on disk at ``location``; ``named`` files of triples go into the named graph given with each."""
    store = ox.Store(str(location)) if location is not None else ox.Store()
    sources = [(path, None) for path in paths] + [(path, ox.NamedNode(iri)) for iri, path in named]
    for path, graph in sources:
        fmt = FILE_FORMATS.get(path.name.removesuffix(".gz").rsplit(".", 1)[-1].lower())
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF format (use {', '.join(FILE_FORMATS)}, gzipped or not)")
        if graph is not None and fmt.supports_datasets:
            raise ValueError(f"{path}: a file of quads cannot go into one named graph")
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        try:
            if graph is None:
                store.bulk_load(data, format=fmt)
            else:
                store.bulk_load(data, format=fmt, to_graph=graph)
        except SyntaxError as err:
            raise ValueError(f"{path}: {err}") from err
    return store


# --- worker side ------------------------------------------------------------------------------

_STORE: ox.Store | None = None


def _serve(conn: Connection, location: str | None) -> None:
    """Worker loop: answer queries from the pipe until it closes. A worker of an on-disk
    store opens its own read-only handle (a database handle must not cross a fork)."""
    global _STORE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if location is not None:
        _STORE = ox.Store.read_only(location)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", _answer(*request)))
        except Exception as err:
            conn.send(("error", type(err).__name__, str(err)))


#: Linux prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """A worker ends with its server, even a server killed with SIGKILL: each worker holds a
    copy of the server's end of its pipe, so it would never see the pipe close."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the server died before the request took effect
        os._exit(0)


def _answer(
    query: str,
    default_graphs: list[str],
    named_graphs: list[str],
    solutions_type: str,
    graph_type: str,
    max_rows: int,
    base_iri: str | None,
) -> Answer:
    assert _STORE is not None
    kwargs: dict[str, object] = {"base_iri": base_iri} if base_iri else {}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
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
    if isinstance(result, ox.QuerySolutions):
        rows = list(_limited(result, max_rows))
        body = _solutions_json(result.variables, rows)
        if solutions_type != formats.SPARQL_JSON.media:  # re-serialised by Oxigraph
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            body = parsed.serialize(format=SOLUTION_FORMATS[solutions_type])  # type: ignore[union-attr]
        return Answer("solutions", body, solutions_type)
    triples = list(_limited(result, max_rows))
    return Answer("graph", ox.serialize(triples, format=GRAPH_FORMATS[graph_type]), graph_type)


def _limited(items: Iterable[object], max_rows: int) -> Iterable[object]:
    for i, item in enumerate(items):
        if i >= max_rows:
            raise TooManyResults(f"the result has more than {max_rows} rows; add a LIMIT")
        yield item


def _solutions_json(variables: list[ox.Variable], rows: list[ox.QuerySolution]) -> bytes:
    def term(t: object) -> dict[str, str]:
        if isinstance(t, ox.NamedNode):
            return {"type": "uri", "value": t.value}
        if isinstance(t, ox.BlankNode):
            return {"type": "bnode", "value": t.value}
        assert isinstance(t, ox.Literal)
        out = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = t.datatype.value
        return out

    names = [v.value for v in variables]
    bindings = [{n: term(row[n]) for n in names if row[n] is not None} for row in rows]
    return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode()


# --- parent side ------------------------------------------------------------------------------


async def _readable(loop: asyncio.AbstractEventLoop, conn: Connection, timeout: float) -> bool:
    """Wait, without blocking the event loop, until the worker has answered; False on timeout."""
    if conn.poll():
        return True
    ready = loop.create_future()
    fd = conn.fileno()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(True))
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
        os.set_blocking(fd, True)  # the loop made it non-blocking; Connection.recv needs it blocking


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: Connection


@dataclass
class Loaded:
    """The served graph, loaded: in memory, or on disk in a temporary folder."""

    store: ox.Store
    location: Path | None = None
    folder: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self.folder is not None:
            del self.store
            self.folder.cleanup()


def open_store(files: list[Path], named: list[tuple[str, Path]], on_disk: bool | None = None) -> Loaded:
    """Load these files (and ``named`` files, each into its named graph), in memory or, above
    ON_DISK_ABOVE bytes of input (``on_disk=None``), on disk. Bad input raises ValueError naming the file."""
    if on_disk is None:
        on_disk = sum(p.stat().st_size for p in [*files, *(p for _, p in named)]) > ON_DISK_ABOVE
    if not on_disk:
        return Loaded(load_store(files, named=named))
    folder = tempfile.TemporaryDirectory(prefix="hotline-kg-store-")
    location = Path(folder.name) / "store"
    try:
        _load_apart(files, named, location)
    except ValueError:
        folder.cleanup()
        raise
    return Loaded(ox.Store.read_only(str(location)), location, folder)


def _load_apart(files: list[Path], named: list[tuple[str, Path]], location: Path) -> None:
    """Bulk-load an on-disk store in a short-lived process, so the memory the load needs is
    returned when it ends instead of staying in the server (and in every forked worker)."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def load() -> None:
        try:
            load_store(files, location, named).flush()
            send.send("")
        except (ValueError, OSError) as err:
            send.send(str(err))

    process = ctx.Process(target=load)
    process.start()
    message = receive.recv() if receive.poll(None) else "no answer"
    process.join()
    if message or process.exitcode != 0:
        raise ValueError(message or f"loading {', '.join(map(str, files))} failed (exit {process.exitcode})")


class EmbeddedEngine:
    """A pool of forked workers over one loaded store (``base.Engine``)."""

    def __init__(
        self, loaded: Loaded, workers: int, timeout: float, max_rows: int, base_iri: str | None = None
    ) -> None:
        global _STORE
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
        self._len = len(loaded.store)

    def named_graphs(self) -> list[str]:
        return list(self._graphs)

    def size(self) -> int:
        return self._len

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child, self.location), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    async def start(self) -> None:
        self._idle = asyncio.LifoQueue()  # the worker used last goes next: its caches are warm
        for _ in range(self._size):
            self._idle.put_nowait(self._spawn())

    async def stop(self) -> None:
        global _STORE
        for worker in self._workers:
            worker.conn.close()
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
        """Run a query in a worker; waits for a free worker (the concurrency limit)."""
        assert self._idle is not None, "EmbeddedEngine.start() not called"
        limit = self.timeout if timeout is None else timeout
        solutions_type, graph_type = types_for(media_type)
        try:
            worker = await asyncio.wait_for(self._idle.get(), limit)
        except TimeoutError:
            raise Busy(f"all {self._size} query workers stayed busy for {limit:g} s; retry later") from None
        loop = asyncio.get_running_loop()
        try:
            request = (text, default_graphs, named_graphs, solutions_type, graph_type, self.max_rows, self.base_iri)
            worker.conn.send(request)
            if not await _readable(loop, worker.conn, limit):
                self._kill(worker)
                worker = self._spawn()
                raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped")
            reply = worker.conn.recv()
        except (EOFError, BrokenPipeError, OSError) as err:
            self._kill(worker)
            worker = self._spawn()
            raise QueryFailed(f"the query could not be evaluated ({type(err).__name__})") from err
        finally:
            self._idle.put_nowait(worker)
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        if kind == "TooManyResults":
            raise TooManyResults(message)
        if kind == "SyntaxError":
            raise QuerySyntaxError(message)
        raise QueryFailed(message)

    def _kill(self, worker: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.process.join(timeout=1)
        worker.conn.close()
        if worker in self._workers:
            self._workers.remove(worker)
