"""The SPARQL endpoint: ``/sparql`` and ``/sparql/``, the SPARQL 1.1 Protocol, read-only.

A request enters at ``endpoint``: ``read`` takes the query and the protocol dataset from a GET or a
POST (section 2.1 of the Protocol; 413 and 415 for what it does not take), ``protocol.parse``
refuses updates, SERVICE and foreign graphs (400), ``protocol.negotiate`` picks the result media
type from ``?format=`` or Accept (406; the types are ``formats.SOLUTION_TYPES`` and
``formats.GRAPH_TYPES``), and the answer comes from the cache (``cache``) or the engine
(``request.app.state.engine``), with its ETag. Without a query, the endpoint answers with its
Service Description (``service_description``).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hotline_kg import formats
from hotline_kg.rdf.vocab import HL
from hotline_kg.server import cache, protocol
from hotline_kg.server.engine import Engine
from hotline_kg.server.responses import ENGINE_ERRORS, TEMPLATES, engine_error, error
from hotline_kg.server.settings import Settings


class TooLarge(Exception):
    """HTTP 413."""


class Unsupported(Exception):
    """HTTP 415."""


async def endpoint(request: Request) -> Response:
    """GET, HEAD or POST /sparql: a query's answer, or the Service Description."""
    settings: Settings = request.app.state.settings
    served: Engine = request.app.state.engine
    try:
        query, default, named = await read(request, settings)
    except protocol.Refused as err:
        return error(400, str(err))
    except TooLarge as err:
        return error(413, str(err))
    except Unsupported as err:
        return error(415, str(err))
    if query is None:
        return _service_description_response(request, settings)
    if len(query) > settings.max_query:
        return error(413, f"query longer than {settings.max_query} characters")
    graphs = request.app.state.graphs
    try:
        parsed = protocol.parse(query, graphs)
    except protocol.Refused as err:
        return error(400, str(err))
    offered = formats.GRAPH_TYPES if parsed.form in ("ConstructQuery", "DescribeQuery") else formats.SOLUTION_TYPES
    forced = formats.RESULT_PARAM.get(request.query_params.get("format", ""))
    media = forced if forced in offered else protocol.negotiate(request.headers.get("accept"), offered)
    if media is None:
        return error(
            406, f"cannot give this result as {request.headers.get('accept')}; available: {', '.join(offered)}"
        )
    dataset = (default or list(parsed.from_default), named or list(parsed.from_named))
    key = cache.key(request.app.state.build, query, *dataset, media)
    tag = cache.etag(key)
    fresh = "no-cache" in request.headers.get("cache-control", "").lower()  # bypass: benchmarks compare engines
    headers = {"Vary": "Accept", "ETag": tag, "Cache-Control": f"public, max-age={settings.max_age}"}
    if request.method == "POST":
        headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    elif not fresh and cache.matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    answers: cache.AnswerCache = request.app.state.answers
    hit = None if fresh else answers.get(key)
    headers["X-Cache"] = "hit" if hit is not None else "miss"
    if hit is None:
        try:
            answer = await served.query(query, *dataset, media)
        except ENGINE_ERRORS as err:
            return engine_error(err)
        hit = cache.Cached(answer.body, answer.media_type)
        answers.put(key, hit)
    body = b"" if request.method == "HEAD" else hit.body
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(hit.body))
    return Response(body, media_type=formats.with_charset(hit.media_type), headers=headers)


#: Mounted by ``app.create_app``. Plain Starlette routes: the endpoint needs none of FastAPI's
#: request parsing.
router = APIRouter()
router.add_route("/sparql", endpoint, methods=["GET", "POST", "HEAD"])
router.add_route("/sparql/", endpoint, methods=["GET", "POST", "HEAD"])


def _content_type(header: str) -> tuple[str, str]:
    """The media type of a Content-Type header, and its charset (utf-8 when not given)."""
    media, _, params = header.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def read(request: Request, settings: Settings) -> tuple[str | None, list[str], list[str]]:
    """The query and protocol dataset of a GET or POST, per the SPARQL Protocol, section 2.1."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        length = int(request.headers.get("content-length") or 0)
        if length > settings.max_body:
            raise TooLarge(f"request body larger than {settings.max_body} bytes")
        raw = await request.body()
        text = ""
        if len(raw) > settings.max_body:
            raise TooLarge(f"request body larger than {settings.max_body} bytes")
        ctype, charset = _content_type(request.headers.get("content-type", ""))
        if ctype in (formats.FORM, formats.SPARQL_QUERY, formats.SPARQL_UPDATE):
            if charset not in ("utf-8", "utf8", "us-ascii"):
                raise Unsupported(f"charset={charset} is not supported: send the request body in UTF-8")
            try:
                text = raw.decode("utf-8")
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


def _service_description_response(request: Request, settings: Settings) -> Response:
    media = protocol.negotiate(request.headers.get("accept"), formats.SERVICE_DESCRIPTION_TYPES)
    if media is None:
        return error(406, f"the service description is available as {formats.TURTLE.media} or {formats.JSON_LD.media}")
    if media == formats.HTML:  # a browser: the query form
        return TEMPLATES.TemplateResponse(request, "query.html", {"query": "", "examples": request.app.state.examples})
    body = service_description(settings, sorted(request.app.state.graphs), media)
    return Response(body, media_type=formats.with_charset(media), headers={"Vary": "Accept"})


def service_description(settings: Settings, graphs: list[str], media: str) -> bytes:
    """The SPARQL Service Description of the endpoint (Turtle or JSON-LD)."""
    base = settings.base
    endpoint = base + "sparql"
    lines = [
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        f"@prefix hl: <{HL}> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
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
