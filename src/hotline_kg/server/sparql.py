"""The SPARQL endpoint: ``/sparql`` and ``/sparql/``, the SPARQL Protocol, read-only.

A request enters at ``endpoint``, a plain ASGI app that ``app.create_app`` puts in front of the
pages (so a query pays for no page middleware): ``read`` takes the query and the protocol
dataset from a GET or a POST (section 2.1 of the Protocol; 413 and 415 for what it does not
take), ``protocol.check`` refuses updates, SERVICE and foreign graphs (400),
``protocol.negotiate`` picks the result media type from ``?format=`` or Accept (406; the types
are ``formats.SOLUTION_TYPES`` and ``formats.GRAPH_TYPES``), and the answer comes from the cache
(``cache``) or the engine (``state.engine``), with its ETag. Without a query, the endpoint
answers with its Service Description (``service_description``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox
from starlette.datastructures import State
from starlette.requests import Request

from hotline_kg import formats
from hotline_kg.rdf.vocab import HL, NAMESPACES, SD
from hotline_kg.server import cache, federation, limits, protocol
from hotline_kg.server.engine import Engine
from hotline_kg.server.queries import query_form
from hotline_kg.server.responses import (
    ENGINE_ERRORS,
    SHARED_RAW,
    TEMPLATES,
    SharedHeaders,
    cache_control,
    engine_error_parts,
)
from hotline_kg.server.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: The endpoint's paths and methods (``app.create_app`` routes these here).
PATHS = ("/sparql", "/sparql/")
METHODS = ("GET", "HEAD", "POST")


class TooLarge(Exception):
    """HTTP 413."""


class Unsupported(Exception):
    """HTTP 415."""


class Late(Exception):
    """HTTP 408: the request body did not come in time."""


async def endpoint(scope: Scope, receive: Receive, send: Send, state: State) -> None:
    """GET, HEAD or POST /sparql: a query's answer, or the Service Description."""
    settings: Settings = state.settings
    method = scope["method"]
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    params = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    try:
        body = await _body(receive, headers, settings.max_body, settings.body_timeout) if method == "POST" else b""
        query, default, named = read(method, params, headers, body)
    except protocol.Refused as err:
        return await _send_error(send, 400, str(err))
    except TooLarge as err:
        return await _send_error(send, 413, str(err))
    except Unsupported as err:
        return await _send_error(send, 415, str(err))
    except Late as err:
        return await _send_error(send, 408, str(err), {"connection": "close"})
    if query is None:
        return await _service_description_response(scope, receive, send, state, headers.get("accept"))
    try:
        parsed = await checked(state, query)
    except Refusal as no:
        return await _send_error(send, no.status, no.message, no.headers)
    offered = formats.GRAPH_TYPES if parsed.form in ("ConstructQuery", "DescribeQuery") else formats.SOLUTION_TYPES
    forced = formats.RESULT_PARAM.get(params.get("format", [""])[-1])
    accept = headers.get("accept")
    media = forced if forced in offered else protocol.negotiate(accept, offered)
    if media is None:
        message = f"cannot give this result as {accept}; available: {', '.join(offered)}"
        return await _send_error(send, 406, message)
    dataset = (default or list(parsed.from_default), named or list(parsed.from_named))
    key = cache.key(state.build, query, *dataset, media)
    tag = cache.etag(key)
    fresh = "no-cache" in headers.get("cache-control", "").lower()  # bypass: benchmarks compare engines
    out = {"Vary": "Accept", "ETag": tag, "Cache-Control": cache_control("build", settings)}
    if method == "POST" or parsed.services:  # another endpoint's data: not fixed by this build
        out = {"Vary": "Accept", "Cache-Control": cache_control("never", settings)}
    elif not fresh and cache.matches(headers.get("if-none-match"), tag):
        return await _send(send, 304, b"", out)
    try:
        hit, was_cached = await answered(state, key, query, dataset, media, fresh, len(parsed.services))
    except Refusal as no:
        return await _send_error(send, no.status, no.message, no.headers)
    out["X-Cache"] = "hit" if was_cached else "miss"
    out["Content-Type"] = formats.with_charset(hit.media_type)
    out["Content-Length"] = str(len(hit.body))
    await _send(send, 200, b"" if method == "HEAD" else hit.body, out)


class Refusal(Exception):
    """A query not answered: its HTTP status, the reason, and headers (Retry-After …)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


async def checked(state: State, query: str) -> protocol.Parsed:
    """A query the client wrote, checked as every such query is, the endpoint's and the query
    page's alike: its length (413), the Protocol's checks (``protocol.check``: 400), under the
    time limit (503). Refusal if it fails one."""
    settings: Settings = state.settings
    if len(query) > settings.max_query:
        raise Refusal(413, f"query longer than {settings.max_query} characters")
    try:
        return await protocol.check(query, state.graphs, settings.timeout, frozenset(settings.allow_service))
    except protocol.Refused as err:
        raise Refusal(400, str(err)) from None
    except ENGINE_ERRORS as err:  # the checks ran out of time
        raise Refusal(*engine_error_parts(err)) from None


async def answered(
    state: State,
    key: str,
    query: str,
    dataset: tuple[list[str], list[str]],
    media: str,
    fresh: bool = False,
    services: int = 0,
) -> tuple[cache.Cached, bool]:
    """A checked query's answer as ``media`` from the answer cache (unless ``fresh``) or the
    engine, and whether it came from the cache; Refusal with the status of the engine's error.
    A query with ``services`` (how many SERVICE blocks its parse found) has them evaluated first
    (``federation``), all within the time limit, and its answer is never cached (the other
    endpoints' data is not this build's)."""
    answers: cache.AnswerCache = state.answers
    hit = None if fresh or services else answers.get(key)
    if hit is not None:
        return hit, True
    served: Engine = state.engine
    settings: Settings = state.settings
    try:
        if services:  # the calls count against the client's queries at once, as the engine's work does
            deadline = time.monotonic() + settings.timeout
            with served.counted() if isinstance(served, limits.Metered) else contextlib.nullcontext():
                query = await federation.evaluate(
                    query, services, deadline, settings.max_rows, settings.service_max_bytes
                )
            answer = await served.query(query, *dataset, media, timeout=max(deadline - time.monotonic(), 0.001))
        else:
            answer = await served.query(query, *dataset, media)
    except federation.ServiceError as err:
        raise Refusal(err.status, err.message) from None
    except ENGINE_ERRORS as err:
        raise Refusal(*engine_error_parts(err)) from None
    hit = cache.Cached(answer.body, answer.media_type)
    if not services:
        answers.put(key, hit)
    return hit, False


async def _send(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    """Send a whole response, with the headers every response carries (``responses.SHARED_RAW``)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw + SHARED_RAW})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """A refusal: the reason as plain text (``responses.error`` for the pages)."""
    body = (message + "\n").encode()
    extra = {
        "content-type": formats.with_charset(formats.TEXT),
        "content-length": str(len(body)),
        "cache-control": cache_control("never"),
    }
    await _send(send, status, body, {**extra, **(headers or {})})


async def _body(receive: Receive, headers: dict[str, str], limit: int, seconds: float = 0) -> bytes:
    """A POST's body; TooLarge as soon as it says or turns out to be over ``limit`` bytes, Late
    if it has not all come within ``seconds`` (0: no limit)."""
    try:
        declared = int(headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(seconds or None):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"request body larger than {limit} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError as err:
        raise Late(f"request body not received within {seconds:g} s") from err
    return b"".join(chunks)


def _content_type(header: str) -> tuple[str, str]:
    """The media type of a Content-Type header, and its charset (utf-8 when not given)."""
    media, _, params = header.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def read(
    method: str, params: dict[str, list[str]], headers: dict[str, str], body: bytes
) -> tuple[str | None, list[str], list[str]]:
    """The query and protocol dataset of a GET or POST, per the SPARQL Protocol, section 2.1."""
    if method == "POST":
        text = ""
        ctype, charset = _content_type(headers.get("content-type", ""))
        if ctype in (formats.FORM, formats.SPARQL_QUERY, formats.SPARQL_UPDATE):
            if charset not in ("utf-8", "utf8", "us-ascii"):
                raise Unsupported(f"charset={charset} is not supported: send the request body in UTF-8")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as err:
                raise protocol.Refused(f"the request body is not valid UTF-8 (byte {err.start})") from err
        if ctype == formats.FORM:
            form = parse_qs(text, keep_blank_values=True)
            if "update" in form:
                raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
            if "query" in params:
                raise protocol.Refused("send the query in the body or in the URL, not both")
            params = {**params, **form}
        elif ctype == formats.SPARQL_QUERY:
            if "query" in params:
                raise protocol.Refused("send the query in the body or in the URL, not both")
            params = {**params, "query": [text]}
        elif ctype == formats.SPARQL_UPDATE:
            raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
        else:
            raise Unsupported(f"unsupported Content-Type “{ctype}”: POST {formats.FORM} or {formats.SPARQL_QUERY}")
    elif "update" in params:
        raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
    queries = params.get("query", [])
    if len(queries) > 1:
        raise protocol.Refused("more than one query parameter")
    return (queries[0] if queries else None), params.get("default-graph-uri", []), params.get("named-graph-uri", [])


async def _service_description_response(
    scope: Scope, receive: Receive, send: Send, state: State, accept: str | None
) -> None:
    media = protocol.negotiate(accept, formats.SERVICE_DESCRIPTION_TYPES)
    if media is None:
        message = f"the service description is available as {formats.TURTLE.media} or {formats.JSON_LD.media}"
        return await _send_error(send, 406, message)
    if media == formats.HTML:  # a browser: the query form
        first = state.examples[0]["text"] if state.examples else ""
        context = query_form(first, state.examples, state.settings.base, state.settings.allow_service)
        page = TEMPLATES.TemplateResponse(Request(scope), "query.html", context)
        return await SharedHeaders(page)(scope, receive, send)
    body = service_description(state.settings, sorted(state.graphs), media)
    await _send(send, 200, body, {"Content-Type": formats.with_charset(media), "Vary": "Accept"})


def service_description(settings: Settings, graphs: list[str], media: str) -> bytes:
    """The SPARQL Service Description of the endpoint (Turtle or JSON-LD)."""
    base = settings.base
    endpoint = base + "sparql"
    prefixes = {"sd": str(SD), "void": NAMESPACES["void"], "hl": str(HL), "rdfs": NAMESPACES["rdfs"]}
    lines = [
        *(f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in prefixes.items()),
        f"<{endpoint}> a sd:Service ;",
        f"  sd:endpoint <{endpoint}> ;",
        "  sd:supportedLanguage sd:SPARQL11Query ;",
        "  sd:feature sd:UnionDefaultGraph ;",
        '  rdfs:comment "Read-only. SERVICE, FROM/FROM NAMED outside this dataset, and updates are refused. '
        f"Limits: {settings.timeout:g} s per query, {settings.max_rows} result rows, "
        f"{settings.max_query} characters per query, {settings.max_body} bytes per request, "
        f'{settings.workers} queries at once."@en ;',
    ]
    for fmt in formats.SERVICE_RESULT_FORMATS:
        lines.append(f"  sd:resultFormat <{fmt}> ;")
    lines.append(f"  sd:defaultDataset <{endpoint}#dataset> .")
    lines.append(f"<{endpoint}#dataset> a sd:Dataset ; void:sparqlEndpoint <{endpoint}> ;")
    lines.append(f"  sd:defaultGraph <{endpoint}#default-graph> ;")
    named = " , ".join(f"<{endpoint}#named-{i}>" for i in range(len(graphs)))
    lines.append(f"  sd:namedGraph {named} ." if graphs else "  .")
    lines.append(f'<{endpoint}#default-graph> a sd:Graph ; rdfs:comment "the union of the named graphs"@en .')
    for i, g in enumerate(graphs):
        lines.append(f"<{endpoint}#named-{i}> a sd:NamedGraph ; sd:name <{g}> .")
    turtle = "\n".join(lines) + "\n"
    if media == formats.TURTLE.media:
        return turtle.encode()
    quads = list(ox.parse(turtle.encode(), format=formats.TURTLE.oxigraph))  # type: ignore[arg-type]
    return ox.serialize(quads, format=formats.JSON_LD.oxigraph)  # type: ignore[arg-type]
