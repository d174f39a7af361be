"""The web application: a thin factory that puts the SPARQL endpoint and the pages over one engine.

Where a request enters: ``create_app`` gives an ASGI app (``Front``) that takes each request from
its client's allowance (``server.limits``: 429 with Retry-After past it) and sends

- GET, HEAD and POST ``/sparql``: straight to ``sparql.endpoint`` — the SPARQL Protocol,
  with no page middleware to pay for on each query;
- everything else to the pages (FastAPI, with CORS preflight, inside ``SharedHeaders``, which adds
  the headers every response carries, as ``sparql`` does), whose routers are, in order:
- ``/openapi.json``: the OpenAPI description of every route (``server.openapi``);
- ``views.dumps.router``: ``/dumps/<file>``, ``/catalog``, ``/shapes`` … (``server.views.dumps``);
- ``views.home.router``: ``/``, ``/index.json``, ``/index.csv`` (``server.views.home``);
- ``views.query.router``: ``/query`` (``server.views.query``);
- ``views.search.router``: ``/search``, ``/search.json``, ``/search.csv`` (``server.views.search``);
- ``views.resource.router``: ``/id/…``, ``/def/hotline`` and 404 for anything else
  (``server.views.resource``).

At start-up (``lifespan``) the engine is started (``make_engine``: the embedded store, or a remote
SPARQL endpoint) and what every request shares goes into ``app.state``: ``settings``, ``engine``,
``build`` (the id the cache keys on), ``answers`` (the cache), ``graphs``, ``examples``,
``reports``, ``story`` (the home page's figures), ``jsonld_context``, ``links`` (the properties a
description reads what links to a resource by), ``search`` (the search index), ``observations``
(which observations each resource has, ``server.observation_index``) and ``limiter``; ``engine``
counts each client's queries while they run (``limits.Metered``). No route touches a store: every
read is a query to the engine or a look-up of the indexes made from it, under its time limit.
tests/test_maps.py checks these lists against the app.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from hotline_kg.server import cache, limits, observation_index, openapi, queries, sparql
from hotline_kg.server.engine import EmbeddedEngine, Engine, RemoteEngine, Unavailable, open_store
from hotline_kg.server.responses import ENGINE_ERRORS, SharedHeaders, error
from hotline_kg.server.settings import Settings
from hotline_kg.server.views import dumps, home, query, resource
from hotline_kg.server.views import search as search_view


def make_engine(settings: Settings) -> Engine:
    """The engine `settings` says to serve: a remote SPARQL endpoint, or the build (or the files
    given) loaded into the embedded store. Bad input raises ValueError naming the file."""
    if settings.engine:
        return RemoteEngine(settings.engine, settings.workers, settings.timeout, settings.max_rows, settings.base)
    files = settings.data if settings.data or settings.named else [settings.dist / "hotline.nq.gz"]
    loaded = open_store(files, settings.named, settings.on_disk, settings.store_dir)
    return EmbeddedEngine(loaded, settings.workers, settings.timeout, settings.max_rows, settings.base)


def index_path(engine: Engine, folder: tempfile.TemporaryDirectory[str]) -> Path:
    """Where the index of the observations is: beside an on-disk store (its loader wrote it there;
    kept with it), else in the server's temporary folder."""
    if isinstance(engine, EmbeddedEngine) and engine.location is not None:
        return Path(engine.location).parent / observation_index.FILE_NAME
    return Path(folder.name) / observation_index.FILE_NAME


#: Where a client's own queries run (the endpoint, the query page): each counts against the
#: client's share while it runs. The pages' own queries (a resource's description …) do not.
QUERY_PATHS = (*sparql.PATHS, "/query")


class Front:
    """The outermost app: each request first taken from its client's allowance (``limits``: 429
    past it), then SPARQL Protocol requests to ``sparql.endpoint``, the rest to the pages (and the
    lifespan, which starts the engine). ``state`` is the pages' state, shared."""

    def __init__(self, pages: FastAPI, limiter: limits.Limiter) -> None:
        self.pages = SharedHeaders(pages)
        self.state = pages.state
        self.limiter = limiter

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.pages(scope, receive, send)
        key = limits.client_key(scope)
        if scope["path"] in QUERY_PATHS:  # a query the client wrote: counted (``limits.Metered``) while it runs
            limits.CLIENT.set(key)  # (this request's task only)
        try:
            self.limiter.admit(key)
            if scope["path"] in sparql.PATHS and scope["method"] in sparql.METHODS:
                return await sparql.endpoint(scope, receive, send, self.state)
        except limits.TooMany as err:  # before any response: the endpoint asks the engine before it sends
            return await SharedHeaders(error(429, str(err), err.headers))(scope, receive, send)
        await self.pages(scope, receive, send)


def create_app(settings: Settings, engine: Engine | None = None) -> Front:
    """The application over ``engine`` (not started yet), or the one ``settings`` say, made at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        served = engine or make_engine(settings)
        folder = tempfile.TemporaryDirectory(prefix="hotline-kg-index-")  # the index, if not kept with the store
        try:
            await served.start()
            app.state.engine = limits.Metered(served, limiter)
            app.state.build = cache.build_id(settings)
            app.state.answers = cache.AnswerCache(settings.cache_bytes)
            app.state.graphs = frozenset(served.named_graphs())
            app.state.examples = queries.examples(settings.queries, settings.base)
            app.state.reports = await home.reports(served, settings.base)
            app.state.story = await home.story(served, settings.base)
            app.state.jsonld_context = await resource.jsonld_context(served, settings.base)
            app.state.links = await queries.link_predicates(served)
            app.state.search = await search_view.index(served, settings.base)
            app.state.observations = await observation_index.opened(served, index_path(served, folder), served.timeout)
        except (*ENGINE_ERRORS, Unavailable, search_view.IndexNotBuilt, observation_index.IndexNotBuilt) as err:
            print(f"error: {err}", file=sys.stderr)
            await served.stop()
            folder.cleanup()
            raise
        yield
        app.state.observations.close()
        await served.stop()
        folder.cleanup()

    app = FastAPI(title="hotline-kg", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    app.state.settings = settings
    limiter = limits.Limiter.of(settings)
    app.state.limiter = limiter
    app.add_exception_handler(limits.TooMany, _too_many)  # a page's query over its client's share
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
    )
    app.mount("/static", StaticFiles(packages=[("hotline_kg.server", "static")]), name="static")
    for router in (dumps.router, home.router, query.router, search_view.router, resource.router):  # resource: last
        app.include_router(router)
    return Front(app, limiter)


async def _too_many(_: Request, err: Exception) -> Response:
    assert isinstance(err, limits.TooMany)
    return error(429, str(err), err.headers)


__all__ = ["Settings", "create_app", "make_engine"]
