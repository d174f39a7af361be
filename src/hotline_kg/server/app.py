"""The web application (FastAPI): a thin factory that mounts the routers over one engine.

Where a request enters: ``create_app`` mounts, in this order,

- ``sparql.router``: ``/sparql`` — the SPARQL 1.1 Protocol (``server.sparql``);
- ``views.dumps.router``: ``/dumps/<file>``, ``/catalog``, ``/shapes`` … (``server.views.dumps``);
- ``views.home.router``: ``/`` (``server.views.home``);
- ``views.query.router``: ``/query`` (``server.views.query``);
- ``views.resource.router``: ``/id/…``, ``/def/hotline`` and 404 for anything else
  (``server.views.resource``).

At start-up (``lifespan``) the engine is started (``make_engine``: the embedded store, or a remote
SPARQL endpoint) and what every request shares goes into ``app.state``: ``settings``, ``engine``,
``build`` (the id the cache keys on), ``answers`` (the cache), ``graphs``, ``examples``,
``reports``, ``jsonld_context``. No route touches a store: every read is a query to the engine,
under its time limit.
"""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from hotline_kg.server import cache, sparql
from hotline_kg.server.engine import EmbeddedEngine, Engine, RemoteEngine, Unavailable, open_store
from hotline_kg.server.responses import ENGINE_ERRORS
from hotline_kg.server.settings import Settings
from hotline_kg.server.views import dumps, home, query, resource


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
            app.state.build = cache.build_id(settings)
            app.state.answers = cache.AnswerCache(settings.cache_bytes)
            app.state.graphs = set(served.named_graphs())
            app.state.examples = query.examples(settings.queries, settings.base)
            app.state.reports = await home.reports(served, settings.base)
            app.state.jsonld_context = await resource.jsonld_context(served, settings.base)
        except (*ENGINE_ERRORS, Unavailable) as err:
            print(f"error: {err}", file=sys.stderr)
            await served.stop()
            raise
        yield
        await served.stop()

    app = FastAPI(title="hotline-kg", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Link", "ETag", "Content-Length"],
    )
    for router in (sparql.router, dumps.router, home.router, query.router, resource.router):  # resource: last
        app.include_router(router)
    return app


__all__ = ["Settings", "create_app", "make_engine"]
