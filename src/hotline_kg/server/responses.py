"""Responses every route and view shares: the page templates (``templates/``), plain-text errors,
404 pages, how long each kind of response may be kept (``CACHE_POLICIES``), the answer to each
exception of the engine interface, a page's JSON and CSV twins
(``json_text``, ``csv_text``, ``alternates``), and the headers every response carries
(``SHARED_HEADERS``, added by ``SharedHeaders``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from hotline_kg import formats
from hotline_kg.server.engine import Busy, QueryFailed, QuerySyntaxError, QueryTimeout, TooManyResults, Unavailable
from hotline_kg.server.settings import Settings

#: How long a client or an HTTP cache may keep a response, by kind: the one table of them
#: (``cache_control`` writes the header).
CACHE_POLICIES = {
    # what the build fixes: query answers, dumps and build files, report texts (``Settings.max_age``)
    "build": "public, max-age={max_age}",
    # pages and search results, made from the build with the server's own code
    "page": "public, max-age=600",
    # errors and refusals, and answers to POST
    "never": "no-store",
}


def cache_control(policy: Literal["build", "page", "never"], settings: Settings | None = None) -> str:
    """The Cache-Control header of a response of this kind (``CACHE_POLICIES``); "build" needs the settings."""
    if policy == "build":
        assert settings is not None, "the build's policy takes its max-age from the settings"
        return CACHE_POLICIES[policy].format(max_age=settings.max_age)
    return CACHE_POLICIES[policy]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    headers = {"Cache-Control": cache_control("never"), **(headers or {})}
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def not_found(request: Request, message: str) -> Response:
    if formats.HTML in request.headers.get("accept", ""):
        return TEMPLATES.TemplateResponse(request, "404.html", {"message": message}, status_code=404)
    return error(404, message)


def engine_error(err: Exception) -> Response:
    """The answer to an exception of the engine interface (``engine.base``)."""
    return error(*engine_error_parts(err))


def engine_error_parts(err: Exception) -> tuple[int, str, dict[str, str]]:
    """The status, message and headers that answer an exception of the engine interface."""
    if isinstance(err, Busy):
        return 503, str(err), {"Retry-After": "5"}
    if isinstance(err, (QueryTimeout, TimeoutError, Unavailable)):  # TimeoutError: an index's look-up
        return 503, str(err), {}
    if isinstance(err, TooManyResults):
        return 413, str(err), {}
    if isinstance(err, QuerySyntaxError):
        return 400, f"malformed query: {err}", {}
    if isinstance(err, QueryFailed):
        return 400, f"query failed: {err}", {}
    raise err


def json_text(data: object) -> str:
    """A JSON twin's body: UTF-8 as it is (no escapes), indented, one line feed at the end."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def csv_text(columns: Iterable[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A CSV twin's body (RFC 4180: CRLF, a header row): the ``columns`` of each row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def alternates(hrefs: Mapping[str, str]) -> str:
    """A ``Link`` header naming each alternate of a page: its path, by media type."""
    return ", ".join(f'<{href}>; rel="alternate"; type="{media}"' for media, href in hrefs.items())


#: What the engine interface raises for a query it does not answer.
ENGINE_ERRORS = (Busy, QueryTimeout, TimeoutError, Unavailable, TooManyResults, QueryFailed)


#: What a page may load and do: only the server's own scripts, stylesheets and images (no inline
#: script or style anywhere), queries to this server only, and no framing by other sites.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: The query page of the static site (``hotline_kg.site``) runs SPARQL in the browser: Oxigraph,
#: compiled to WebAssembly, in a Web Worker of this site. That page alone may compile WebAssembly.
QUERY_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self';"
)
#: A policy as a page's ``<meta>`` gives it (a static host may send no header): without
#: ``frame-ancestors``, which browsers ignore there (and warn of).
META_POLICIES = {
    policy: "; ".join(d for d in policy.split("; ") if not d.startswith("frame-ancestors"))
    for policy in (CONTENT_SECURITY_POLICY, QUERY_PAGE_POLICY)
}


@dataclass(frozen=True)
class StaticSite:
    """How the pages are rendered for the static site (``hotline_kg.site``), in ``app.state``:
    their policy in a ``<meta>``; the query page's editor runs queries in the browser over
    ``dump`` (``quads`` quads, ``dump_bytes`` to fetch) within ``timeout`` seconds and
    ``max_rows`` rows, unless the data is too large for a browser (``in_browser`` false: the
    page points to ``server``, a ``hotline-kg serve`` of the same data, if there is one); the
    search page searches ``search_index``."""

    dump: str
    search_index: str
    timeout: float
    max_rows: int
    quads: int
    dump_bytes: int
    in_browser: bool = True
    server: str = ""
    policy: str = META_POLICIES[CONTENT_SECURITY_POLICY]
    query_policy: str = META_POLICIES[QUERY_PAGE_POLICY]


def _page_context(request: Request) -> dict[str, object]:
    """What every template may read: ``static_site`` (a ``StaticSite``, or None when served)."""
    app = request.scope.get("app")  # none for the endpoint's own page (``sparql``: no FastAPI in front)
    return {"static_site": getattr(app.state, "static_site", None) if app is not None else None}


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"), context_processors=[_page_context])

#: Headers every response carries, whatever route made it: any site may read the data (CORS), no
#: browser may guess a type or leak the page's address, and pages run under the policy above.
SHARED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link, ETag, Content-Length, X-Cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: The same, as ASGI headers.
SHARED_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SHARED_HEADERS.items()]


class SharedHeaders:
    """ASGI middleware: adds ``SHARED_HEADERS`` to every response that does not set them itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [h for h in SHARED_RAW if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
