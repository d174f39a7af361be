"""The remote engine: any SPARQL Protocol endpoint, reached over a pooled async HTTP client.

The wrapper's guarantees hold whatever is behind it, because this client checks every answer:

- Solutions are asked for as SPARQL JSON and graphs as N-Triples, and rows are counted as the
  answer streams in: past the row limit the upstream request is dropped (TooManyResults). The
  client's format (XML, CSV, TSV, Turtle, JSON-LD …) is then written here, with pyoxigraph.
- The time limit covers waiting for a slot and the whole answer; at the limit the upstream
  request is closed (QueryTimeout). The engine's own limit is set too where it takes one per
  request (Virtuoso's ``timeout``, in ms; the Oxigraph server takes ``--timeout-s`` at start).
- An answer that is not complete is never passed on: the Oxigraph server, stopped by its
  ``--timeout-s``, answers 200 with JSON cut short and "The SPARQL operation has been
  cancelled" at its end; Virtuoso's per-request timeout answers 200 with incomplete results
  marked only by ``X-SQL-State: S1TAT``. Both become QueryTimeout (503).
- Upstream errors: 400 or a Virtuoso "SPxxx" / "37000" error (its syntax errors) → QuerySyntaxError;
  other 4xx/5xx (Virtuoso answers most errors with HTTP 500 "Virtuoso 42000 Error …") →
  QueryFailed; Virtuoso's own time limit (SR171, "S1T00") → QueryTimeout; a connection refused,
  reset or not made in time → Unavailable, naming the engine (503).
- An engine that goes away and comes back needs no restart of the wrapper: a request that fails
  on a connection of the pool (the engine restarted since it was opened) is sent once more, on
  a new connection, within the time limit; while the engine is down, each query is answered
  503 at once.

Over Virtuoso the query is written so that Virtuoso answers it as SPARQL says, and the terms of
its answer read back as the data holds them, or the query is refused (400) where it cannot be:
``virtuoso`` (the query and the terms) and ``_virtuoso_dataset`` here (the graphs of a request).

Updates, SERVICE, LOAD and FROM outside the dataset are refused in ``server.protocol`` before a
query reaches any engine; this client only ever sends queries, never updates.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.formats import GRAPH_FORMATS, SOLUTION_FORMATS
from hotline_kg.rdf.vocab import XSD
from hotline_kg.server import zero_length
from hotline_kg.server.engine import virtuoso
from hotline_kg.server.engine.base import (
    GRAPH_TYPES,
    Answer,
    Busy,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    TooManyResults,
    Unavailable,
    checked,
    types_for,
)
from hotline_kg.server.query_text import declares_base

JSON_RESULTS = formats.SPARQL_JSON.media
N_TRIPLES = formats.N_TRIPLES.media
#: Graphs Virtuoso keeps for itself: never part of the served dataset.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/",
    "http://www.w3.org/2002/07/owl#",
)
CANCELLED = b"operation has been cancelled"
#: A query that fails on the way to the engine is sent this many times more (queries are read-only).
RETRIES = 1
#: Pairs read per query by ``RemoteEngine.pairs`` (at most the row limit).
PAIRS_PAGE = 10_000
_SYNTAX_RE = re.compile(r"Virtuoso 37000 Error SP\d+|syntax error|error at \d+:\d+|Parser error", re.IGNORECASE)


class _RowCounter:
    """Counts the bindings of a SPARQL JSON answer as its bytes arrive: each object opened
    directly inside the ``bindings`` array (depth 3: top object, results, bindings)."""

    TOKEN_RE = re.compile(rb'\\.|\\\Z|["{}\[\]]', re.S)

    def __init__(self) -> None:
        self.rows = 0
        self.depth = 0
        self.in_string = False
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        chunk, self.carry = self.carry + chunk, b""
        for match in self.TOKEN_RE.finditer(chunk):
            token = match.group()
            if token[:1] == b"\\":  # an escape (only inside strings); split by the chunk's end: later
                if len(token) == 1:
                    self.carry = token
                continue
            if self.in_string:
                self.in_string = token != b'"'
            elif token == b'"':
                self.in_string = True
            elif token in (b"{", b"["):
                if token == b"{" and self.depth == 3:
                    self.rows += 1
                self.depth += 1
            else:
                self.depth -= 1


class RemoteEngine:
    """A SPARQL endpoint behind the wrapper (``base.Engine``)."""

    def __init__(
        self,
        url: str,
        workers: int,
        timeout: float,
        max_rows: int,
        base_iri: str | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_rows = max_rows
        self.base_iri = base_iri
        self.workers = workers
        self.connect_timeout = connect_timeout
        self.flavour = "sparql"  # or "virtuoso", "oxigraph": read from the Server header
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._graphs: list[str] = []
        self._size = 0
        self._explicit_dataset = False  # name our graphs in every request (Virtuoso: its own graphs are in the union)

    def named_graphs(self) -> list[str]:
        return list(self._graphs)

    def size(self) -> int:
        return self._size

    async def start(self) -> None:
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        self._client = httpx.AsyncClient(
            limits=limits, timeout=httpx.Timeout(None, connect=self.connect_timeout), trust_env=False
        )
        self._slots = asyncio.Semaphore(self.workers)
        try:
            probe = await self._client.post(
                self.url,
                data={"query": "ASK {}"},
                headers={"Accept": JSON_RESULTS},
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            )
        except httpx.HTTPError as err:
            await self._client.aclose()
            reason = str(err) or type(err).__name__
            raise Unavailable(f"the SPARQL engine at {self.url} cannot be reached: {reason}") from err
        server = probe.headers.get("server", "").lower()
        self.flavour = "virtuoso" if "virtuoso" in server else "oxigraph" if "oxigraph" in server else "sparql"
        if probe.status_code != 200:
            await self._client.aclose()
            raise Unavailable(f"{self.url} is not a SPARQL endpoint (ASK {{}} answered HTTP {probe.status_code})")
        found = await self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", [], [])
        graphs = sorted({row["g"]["value"] for row in found if row.get("g", {}).get("type") == "uri"})
        if self.flavour == "virtuoso":
            ours = [g for g in graphs if not g.startswith(VIRTUOSO_SYSTEM_GRAPHS)]
            self._explicit_dataset = ours != graphs
            graphs = ours
        self._graphs = graphs
        counted = await self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", [], [])
        self._size = int(counted[0]["n"]["value"]) if counted else 0

    async def pairs(self, predicate: str) -> list[tuple[str, str]]:
        """A SELECT of the pairs, ordered (so that its pages are what SPARQL says they are), read a
        page of at most the row limit at a time."""
        page = min(self.max_rows, PAIRS_PAGE)
        pattern = f"?s {ox.NamedNode(predicate)} ?o FILTER (isIRI(?s) && isIRI(?o))"
        pairs: list[tuple[str, str]] = []
        while True:
            text = f"SELECT DISTINCT ?s ?o WHERE {{ {pattern} }} ORDER BY ?s ?o LIMIT {page} OFFSET {len(pairs)}"
            found = await self._select(text, [], [])
            pairs += [(row["s"]["value"], row["o"]["value"]) for row in found]
            if len(found) < page:
                return pairs

    async def _select(self, text: str, default: list[str], named: list[str]) -> list[dict[str, dict[str, str]]]:
        answer = await self.query(text, default, named, JSON_RESULTS)
        return json.loads(answer.body)["results"]["bindings"]

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def query(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        media_type: str,
        timeout: float | None = None,
    ) -> Answer:
        assert self._client is not None and self._slots is not None, "RemoteEngine.start() not called"
        limit = self.timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._slots.acquire(), limit)
        except TimeoutError:
            raise Busy(f"all {self.workers} query slots stayed busy for {limit:g} s; retry later") from None
        try:
            left = limit - (time.monotonic() - started)
            try:
                async with asyncio.timeout(max(left, 0.001)):
                    return await self._forward(text, default_graphs, named_graphs, media_type, limit)
            except TimeoutError:
                raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped") from None
        finally:
            self._slots.release()

    async def _forward(
        self, text: str, default_graphs: list[str], named_graphs: list[str], media_type: str, limit: float
    ) -> Answer:
        assert self._client is not None
        # relative IRIs resolve against the dataset's base, unless the query has a BASE of its own
        # (not both: Virtuoso refuses a second BASE, though SPARQL allows it)
        if self.base_iri and not declares_base(text):
            text = f"BASE <{self.base_iri}> {text}"
        if not default_graphs and not named_graphs and self._explicit_dataset:
            default_graphs = named_graphs = self._graphs
        if self.flavour == "virtuoso":
            written = await checked(virtuoso.rewritten, text, limit=limit)
            text = written.text
            default_graphs, named_graphs = self._virtuoso_dataset(text, default_graphs, named_graphs)
        else:  # paths of zero length as SPARQL answers them (Virtuoso gives them as it is)
            text = await zero_length.mended(text, limit)
            written = virtuoso.Written(text, frozenset())
        params: list[tuple[str, str]] = [("default-graph-uri", g) for g in default_graphs]
        params += [("named-graph-uri", g) for g in named_graphs]
        if self.flavour == "virtuoso":  # its anytime limit, a little under ours: it stops, and says so (S1TAT)
            params.append(("timeout", str(max(100, int(limit * 900)))))
        solutions_type, graph_type = types_for(media_type)
        # the form decides what an engine writes: a CONSTRUCT asked for as JSON comes back as s/p/o rows from Virtuoso
        if media_type in GRAPH_TYPES:
            accept = f"{N_TRIPLES}, {formats.TEXT};q=0.75, {JSON_RESULTS};q=0.25"
        else:
            accept = f"{JSON_RESULTS}, {N_TRIPLES};q=0.25"
        try:
            return await self._send(text, params, accept, solutions_type, graph_type, written.booleans, ask=written.ask)
        except (QueryFailed, QuerySyntaxError) as err:
            if written.plain is None or "SQ156" not in str(err):
                raise
            # Virtuoso's compiler failed on SUM/AVG written to give 0 over no solutions: the query as
            # it was, its answer given only if those are bound (else it would be wrong: unbound, not 0)
            plain, sums = written.plain, written.sums
            return await self._send(
                plain, params, accept, solutions_type, graph_type, written.booleans, sums, ask=written.ask
            )

    def _virtuoso_dataset(
        self, text: str, default_graphs: list[str], named_graphs: list[str]
    ) -> tuple[list[str], list[str]]:
        """The request's dataset, with the graphs of the query's GRAPH <g> that exist nowhere named
        (``_absent_graphs``). A part of the dataset the request leaves out is empty, as the Protocol
        says: Virtuoso would take its whole store (its own graphs too) for a default graph not
        given, and every graph of its store for the named graphs not given (GRAPH ?g under a FROM)."""
        given = bool(default_graphs or named_graphs)
        absent = self._absent_graphs(virtuoso.graphs_named(text), named_graphs if given else self._graphs)
        if absent and not given:  # naming a graph names the whole dataset: ours, as without one
            default_graphs = named_graphs = self._graphs
        if given and not default_graphs:
            default_graphs = [virtuoso.NO_GRAPH]
        if given and not named_graphs and not absent:
            named_graphs = [virtuoso.NO_GRAPH]
        return default_graphs, [*named_graphs, *absent]

    def _absent_graphs(self, graphs: list[str] | None, named: list[str]) -> list[str]:
        """Virtuoso answers a GRAPH <g> outside the named graphs of the request with one empty
        solution (ASK true, COUNT(*) 1), and rightly once <g> is named. The graphs of the query
        that exist nowhere, to be named: they add no data. One of the store's graphs left out of
        the request's dataset cannot be named without adding its data: QueryFailed, saying so."""
        if not graphs:
            return []
        outside = [g for g in dict.fromkeys(graphs) if g not in named]
        held = [g for g in outside if g in self._graphs or g.startswith(VIRTUOSO_SYSTEM_GRAPHS)]
        if held:
            raise QueryFailed(
                f"GRAPH <{held[0]}> names a graph outside the dataset of this request, which Virtuoso, the "
                "engine behind this endpoint, answers wrongly; name it with named-graph-uri, or leave it out"
            )
        return outside

    async def _send(
        self,
        text: str,
        params: list[tuple[str, str]],
        accept: str,
        solutions_type: str,
        graph_type: str,
        booleans: frozenset[str] = frozenset(),
        bound: frozenset[str] = frozenset(),
        ask: bool = False,
    ) -> Answer:
        """The engine's answer to a query (``ask``: an ASK sent as a SELECT of one row), once more on
        a new connection if a pooled one had been closed (the engine restarted)."""
        assert self._client is not None
        body = urlencode([("query", text), *params]).encode()
        headers = {"Accept": accept, "Content-Type": formats.FORM}
        for attempt in range(1 + RETRIES):
            try:
                async with self._client.stream("POST", self.url, content=body, headers=headers) as response:
                    return await self._answer(response, solutions_type, graph_type, booleans, bound, ask)
            except httpx.TransportError as err:
                if attempt < RETRIES and not isinstance(err, httpx.TimeoutException):
                    continue
                reason = str(err) or type(err).__name__
                raise Unavailable(f"the SPARQL engine at {self.url} cannot be reached: {reason}") from err
        raise AssertionError("unreachable")

    async def _answer(
        self,
        response: httpx.Response,
        solutions_type: str,
        graph_type: str,
        booleans: frozenset[str],
        bound: frozenset[str],
        ask: bool,
    ) -> Answer:
        """An engine's response read as an answer: an error, a time limit, solutions or triples."""
        if response.status_code != 200:
            message = (await response.aread()).decode("utf-8", "replace").strip()
            raise _error(response.status_code, message, self.url)
        state = response.headers.get("x-sql-state", "")
        if state == "S1TAT" or state.startswith("S1T"):
            raise QueryTimeout(
                f"the query ran longer than the engine's time limit and was stopped "
                f"({response.headers.get('x-sql-message', state).split('.')[0]})"
            )
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in (JSON_RESULTS, formats.JSON):
            data = await self._read_solutions(response)
            return _solutions_answer(data, solutions_type, booleans, self._literal, bound, ask)
        if formats.GRAPH_ALIASES.get(ctype, ctype) == N_TRIPLES:
            data = await self._read_triples(response)
            return _graph_answer(data, graph_type, self._literal)
        raise Unavailable(
            f"the SPARQL engine at {self.url} answered in {ctype or 'no media type'}, not JSON or N-Triples"
        )

    def _literal(self, value: str, datatype: str | None) -> str:
        """A literal of the engine's answer as the data holds it (over Virtuoso: ``virtuoso.literal``)."""
        if self.flavour != "virtuoso":
            return value
        try:
            return virtuoso.literal(value, datatype)
        except virtuoso.Inexact as err:
            raise QueryFailed(str(err)) from None

    async def _read_solutions(self, response: httpx.Response) -> bytes:
        counter = _RowCounter()
        parts = []
        async for chunk in response.aiter_bytes():
            counter.feed(chunk)
            parts.append(chunk)
            if counter.rows > self.max_rows:
                raise TooManyResults(f"the result has more than {self.max_rows} rows; add a LIMIT")
        return b"".join(parts)

    async def _read_triples(self, response: httpx.Response) -> bytes:
        lines = 0
        parts = []
        async for chunk in response.aiter_bytes():
            lines += chunk.count(b"\n")
            parts.append(chunk)
            if lines > self.max_rows:
                raise TooManyResults(f"the result has more than {self.max_rows} triples; add a LIMIT")
        return b"".join(parts)


def _error(status: int, message: str, url: str = "") -> Exception:
    first = message.splitlines()[0] if message else f"HTTP {status}"
    if "SR171" in message or "S1T00" in message or "exceeds the limit" in message:
        return QueryTimeout(f"the query ran longer than the engine's time limit and was stopped ({first})")
    if status == 400 or _SYNTAX_RE.search(first):
        return QuerySyntaxError(first)
    if 400 < status < 500 or status == 500:
        return QueryFailed(first)
    return Unavailable(f"the SPARQL engine{' at ' + url if url else ''} answered HTTP {status}: {first}")


#: How a literal of an answer is read: (lexical form, datatype IRI) → lexical form.
Literals = Callable[[str, "str | None"], str]


def _as_written(value: str, datatype: str | None) -> str:
    return value


def _read_back(triple: ox.Triple, literal: Literals) -> ox.Triple:
    term = triple.object
    if isinstance(term, ox.Literal) and term.language is None:
        value = literal(term.value, term.datatype.value)
        if value != term.value:
            return ox.Triple(triple.subject, triple.predicate, ox.Literal(value, datatype=term.datatype))
    return triple


def _cut_short() -> QueryTimeout:
    return QueryTimeout("the engine's answer was cut short (the engine stopped the query); retry later")


def _solutions_answer(
    data: bytes,
    solutions_type: str,
    booleans: frozenset[str] = frozenset(),
    literal: Literals = _as_written,
    bound: frozenset[str] = frozenset(),
    ask: bool = False,
) -> Answer:
    """An engine's JSON results as ``solutions_type``; the integers 0 and 1 of the variables in
    ``booleans`` (bound to boolean expressions) as false and true, each literal as ``literal`` reads it;
    with ``ask``, solutions (of an ASK sent as a SELECT) as true if there is one."""
    if CANCELLED in data[-200:]:
        raise _cut_short()
    try:
        parsed = json.loads(data)
    except ValueError:
        raise _cut_short() from None
    if ask and "bindings" in parsed.get("results", {}):
        parsed = {"boolean": bool(parsed["results"]["bindings"])}
    if "boolean" in parsed:
        value = bool(parsed["boolean"])
        if solutions_type == JSON_RESULTS:
            body = json.dumps({"head": {}, "boolean": value}).encode()
        elif solutions_type in (formats.SPARQL_CSV.media, formats.SPARQL_TSV.media):
            body = b"true" if value else b"false"
        else:
            raw = json.dumps({"head": {}, "boolean": value}).encode()
            results = ox.parse_query_results(raw, format=ox.QueryResultsFormat.JSON)
            body = results.serialize(format=SOLUTION_FORMATS[solutions_type])  # type: ignore[union-attr]
        return Answer("boolean", body, solutions_type)
    if "results" not in parsed or "bindings" not in parsed.get("results", {}):
        raise _cut_short()
    if any(name not in row for row in parsed["results"]["bindings"] for name in bound):
        raise QueryFailed(
            "Virtuoso, the engine behind this endpoint, leaves SUM and AVG over no solutions unbound (SPARQL: 0), "
            "and its compiler fails on this query written so that it gives 0 (SQ156); the answer is not given"
        )
    # the variables the wrapper added to the query (virtuoso.OWN_VARIABLE) are left out
    head = {"vars": [v for v in parsed.get("head", {}).get("vars", []) if not v.startswith(virtuoso.OWN_VARIABLE)]}
    bindings = [
        {k: _term(v, k in booleans, literal) for k, v in row.items() if not k.startswith(virtuoso.OWN_VARIABLE)}
        for row in parsed["results"]["bindings"]
    ]
    body = json.dumps({"head": head, "results": {"bindings": bindings}}, ensure_ascii=False).encode()
    if solutions_type != JSON_RESULTS:
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        body = results.serialize(format=SOLUTION_FORMATS[solutions_type])  # type: ignore[union-attr]
    return Answer("solutions", body, solutions_type)


def _term(value: dict[str, str], boolean: bool = False, literal: Literals = _as_written) -> dict[str, str]:
    """A term as the SPARQL JSON results format writes it now (Virtuoso still writes "typed-literal"),
    its lexical form as ``literal`` reads it; with ``boolean``, the integer 0 or 1 of a boolean
    expression as the boolean it stands for."""
    if value.get("type") == "typed-literal":
        value = {**value, "type": "literal"}
    if value.get("type") == "literal" and "datatype" in value:
        value = {**value, "value": literal(value.get("value", ""), value["datatype"])}
    if value.get("datatype") == str(XSD.string):
        value = {k: v for k, v in value.items() if k != "datatype"}
    if boolean and value.get("datatype") == str(XSD.integer) and value.get("value") in ("0", "1"):
        value = {**value, "datatype": str(XSD.boolean), "value": "true" if value["value"] == "1" else "false"}
    return value


def _graph_answer(data: bytes, graph_type: str, literal: Literals = _as_written) -> Answer:
    """An engine's N-Triples as ``graph_type``, each literal as ``literal`` reads it."""
    if CANCELLED in data[-200:] or (data and not data.rstrip(b" \t").endswith(b"\n")):
        raise _cut_short()
    try:
        triples = [_read_back(quad.triple, literal) for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError:
        raise _cut_short() from None
    if graph_type == N_TRIPLES:
        return Answer("graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), graph_type)
    return Answer("graph", ox.serialize(triples, format=GRAPH_FORMATS[graph_type]), graph_type)
