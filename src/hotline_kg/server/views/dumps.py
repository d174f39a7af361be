"""The files of the build: ``/dumps/<file>`` (every file of ``dist/``) and the build files
published at paths of their own (``BUILD_FILES``: VoID/DCAT, shapes, the latest validation
report), with validators: ETag, Last-Modified, 304s and ranges. The Content-Type of each file
is the format registry's (``formats.DUMP_TYPES``).

The report texts the figures were read from, ``/reports/<file>``: read-only, and only the files
``data/raw/sources.csv`` lists (the setting ``raw``, by default ``data/raw`` under the working
directory, as the reports' IRIs name them: ``dct:identifier "data/raw/2024.txt"``), as a page
that numbers its lines (``#L<line>`` anchors, which an observation's page links to), or as the
text itself (``?format=txt``).

A file of the build is served only while it matches its checksum in ``SHA256SUMS`` (``verified``):
a file changed after the build is answered with 503 naming it, a file the build did not list
with 404. Each file is hashed once per version (its inode, size and change times), in a thread."""

from __future__ import annotations

import csv
import hashlib
import html
from collections.abc import Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from hotline_kg import formats
from hotline_kg.server.responses import cache_control, error, not_found
from hotline_kg.server.settings import Settings

#: Files of the build published at paths of their own (VoID/DCAT, shapes, the latest report).
BUILD_FILES = {
    "/.well-known/void": "void.ttl",
    "/catalog": "void.ttl",
    "/shapes": "shapes.ttl",
    "/validation-report": "validation-report.ttl",
}


router = APIRouter()

#: The checksums file of a build: "<sha256 hex>  <name>" per file (``sha256sum`` format).
SUMS = "SHA256SUMS"


class Mismatch(ValueError):
    """A file of the build does not match its checksum (or is not listed): never served."""


def read_sums(dist: Path) -> dict[str, str]:
    """The checksums ``dist/SHA256SUMS`` lists, by file name; ValueError naming it if it is
    missing or unreadable."""
    path = dist / SUMS
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise Mismatch(f"{path}: cannot be read ({reason}): not a build of `hotline-kg build`") from err
    sums = {}
    for line in text.splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest and name:
            sums[name.lstrip("*")] = digest.lower()
    return sums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


#: Versions of files found to match their checksum: (path, device, inode, size, mtime, ctime, sum).
_VERIFIED: set[tuple[object, ...]] = set()


def verify(dist: Path, name: str) -> Path:
    """``dist/name`` if it matches its checksum in ``dist/SHA256SUMS``; else ``Mismatch`` naming
    the file (changed after the build, or not part of it). A version of a file (inode, size,
    modification and change times: any write changes the change time) is hashed once."""
    path = dist / name
    expected = read_sums(dist).get(name)
    if expected is None:
        raise Mismatch(f"{path}: not listed in {dist / SUMS}: not part of the build")
    stat = path.stat()
    key = (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, expected)
    if key in _VERIFIED:
        return path
    actual = sha256_of(path)
    if actual != expected:
        raise Mismatch(
            f"{path} does not match its checksum in {dist / SUMS} (changed after the build: "
            f"sha256 {actual[:12]}…, listed {expected[:12]}…)"
        )
    if len(_VERIFIED) > len(read_sums(dist)) * 4:  # versions of files long replaced
        _VERIFIED.clear()
    _VERIFIED.add(key)
    return path


async def _verified_static(request: Request, dist: Path, name: str, media: str) -> Response:
    """A file of the build, if it still matches its checksum: else 503 naming it (404 if it is
    not there or not part of the build)."""
    path = dist / name
    if not path.is_file():
        return not_found(request, f"{name} is not built")
    try:
        await run_in_threadpool(verify, dist, name)
    except FileNotFoundError:
        return not_found(request, f"{name} is not built")
    except Mismatch as err:
        if name not in _listed(dist):
            return not_found(request, f"no dump called {name} in this build")
        return error(503, f"error: {err}; not served")
    return static(request, path, media)


def _listed(dist: Path) -> set[str]:
    try:
        return set(read_sums(dist)) | {SUMS}
    except Mismatch:
        return set()


@router.get("/dumps/{name}")
@router.head("/dumps/{name}")
async def dump(name: str, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    path = settings.dist / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return not_found(request, f"no dump called {name}")
    if name == SUMS:  # the list itself
        return static(request, path, formats.dump_type(name))
    return await _verified_static(request, settings.dist, name, formats.dump_type(name))


def _build_file(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        return await _verified_static(request, settings.dist, name, formats.BUILD_FILE_TYPE)

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
        "Cache-Control": cache_control("build", request.app.state.settings),
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


def listed_reports(raw: Path) -> dict[str, Path]:
    """The report texts ``sources.csv`` lists (and the text kept beside a PDF), by file name."""
    try:
        with (raw / "sources.csv").open(encoding="utf-8", newline="") as f:
            names = [(row.get("file") or "").strip() for row in csv.DictReader(f)]
    except OSError:
        return {}
    names += [name.removesuffix(".pdf") + ".txt" for name in names if name.endswith(".pdf")]
    return {n: raw / n for n in names if n and "/" not in n and "\\" not in n and not n.startswith(".")}


@router.get("/reports/{name}")
@router.head("/reports/{name}")
async def report_text(name: str, request: Request) -> Response:
    """A report text sources.csv lists, its lines numbered (``#L<line>``); ``?format=txt``: the text."""
    settings: Settings = request.app.state.settings
    path = listed_reports(settings.raw).get(name)
    if path is None or not path.is_file() or not name.endswith(".txt"):
        return not_found(request, f"no report text called {name}")
    if request.query_params.get("format") == "txt":
        return static(request, path, formats.with_charset(formats.TEXT))
    text = path.read_text(encoding="utf-8")
    static_site = getattr(request.app.state, "static_site", None)  # its pages carry their policy
    body = report_page(name, text, static_site.policy if static_site else "") if request.method != "HEAD" else ""
    return HTMLResponse(body, headers={"Cache-Control": cache_control("build", settings)})


def report_page(name: str, text: str, policy: str = "") -> str:
    """A report text as a page: each line numbered and anchored (``id="L<n>"``), page breaks (form
    feeds) marked; every text escaped. ``policy``: a Content-Security-Policy for a ``<meta>``
    (the static site's pages carry it: a static host may send no header)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows, page = [], 1
    for n, line in enumerate(lines, 1):
        if line.startswith("\f"):
            page += 1
            rows.append(f'<div class="page" id="page-{page}">— 第 {page} 页 <span lang="en">page {page}</span> —</div>')
        rows.append(
            f'<div class="line" id="L{n}"><a class="n" href="#L{n}">{n}</a>'
            f"<span>{html.escape(line.replace(chr(12), ''))}</span></div>"
        )
    title = html.escape(name)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">' if policy else ""
    return (
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — hotline-kg</title>{meta}"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/site.css"></head><body class="report">'
        '<header><a href="/">hotline-kg</a></header>'
        f'<h1>{title} <span lang="en" class="en">report text</span></h1>'
        f'<p>报告原文，按行编号。<span lang="en">The report text as published, its lines numbered.</span> '
        f'<a href="?format=txt">{title} (text/plain)</a></p>'
        f"<main>{''.join(rows)}</main></body></html>"
    )
