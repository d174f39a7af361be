"""Responses every route and view shares: the page templates (``templates/``), plain-text errors,
404 pages, and the answer to each exception of the engine interface."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from hotline_kg.server.engine import Busy, QueryFailed, QuerySyntaxError, QueryTimeout, TooManyResults, Unavailable

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def not_found(request: Request, message: str) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return TEMPLATES.TemplateResponse(request, "404.html", {"message": message}, status_code=404)
    return error(404, message)


def engine_error(err: Exception) -> Response:
    """The answer to an exception of the engine interface (``engine.base``)."""
    if isinstance(err, Busy):
        return error(503, str(err), {"Retry-After": "5"})
    if isinstance(err, (QueryTimeout, Unavailable)):
        return error(503, str(err))
    if isinstance(err, TooManyResults):
        return error(413, str(err))
    if isinstance(err, QuerySyntaxError):
        return error(400, f"malformed query: {err}")
    if isinstance(err, QueryFailed):
        return error(400, f"query failed: {err}")
    raise err


#: What the engine interface raises for a query it does not answer.
ENGINE_ERRORS = (Busy, QueryTimeout, Unavailable, TooManyResults, QueryFailed)
