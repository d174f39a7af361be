"""The web application: SPARQL endpoint, linked-data URIs, pages and dumps (FastAPI).

Routes stay thin: the SPARQL Protocol lives in ``protocol``, the store behind the
``engine.Engine`` interface (embedded, or a remote SPARQL endpoint), resource descriptions in
``describe``. No route touches a store: every read is a query to the engine, under its time limit.
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from hotline_kg.rdf.vocab import DEFAULT_BASE, ONTOLOGY, Site
from hotline_kg.server import cache, describe, protocol
from hotline_kg.server.engine import EmbeddedEngine, Engine, RemoteEngine, Unavailable, open_store
from hotline_kg.server.responses import ENGINE_ERRORS, TEMPLATES, engine_error, not_found, with_charset
from hotline_kg.server.responses import error as _error

_not_found = not_found
_with_charset = with_charset
DUMP_TYPES = {
    ".ttl": "text/turtle; charset=utf-8",
    ".nt.gz": "application/gzip",
    ".nq.gz": "application/gzip",
    ".jsonld": "application/ld+json",
    "SHA256SUMS": "text/plain; charset=utf-8",
}
#: Files of the build published at paths of their own (VoID/DCAT, shapes, the latest report).
BUILD_FILES = {
    "/.well-known/void": "void.ttl",
    "/catalog": "void.ttl",
    "/shapes": "shapes.ttl",
    "/validation-report": "validation-report.ttl",
}
RESULT_PARAM = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}
FORMAT_PARAM = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


@dataclass
class Settings:
    """Every limit has a safe default; `hotline-kg serve` options change them."""

    dist: Path = Path("dist")
    data: list[Path] = field(default_factory=list)  # serve these files instead of dist/
    named: list[tuple[str, Path]] = field(default_factory=list)  # and these, each as a named graph
    base: str = DEFAULT_BASE
    timeout: float = 10.0  # seconds per query
    max_rows: int = 10000  # result rows (or triples)
    max_query: int = 20000  # characters
    max_body: int = 100000  # bytes of a POST
    workers: int = 4  # queries evaluated at once
    queries: Path = Path("queries")
    on_disk: bool | None = None  # None: on disk when the input is larger than ON_DISK_ABOVE bytes
    engine: str | None = None  # the URL of a SPARQL endpoint to serve instead of dist/ or the files
    cache_bytes: int = 64 * 2**20  # answers kept in memory (0: none)
    max_age: int = 3600  # seconds a client or an HTTP cache may keep an answer of this build


def build_id(settings: Settings) -> str:
    """What names this build: its checksums, or the files served and the engine; a new build, a
    changed file or another engine gives another id (and so other cache keys and ETags)."""
    sums = settings.dist / "SHA256SUMS"
    parts = [settings.base, settings.engine or ""]
    if sums.is_file() and not (settings.data or settings.named):
        parts.append(hashlib.sha256(sums.read_bytes()).hexdigest())
    for path in [*settings.data, *(p for _, p in settings.named)]:
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def make_engine(settings: Settings) -> Engine:
    """The engine `settings` says to serve: a remote SPARQL endpoint, or the build (or the files
    given) loaded into the embedded store. Bad input raises ValueError naming the file."""
    if settings.engine:
        return RemoteEngine(settings.engine, settings.workers, settings.timeout, settings.max_rows, settings.base)
    files = settings.data if settings.data or settings.named else [settings.dist / "hotline.nq.gz"]
    loaded = open_store(files, settings.named, settings.on_disk)
    return EmbeddedEngine(loaded, settings.workers, settings.timeout, settings.max_rows, settings.base)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The application over ``engine`` (not started yet), or the one ``settings`` say, made at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        served = engine or make_engine(settings)
        try:
            await served.start()
            app.state.engine = served
            app.state.build = build_id(settings)
            app.state.answers = cache.AnswerCache(settings.cache_bytes)
            app.state.graphs = set(served.named_graphs())
            app.state.examples = describe.examples(settings.queries, settings.base)
            app.state.reports = await describe.reports(served, settings.base)
            app.state.jsonld_context = await describe.jsonld_context(served, settings.base)
        except (*ENGINE_ERRORS, Unavailable) as err:
            print(f"error: {err}", file=sys.stderr)
            await served.stop()
            raise
        yield
        await served.stop()

    app = FastAPI(title="hotline-kg", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Link", "ETag", "Content-Length"],
    )

    async def sparql(request: Request) -> Response:
        served: Engine = request.app.state.engine
        try:
            query, default, named = await _read(request, settings)
        except protocol.Refused as err:
            return _error(400, str(err))
        except _TooLarge as err:
            return _error(413, str(err))
        except _Unsupported as err:
            return _error(415, str(err))
        if query is None:
            return _service_description(request, settings)
        if len(query) > settings.max_query:
            return _error(413, f"query longer than {settings.max_query} characters")
        graphs = request.app.state.graphs
        try:
            parsed = protocol.parse(query, graphs)
        except protocol.Refused as err:
            return _error(400, str(err))
        offered = (
            protocol.GRAPH_TYPES if parsed.form in ("ConstructQuery", "DescribeQuery") else protocol.SOLUTION_TYPES
        )
        forced = RESULT_PARAM.get(request.query_params.get("format", ""))
        media = forced if forced in offered else protocol.negotiate(request.headers.get("accept"), offered)
        if media is None:
            return _error(
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
        return Response(body, media_type=_with_charset(hit.media_type), headers=headers)

    # A plain Starlette route: the endpoint needs none of FastAPI's request parsing.
    app.router.routes.insert(0, Route("/sparql", sparql, methods=["GET", "POST", "HEAD"]))
    app.router.routes.insert(1, Route("/sparql/", sparql, methods=["GET", "POST", "HEAD"]))

    @app.get("/dumps/{name}")
    @app.head("/dumps/{name}")
    async def dump(name: str, request: Request) -> Response:
        path = settings.dist / name
        if "/" in name or name.startswith(".") or not path.is_file():
            return _not_found(request, f"no dump called {name}")
        return _static(
            request, path, next((t for s, t in DUMP_TYPES.items() if name.endswith(s)), "application/octet-stream")
        )

    def serve_file(name: str):  # type: ignore[no-untyped-def]
        async def route(request: Request) -> Response:
            return _static(request, settings.dist / name, "text/turtle; charset=utf-8")

        return route

    for path, name in BUILD_FILES.items():
        app.add_api_route(path, serve_file(name), methods=["GET", "HEAD"])

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        served: Engine = request.app.state.engine
        dumps = sorted(p.name for p in settings.dist.glob("*") if p.is_file()) if settings.dist.is_dir() else []
        return TEMPLATES.TemplateResponse(
            request,
            "home.html",
            {
                "triples": served.size(),
                "graphs": sorted(request.app.state.graphs),
                "reports": request.app.state.reports,
                "dumps": dumps,
                "examples": request.app.state.examples,
                "base": settings.base,
            },
        )

    @app.get("/query", response_class=HTMLResponse)
    async def query_page(request: Request) -> Response:
        """The query form; with a query, its results as a table (links for this dataset's IRIs)."""
        text = request.query_params.get("query")
        context: dict[str, object] = {"query": text or "", "examples": request.app.state.examples}
        if text:
            try:
                protocol.parse(text, request.app.state.graphs)
                answer = await request.app.state.engine.query(text, [], [], "application/sparql-results+json")
                context.update(_table(answer, settings.base))
            except (protocol.Refused, *ENGINE_ERRORS) as err:
                context["error"] = str(err)
        elif request.app.state.examples:
            context["query"] = request.app.state.examples[0]["text"]
        return TEMPLATES.TemplateResponse(request, "query.html", context)

    @app.get("/{kind:path}")
    @app.head("/{kind:path}")
    async def resource(kind: str, request: Request) -> Response:
        if not (kind.startswith("id/") or kind.startswith("def/")):
            return _not_found(request, f"nothing at /{kind}")
        # an IRI of the data or of the vocabulary, by its path, whatever host this is
        iri = str(ONTOLOGY) + kind.removeprefix("def/hotline") if kind.startswith("def/") else settings.base + kind
        return await describe.respond(request, request.app.state.engine, iri, settings.base, TEMPLATES, FORMAT_PARAM)

    return app


def _table(answer: object, base: str) -> dict[str, object]:
    import json

    body = answer.body  # type: ignore[attr-defined]
    if answer.kind == "graph":  # type: ignore[attr-defined]
        return {"head": ["triples"], "rows": [[{"text": line, "href": ""}] for line in body.decode().splitlines()]}
    data = json.loads(body)
    if "boolean" in data:
        return {"head": ["ASK"], "rows": [[{"text": str(data["boolean"]).lower(), "href": ""}]]}
    head = data["head"]["vars"]
    rows = []
    for binding in data["results"]["bindings"]:
        row = []
        for var in head:
            cell = binding.get(var)
            if cell is None:
                row.append({"text": "", "href": ""})
            elif cell["type"] == "uri":
                href = Site(base).local(cell["value"])
                row.append({"text": cell["value"], "href": href})
            else:
                row.append(
                    {"text": cell["value"] + (f" @{cell['xml:lang']}" if "xml:lang" in cell else ""), "href": ""}
                )
        rows.append(row)
    return {"head": head, "rows": rows}


class _TooLarge(Exception):
    """HTTP 413."""


class _Unsupported(Exception):
    """HTTP 415."""


def _content_type(header: str) -> tuple[str, str]:
    """The media type of a Content-Type header, and its charset (utf-8 when not given)."""
    media, _, params = header.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def _read(request: Request, settings: Settings) -> tuple[str | None, list[str], list[str]]:
    """The query and protocol dataset of a GET or POST, per the SPARQL Protocol, section 2.1."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        length = int(request.headers.get("content-length") or 0)
        if length > settings.max_body:
            raise _TooLarge(f"request body larger than {settings.max_body} bytes")
        raw = await request.body()
        text = ""
        if len(raw) > settings.max_body:
            raise _TooLarge(f"request body larger than {settings.max_body} bytes")
        ctype, charset = _content_type(request.headers.get("content-type", ""))
        if ctype in ("application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update"):
            if charset not in ("utf-8", "utf8", "us-ascii"):
                raise _Unsupported(f"charset={charset} is not supported: send the request body in UTF-8")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise protocol.Refused(f"the request body is not valid UTF-8 (byte {err.start})") from err
        if ctype == "application/x-www-form-urlencoded":
            form = parse_qs(text, keep_blank_values=True)
            if "update" in form:
                raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
            if "query" in params:
                raise protocol.Refused("send the query in the body or in the URL, not both")
            params = {**params, **form}
        elif ctype == "application/sparql-query":
            if "query" in params:
                raise protocol.Refused("send the query in the body or in the URL, not both")
            params = {**params, "query": [text]}
        elif ctype == "application/sparql-update":
            raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
        else:
            raise _Unsupported(
                f"unsupported Content-Type “{ctype}”: "
                "POST application/x-www-form-urlencoded or application/sparql-query"
            )
    elif "update" in params:
        raise protocol.Refused("this endpoint is read-only: no SPARQL update is accepted")
    queries = params.get("query", [])
    if len(queries) > 1:
        raise protocol.Refused("more than one query parameter")
    return (queries[0] if queries else None), params.get("default-graph-uri", []), params.get("named-graph-uri", [])


def _service_description(request: Request, settings: Settings) -> Response:
    media = protocol.negotiate(request.headers.get("accept"), ("text/turtle", "application/ld+json", "text/html"))
    if media is None:
        return _error(406, "the service description is available as text/turtle or application/ld+json")
    if media == "text/html":
        return TEMPLATES.TemplateResponse(request, "query.html", {"query": "", "examples": request.app.state.examples})
    body = describe.service_description(settings, sorted(request.app.state.graphs), media)
    return Response(body, media_type=_with_charset(media), headers={"Vary": "Accept"})


def _static(request: Request, path: Path, media: str) -> Response:
    """A file of the build, with validators and caching: ETag, Last-Modified, 304, ranges."""
    if not path.is_file():
        return _not_found(request, f"{path.name} is not built")
    stat = path.stat()
    etag = '"' + hashlib.sha256(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32] + '"'
    modified = formatdate(stat.st_mtime, usegmt=True)
    headers = {
        "ETag": etag,
        "Last-Modified": modified,
        "Cache-Control": "public, max-age=3600",
        "Accept-Ranges": "bytes",
    }
    if_none = request.headers.get("if-none-match")
    if if_none and (etag in [t.strip() for t in if_none.split(",")] or if_none.strip() == "*"):
        return Response(status_code=304, headers=headers)
    since = request.headers.get("if-modified-since")
    if since and not if_none:
        try:
            if int(stat.st_mtime) <= parsedate_to_datetime(since).timestamp():
                return Response(status_code=304, headers=headers)
        except (TypeError, ValueError):
            pass
    return FileResponse(path, media_type=media, headers=headers, stat_result=stat, content_disposition_type="inline")


__all__ = ["Settings", "create_app"]
