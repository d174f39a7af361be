"""SERVICE, evaluated by this server for every engine: each block is sent to its endpoint (one of
``Settings.allow_service``, checked by ``protocol.check``), and its solutions are put into the
query in its place as ``VALUES``. No engine behind the wrapper ever connects out: the query the
engine gets holds no SERVICE.

Why this way: SPARQL evaluates a SERVICE block on its own and joins its solutions with the rest
of the query, which is what an inline ``VALUES`` block at the same place does. It works alike over
the embedded store, the Oxigraph server and Virtuoso, and the one HTTP client that ever connects
out is this module's, where every limit is kept:

- the query's time limit covers the calls and the engine's work (``deadline``);
- a connection goes only to an address the endpoint's name resolves to *at connect time*, and only
  to a public one, unless the allowed IRI itself names loopback (``_Guarded``): a changed DNS
  answer cannot point a call inside;
- no redirect is followed (403);
- an answer larger than ``service_max_bytes`` or with more rows than ``max_rows`` is refused (502);
- an endpoint that cannot be reached or fails is a 502, one that does not answer in time a 504,
  each naming the endpoint; ``SERVICE SILENT`` turns those into one empty solution, as SPARQL says.

``calls`` and ``inlined`` are pure; ``evaluate`` makes the calls.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import httpcore
import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.server.query_text import BASE_DECL_RE, PREFIX_DECL_RE, blanked

#: SERVICE [SILENT] endpoint { … }, as the parser matched it (its endpoint an IRI or a prefixed name).
SERVICE_RE = re.compile(
    r"SERVICE\s+(SILENT\s+)?(<[^<>\s]*>|[A-Za-z][\w.-]*:[^\s{]*|:[^\s{]*)\s*(\{.*\})\s*$", re.IGNORECASE | re.DOTALL
)
#: Seconds to connect to an endpoint, at most (within what is left of the query's time).
CONNECT_TIMEOUT = 5.0
#: The loopback names an allowed IRI may use.
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class ServiceError(Exception):
    """A SERVICE not evaluated: the HTTP status the query gets, and the reason naming the endpoint."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Call:
    """One SERVICE block: where it is in the query, its endpoint, SILENT, and its group ``{ … }``."""

    start: int
    end: int
    endpoint: str
    silent: bool
    group: str


@dataclass(frozen=True)
class Solutions:
    """What an endpoint answered: its variables and its rows (SPARQL JSON bindings)."""

    variables: list[str]
    rows: list[dict[str, dict[str, str]]]


#: The SERVICE keyword in code: not part of a prefixed name, a variable or another word.
SERVICE_KEYWORD_RE = re.compile(r"(?<![\w:?$])SERVICE\b(?![:\w-])", re.IGNORECASE)


def spans(query: str) -> list[tuple[int, int]]:
    """Where each SERVICE block of a query (one the parser has accepted) starts and ends: at its
    keyword, and after the brace that closes its group (braces counted in the code only, without
    strings, IRIs and comments).

    >>> spans('SELECT * { SERVICE <http://ex.org/s> { ?s ?p "}" } ?a ?b ?c }')
    [(11, 50)]
    """
    code = blanked(query, keep_iris=True)
    found = []
    for keyword in SERVICE_KEYWORD_RE.finditer(code):
        opening = code.find("{", keyword.end())
        depth = 0
        for i in range(opening, len(code)):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            if depth == 0:
                found.append((keyword.start(), i + 1))
                break
    return found


def calls(query: str, spans: Iterable[tuple[int, int]]) -> list[Call]:
    """The SERVICE blocks of a query at these ``spans``, each endpoint resolved against the
    query's BASE and PREFIXes.

    >>> q = "PREFIX ex: <http://ex.org/> SELECT * { ?s ?p ?o SERVICE SILENT ex:sparql { ?s ?q ?r } }"
    >>> calls(q, [(q.index("SERVICE"), len(q) - 2)])
    [Call(start=48, end=85, endpoint='http://ex.org/sparql', silent=True, group='{ ?s ?q ?r }')]
    """
    code = blanked(query, keep_iris=True)
    prefixes = {m.group(1) or "": m.group(2) for m in PREFIX_DECL_RE.finditer(code)}
    bases = [m.group(1) for m in BASE_DECL_RE.finditer(code)]
    found = []
    for start, end in sorted(spans):
        text = query[start:end]
        match = SERVICE_RE.match(text)
        if match is None:
            raise ServiceError(400, f"this SERVICE could not be read: {text[:80]!r}")
        name = match.group(2)
        if name.startswith("<"):
            endpoint = urljoin(bases[-1], name[1:-1]) if bases else name[1:-1]
        else:
            prefix, _, local = name.partition(":")
            if prefix not in prefixes:
                raise ServiceError(400, f"malformed query: the prefix {prefix}: of SERVICE {name} is not declared")
            endpoint = prefixes[prefix] + local
        found.append(Call(start, start + len(text.rstrip()), endpoint, bool(match.group(1)), match.group(3)))
    return found


def remote_query(query: str, call: Call) -> str:
    """The query an endpoint is sent for a SERVICE block: the query's own BASE and PREFIXes, then
    ``SELECT * WHERE`` the block's group."""
    code = blanked(query, keep_iris=True)
    prologue = [query[m.start() : m.end()] for m in (*BASE_DECL_RE.finditer(code), *PREFIX_DECL_RE.finditer(code))]
    return "\n".join([*prologue, f"SELECT * WHERE {call.group}"])


def values(solutions: Solutions | None) -> str:
    """A group that gives these solutions (None: one empty solution, as a failed SERVICE SILENT
    gives); ServiceError for a blank node, which no query can name.

    >>> values(Solutions(["d", "n"], [{"d": {"type": "uri", "value": "http://ex.org/1"}}]))
    '{ VALUES (?d ?n) { (<http://ex.org/1> UNDEF) } }'
    >>> values(None)
    '{ }'
    """
    if solutions is None:
        return "{ }"
    names = " ".join(f"?{v}" for v in solutions.variables)
    try:
        rows = " ".join("(" + " ".join(_term(row.get(v)) for v in solutions.variables) + ")" for row in solutions.rows)
    except (ValueError, TypeError, AttributeError) as err:  # an IRI, language tag or datatype pyoxigraph refuses
        raise ServiceError(502, f"the answer holds a term that is not RDF ({err})") from None
    return f"{{ VALUES ({names}) {{ {rows} }} }}"


def _term(cell: dict[str, str] | None) -> str:
    if cell is None:
        return "UNDEF"
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return str(ox.NamedNode(value))
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in cell:
            return str(ox.Literal(value, language=cell["xml:lang"]))
        if "datatype" in cell:
            return str(ox.Literal(value, datatype=ox.NamedNode(cell["datatype"])))
        return str(ox.Literal(value))
    raise ServiceError(502, "the answer holds a blank node, which cannot be joined with this endpoint's data")


def inlined(query: str, answers: list[tuple[Call, Solutions | None]]) -> str:
    """The query with each SERVICE block replaced by its solutions (``values``)."""
    out = query
    for call, solutions in sorted(answers, key=lambda a: a[0].start, reverse=True):
        out = out[: call.start] + values(solutions) + out[call.end :]
    return out


# --- the calls -------------------------------------------------------------------------------------


class _Guarded(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the endpoint may have: the name resolved here, at connect time,
    each address checked (public, or loopback when the allowed IRI names loopback), then the
    connection made to the address checked, never to the name again."""

    def __init__(self, endpoint: str, loopback: bool) -> None:
        self.endpoint = endpoint
        self.loopback = loopback
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            raise ServiceError(502, f"SERVICE <{self.endpoint}>: {host} cannot be resolved ({err})") from None
        addresses = [str(info[4][0]) for info in found]
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not (ip.is_loopback if self.loopback else ip.is_global):
                kind = "not a loopback address" if self.loopback else "not a public address"
                raise ServiceError(403, f"SERVICE <{self.endpoint}>: {host} resolves to {address}, {kind}: not called")
        return await self.inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address)

    async def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore.AsyncNetworkStream:
        raise ServiceError(403, f"SERVICE <{self.endpoint}>: not called")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _names_loopback(endpoint: str) -> bool:
    host = (urlsplit(endpoint).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def fetch(endpoint: str, text: str, seconds: float, max_rows: int, max_bytes: int) -> Solutions:
    """The solutions of ``text`` at ``endpoint``: one POST, no redirect, at most ``seconds`` in all,
    ``max_bytes`` of answer and ``max_rows`` rows; ServiceError otherwise."""
    body = urlencode({"query": text}).encode()
    headers = [
        (b"Accept", formats.SPARQL_JSON.media.encode()),
        (b"Content-Type", formats.FORM.encode()),
        (b"User-Agent", b"hotline-kg (SERVICE)"),
    ]
    timeouts = {"connect": min(CONNECT_TIMEOUT, seconds), "read": seconds, "write": seconds, "pool": seconds}
    backend = _Guarded(endpoint, _names_loopback(endpoint))
    try:
        async with (
            asyncio.timeout(seconds),
            httpcore.AsyncConnectionPool(network_backend=backend, retries=0) as pool,
            pool.stream("POST", endpoint, headers=headers, content=body, extensions={"timeout": timeouts}) as response,
        ):
            if 300 <= response.status < 400:
                location = [v for k, v in response.headers if k.lower() == b"location"]
                where = (location[0] if location else b"nowhere").decode("latin-1")[:200]
                raise ServiceError(
                    403, f"SERVICE <{endpoint}> answered with a redirect (to {where}), which is not followed"
                )
            if response.status != 200:
                raise ServiceError(502, f"SERVICE <{endpoint}> answered HTTP {response.status}")
            got = bytearray()
            async for chunk in response.aiter_stream():
                got += chunk
                if len(got) > max_bytes:
                    raise ServiceError(
                        502, f"SERVICE <{endpoint}>: its answer is larger than {max_bytes} bytes, the limit"
                    )
    except TimeoutError:
        raise ServiceError(504, f"SERVICE <{endpoint}> did not answer within the query's time limit") from None
    except httpcore.TimeoutException:
        raise ServiceError(504, f"SERVICE <{endpoint}> did not answer within the query's time limit") from None
    except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as err:
        raise ServiceError(502, f"SERVICE <{endpoint}> cannot be reached ({type(err).__name__})") from None
    return _solutions(endpoint, bytes(got), max_rows)


def _solutions(endpoint: str, body: bytes, max_rows: int) -> Solutions:
    try:
        data = json.loads(body)
        variables = [str(v) for v in data["head"].get("vars", [])]
        rows = data["results"]["bindings"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ServiceError(502, f"SERVICE <{endpoint}> did not answer with SPARQL JSON solutions") from None
    if len(rows) > max_rows:
        raise ServiceError(502, f"SERVICE <{endpoint}>: its answer has more than {max_rows} rows, the limit")
    if any(not re.fullmatch(r"\w+", v) for v in variables):
        raise ServiceError(502, f"SERVICE <{endpoint}> answered with a variable name SPARQL does not allow")
    return Solutions(variables, rows)


async def evaluate(query: str, services: int, deadline: float, max_rows: int, max_bytes: int) -> str:
    """The query with each of its ``services`` SERVICE blocks (as many as the parser found)
    evaluated at its endpoint and put in as VALUES; the calls run side by side, until ``deadline``
    (``time.monotonic``). ServiceError if one fails (one with SILENT gives one empty solution
    instead), or if the blocks in the text are not the parser's: none may reach the engine."""
    found = calls(query, spans(query))
    if "\\u" in query or "\\U" in query or len(found) != services:  # the parser decodes escapes
        raise ServiceError(400, "a query with SERVICE is run only when written without \\u escapes")

    async def one(call: Call) -> tuple[Call, Solutions | None]:
        try:
            seconds = deadline - time.monotonic()
            if seconds <= 0:
                raise ServiceError(504, f"SERVICE <{call.endpoint}> was not called: the query's time ran out")
            return call, await fetch(call.endpoint, remote_query(query, call), seconds, max_rows, max_bytes)
        except ServiceError as err:
            if call.silent and err.status in (502, 504):
                return call, None
            raise

    tasks = [asyncio.ensure_future(one(call)) for call in found]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        answers = [task.result() for task in tasks]  # the first failure, if one failed
    finally:
        for task in tasks:  # the others are not waited for
            task.cancel()
    return inlined(query, answers)
