"""Write the static site: the crawled pages, the dumps, the scripts, the search index and the
hosts' configuration, into a new folder that replaces the old one only once it is whole.

``write_site(settings, out, oxigraph, site_url)`` is the one I/O step (``hotline-kg site``).
A failed run leaves the last good site as it was (the new one is written beside it, then
renamed into place).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hotline_kg import formats
from hotline_kg.io import current_umask
from hotline_kg.rdf.vocab import Site
from hotline_kg.server import responses
from hotline_kg.server.responses import QUERY_PAGE_POLICY, SHARED_HEADERS, StaticSite
from hotline_kg.server.search import exported
from hotline_kg.server.settings import Settings
from hotline_kg.server.views.dumps import SUMS, read_sums, verify
from hotline_kg.site import crawl, hosts, paths

#: The dump the browser loads, and the search index it searches (paths of the site).
DUMP = "/dumps/hotline.nq.gz"
SEARCH_INDEX = "/search-index.json"
#: The files of the npm package ``oxigraph`` the worker loads (``static/oxigraph/``).
OXIGRAPH_FILES = ("web.js", "web_bg.wasm", "package.json")
#: The configuration for hosts that is not served (``_hosting/``), and what is, at the root.
HOSTING = "_hosting"


class SiteError(RuntimeError):
    """The site cannot be written (what is missing, and how to get it)."""


@dataclass(frozen=True)
class Written:
    """What a run wrote: files, bytes, pages (HTML) and seconds; and the links of the pages that
    the server answers with 404 too."""

    files: int
    size: int
    pages: int
    seconds: float
    broken: list[str]


def write_site(settings: Settings, out: Path, oxigraph: Path, site_url: str = "") -> Written:
    """Write the static site of the build ``settings.dist`` to ``out``: every page the server
    shows, with its twins; the dumps; the scripts, the search index and Oxigraph's WebAssembly;
    the configuration for nginx, Apache, w3id.org (when ``site_url`` says where the site goes)
    and Netlify-like hosts."""
    from hotline_kg.server.app import create_app

    began = time.perf_counter()
    missing = [name for name in OXIGRAPH_FILES if not (oxigraph / name).is_file()]
    if missing:
        raise SiteError(f"{oxigraph}: no {', '.join(missing)} of the npm package oxigraph (run `npm ci --prefix web`)")
    sums = read_sums(settings.dist)
    if Path(DUMP).name not in sums:
        raise SiteError(f"{settings.dist / SUMS}: the build has no {Path(DUMP).name}, which the browser queries")
    dump = verify(settings.dist, Path(DUMP).name)
    quads = count_lines(dump)
    app = create_app(settings)
    app.state.static_site = StaticSite(
        DUMP,
        SEARCH_INDEX,
        settings.timeout,
        settings.max_rows,
        quads,
        dump.stat().st_size,
        quads <= settings.browser_max_quads,
        settings.site_server.rstrip("/"),
    )
    crawled = asyncio.run(crawl.crawl(app, settings))
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        folder.chmod(0o777 & ~current_umask())  # as any folder made here (mkdtemp's is private): a web server reads it
        _write_pages(folder, crawled)
        for name in sorted(sums):  # the dumps, each checked against its checksum as the server does
            _copy(verify(settings.dist, name), folder / "dumps" / name)
        _copy(settings.dist / SUMS, folder / "dumps" / SUMS)
        static = Path(responses.__file__).parent / "static"
        for path in sorted(static.iterdir()):
            _copy(path, folder / "static" / path.name)
        for name in OXIGRAPH_FILES:
            _copy(oxigraph / name, folder / "static" / "oxigraph" / name)
        index = app.state.search
        hrefs = [Site(settings.base).local(row.iri) for row in index.rows]
        _text(folder / SEARCH_INDEX.lstrip("/"), json.dumps(exported(index, hrefs), ensure_ascii=False))
        _write_hosting(folder, out, site_url)
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        folder.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    files = [p for p in out.rglob("*") if p.is_file()]
    pages = sum(1 for p in files if p.suffix == ".html")
    size = sum(p.stat().st_size for p in files)
    return Written(len(files), size, pages, time.perf_counter() - began, sorted(crawled.broken))


def count_lines(path: Path) -> int:
    """The lines of a gzipped file: the quads of an N-Quads dump."""
    with gzip.open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def _write_pages(folder: Path, crawled: crawl.Crawled) -> None:
    media_of = crawled.media_of()
    for (path, query), answer in crawled.answers.items():
        body = answer.body
        if answer.media == formats.HTML:
            body = paths.rewrite_links(body.decode(), path, media_of).encode()
        _bytes(folder / paths.file_for(path, query, answer.media), body)
    _bytes(folder / "404.html", crawled.not_found)


def _write_hosting(folder: Path, out: Path, site_url: str) -> None:
    headers = dict(SHARED_HEADERS)
    query_headers = {**headers, "Content-Security-Policy": QUERY_PAGE_POLICY}
    _text(folder / ".htaccess", hosts.htaccess(headers, query_headers))
    _text(folder / "_headers", hosts.netlify_headers(headers, query_headers))
    _text(folder / "_redirects", hosts.netlify_redirects())
    _text(folder / HOSTING / "nginx.conf", hosts.nginx(str(out.resolve()), headers, query_headers))
    if site_url:
        _text(folder / HOSTING / "w3id.htaccess", hosts.w3id(site_url))


def _bytes(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _text(path: Path, text: str) -> None:
    _bytes(path, text.encode("utf-8"))


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
