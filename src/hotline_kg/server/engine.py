"""The store behind the endpoint: Oxigraph, queried in worker processes with a hard time limit.

The parent process loads the graph once into an in-memory pyoxigraph store, then
forks workers that share it copy-on-write. A query runs in a worker; if it is
not done in time, the worker is killed (the work really stops) and a fresh one
is forked, while other workers keep serving. The number of workers is the
concurrency limit. Results come back already serialised, cut at the row limit.

``Engine`` is the one interface the routes use, so another store (a remote
SPARQL engine) can replace it without touching them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import multiprocessing as mp
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

#: Result formats by media type.
SOLUTION_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}

#: Files `load_store` reads, by extension.
FILE_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
}


class QueryFailed(Exception):
    """The engine rejected the query (syntax, evaluation error): a client error."""


class QuerySyntaxError(QueryFailed):
    """The engine's parser rejected the query."""


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""


class Busy(Exception):
    """Every worker stayed busy for as long as a query may run: the client should retry later."""


class TooManyResults(Exception):
    """The result is larger than the result limit."""


@dataclass(frozen=True)
class Answer:
    kind: str  # "solutions", "boolean" or "graph"
    body: bytes
    media_type: str


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
        if solutions_type != "application/sparql-results+json":  # re-serialised by Oxigraph
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


class Engine:
    """A pool of forked workers over one loaded store."""

    def __init__(
        self, store: ox.Store, workers: int, timeout: float, max_rows: int, location: Path | None = None
    ) -> None:
        global _STORE
        _STORE = store
        self.location = str(location) if location is not None else None
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self._ctx = mp.get_context("fork")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._size = workers
        self._workers: list[_Worker] = []

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)

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
        for worker in self._workers:
            worker.conn.close()
            if worker.process.is_alive():
                worker.process.kill()
        self._workers.clear()

    async def query(
        self,
        query: str,
        default_graphs: list[str],
        named_graphs: list[str],
        solutions_type: str,
        graph_type: str,
        base_iri: str | None = None,
    ) -> Answer:
        """Run a query in a worker; waits for a free worker (the concurrency limit)."""
        assert self._idle is not None, "Engine.start() not called"
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout)
        except TimeoutError:
            raise Busy(f"all {self._size} query workers stayed busy for {self.timeout:g} s; retry later") from None
        loop = asyncio.get_running_loop()
        try:
            worker.conn.send((query, default_graphs, named_graphs, solutions_type, graph_type, self.max_rows, base_iri))
            if not await _readable(loop, worker.conn, self.timeout):
                self._kill(worker)
                worker = self._spawn()
                raise QueryTimeout(f"the query ran longer than {self.timeout:g} s and was stopped")
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
