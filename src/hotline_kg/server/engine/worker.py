"""A query worker of the embedded engine: a process forked from the server that answers queries
over the store (``Dataset``) from a socket pair, one length-prefixed pickle each way per query
(``frame`` / ``receive``), until the socket closes or the server dies (``die_with_parent``). Its
answers come back serialised, cut at the row limit (``answer``)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import socket
import struct
import time
from dataclasses import dataclass

import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.formats import GRAPH_FORMATS, SOLUTION_FORMATS
from hotline_kg.server.engine.base import (
    Answer,
    QueryFailed,
    QuerySyntaxError,
    TooManyResults,
)


@dataclass(frozen=True)
class Dataset:
    """What a query is answered from: the store, and whether its default graph is the union of
    all graphs (only needed when the store has named graphs: the union costs Oxigraph 5–15 % on
    large aggregates). Each engine has its own, handed to its workers as they are forked."""

    store: ox.Store
    union: bool = True


def serve(sock: socket.socket, dataset: Dataset, location: str | None, server: int) -> None:
    """Worker loop: answer queries from the socket until it closes, from the dataset the fork
    handed over. A worker of an on-disk store opens its own read-only handle (a database handle
    must not cross a fork)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(server)
    _close_inherited(sock.fileno())
    if location is not None:
        dataset = Dataset(ox.Store.read_only(location), dataset.union)
    while True:
        request = _receive(sock)
        if request is None:
            return
        started = time.perf_counter()
        reply = respond(dataset, request)  # type: ignore[arg-type]
        took = time.perf_counter() - started
        sock.sendall(frame((reply, took)))  # and how long it took
        if took > TRIM_AFTER:
            _trim()


#: After a query that ran this long (seconds), a worker gives the memory it freed back to the
#: system: the C allocator keeps it otherwise (measured at 100k: a worker that had answered the
#: start-up queries held 200 MB, 92 MB after trimming; the server and its workers 368 MB, 261 MB).
TRIM_AFTER = 0.05


def _trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def respond(dataset: Dataset, request: tuple[object, ...], counted: bool = True) -> tuple[object, ...]:
    """A query's answer, or the name and message of the error it raised."""
    try:
        return ("ok", _answer(dataset, *request, counted=counted))  # type: ignore[arg-type]
    except Exception as err:
        return ("error", type(err).__name__, str(err))


def answer_of(reply: tuple[object, ...]) -> Answer:
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
LENGTH = struct.Struct("!I")


def frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return LENGTH.pack(len(body)) + body


def _receive(sock: socket.socket) -> object | None:
    """The next message on the socket, or None once the server has closed it."""
    head = _read_exactly(sock, LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(sock, LENGTH.unpack(head)[0])
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


def die_with_parent(server: int) -> None:
    """A worker (or the loader) ends with its server, even a server killed with SIGKILL: each
    worker holds a copy of the server's end of its pipe, so it would never see the pipe close.
    A server that died before the request took effect has left it another parent (init, or a
    subreaper): it ends at once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server:
        os._exit(0)


def _answer(
    dataset: Dataset,
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
    kwargs: dict[str, object] = {"base_iri": base_iri} if base_iri else {}
    if default_graphs or named_graphs:
        # the Protocol: default-graph-uri and named-graph-uri name the whole dataset; the part
        # they leave out is empty (no named graph, or an empty default graph), not the store's
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    else:
        kwargs["use_default_graph_as_union"] = dataset.union
    result = dataset.store.query(query, **kwargs)  # type: ignore[arg-type]
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
