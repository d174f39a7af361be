"""The files of the build: ``/dumps/<file>`` (every file of ``dist/``) and the build files
published at paths of their own (``BUILD_FILES``: VoID/DCAT, shapes, the latest validation
report), with validators: ETag, Last-Modified, 304s and ranges. The Content-Type of each file
is the format registry's (``formats.DUMP_TYPES``)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from hotline_kg import formats
from hotline_kg.server.responses import not_found
from hotline_kg.server.settings import Settings

#: Files of the build published at paths of their own (VoID/DCAT, shapes, the latest report).
BUILD_FILES = {
    "/.well-known/void": "void.ttl",
    "/catalog": "void.ttl",
    "/shapes": "shapes.ttl",
    "/validation-report": "validation-report.ttl",
}

router = APIRouter()


@router.get("/dumps/{name}")
@router.head("/dumps/{name}")
async def dump(name: str, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    path = settings.dist / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return not_found(request, f"no dump called {name}")
    return static(request, path, formats.dump_type(name))


def _build_file(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        return static(request, settings.dist / name, formats.BUILD_FILE_TYPE)

    return route


for _path, _name in BUILD_FILES.items():
    router.add_api_route(_path, _build_file(_name), methods=["GET", "HEAD"])


def static(request: Request, path: Path, media: str) -> Response:
    """A file of the build, with validators and caching: ETag, Last-Modified, 304, ranges."""
    if not path.is_file():
        return not_found(request, f"{path.name} is not built")
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
