"""The web application: SPARQL endpoint, linked-data URIs, pages and dumps (FastAPI).

Routes stay thin: the SPARQL Protocol lives in ``protocol``, the store behind
``engine.Engine``, resource descriptions in ``describe``.
"""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.routing import Route

from hotline_kg.rdf.vocab import DEFAULT_BASE, ONTOLOGY, Site
from hotline_kg.server import describe, protocol
from hotline_kg.server.engine import (
    ON_DISK_ABOVE,
    Busy,
    Engine,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    TooManyResults,
    load_store,
)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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


def open_store(settings: Settings) -> Loaded:
    """Load what `settings` says to serve. Bad input raises ValueError naming the file."""
    files = settings.data if settings.data or settings.named else [settings.dist / "hotline.nq.gz"]
    on_disk = settings.on_disk
    if on_disk is None:
        on_disk = sum(p.stat().st_size for p in [*files, *(p for _, p in settings.named)]) > ON_DISK_ABOVE
    if not on_disk:
        return Loaded(load_store(files, named=settings.named))
    folder = tempfile.TemporaryDirectory(prefix="hotline-kg-store-")
    location = Path(folder.name) / "store"
    try:
        _load_apart(files, settings.named, location)
    except ValueError:
        folder.cleanup()
        raise
    return Loaded(ox.Store.read_only(str(location)), location, folder)


def create_app(settings: Settings, loaded: Loaded | None = None) -> FastAPI:
    """The application; it loads the graph at start-up unless given it already ``loaded``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        graph = loaded or open_store(settings)
        engine = Engine(graph.store, settings.workers, settings.timeout, settings.max_rows, graph.location)
        await engine.start()
        app.state.engine = engine
        app.state.graphs = set(engine.named_graphs())
        app.state.examples = describe.examples(settings.queries, settings.base)
        app.state.reports = describe.reports(graph.store, settings.base)
        app.state.jsonld_context = describe.jsonld_context(graph.store, settings.base)
        yield
        await engine.stop()
        del engine
        graph.close()

    app = FastAPI(title="hotline-kg", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Link", "ETag", "Content-Length"],
    )

    async def sparql(request: Request) -> Response:
        engine: Engine = request.app.state.engine
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
        solutions = media if media in protocol.SOLUTION_TYPES else protocol.SOLUTION_TYPES[0]
        graph = media if media in protocol.GRAPH_TYPES else protocol.GRAPH_TYPES[0]
        try:
            answer = await engine.query(
                query,
                default or list(parsed.from_default),
                named or list(parsed.from_named),
                solutions,
                graph,
                base_iri=settings.base,
            )
        except QueryTimeout as err:
            return _error(503, str(err))
        except Busy as err:
            return _error(503, str(err), {"Retry-After": "5"})
        except TooManyResults as err:
            return _error(413, str(err))
        except QuerySyntaxError as err:
            return _error(400, f"malformed query: {err}")
        except QueryFailed as err:
            return _error(400, f"query failed: {err}")
        headers = {"Vary": "Accept", "Cache-Control": "no-store"}
        body = b"" if request.method == "HEAD" else answer.body
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(answer.body))
        return Response(body, media_type=_with_charset(answer.media_type), headers=headers)

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
        engine: Engine = request.app.state.engine
        dumps = sorted(p.name for p in settings.dist.glob("*") if p.is_file()) if settings.dist.is_dir() else []
        return TEMPLATES.TemplateResponse(
            request,
            "home.html",
            {
                "triples": len(engine),
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
                answer = await request.app.state.engine.query(
                    text, [], [], "application/sparql-results+json", "application/n-triples", base_iri=settings.base
                )
                context.update(_table(answer, settings.base))
            except (protocol.Refused, QueryFailed, QueryTimeout, Busy, TooManyResults) as err:
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
        return await describe.respond(request, iri, settings.base, TEMPLATES, FORMAT_PARAM)

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


def _load_apart(files: list[Path], named: list[tuple[str, Path]], location: Path) -> None:
    """Bulk-load an on-disk store in a short-lived process, so the memory the load needs is
    returned when it ends instead of staying in the server (and in every forked worker)."""
    import multiprocessing as mp

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


def _with_charset(media: str) -> str:
    textual = media.startswith("text/") or media.endswith(("json", "+xml"))
    return f"{media}; charset=utf-8" if textual else media


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def _not_found(request: Request, message: str) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return TEMPLATES.TemplateResponse(request, "404.html", {"message": message}, status_code=404)
    return _error(404, message)


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
