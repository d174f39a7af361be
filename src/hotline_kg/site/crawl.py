"""The static site's pages, as the server answers them: its own app, in-process, asked for each.

``crawl(app, settings)`` starts the app (its engine, indexes and templates, exactly as ``serve``
does), asks it for every page a reader can reach (``seeds``: home, query, search, catalogue,
the report texts, ``/def/hotline``, and every resource of the data with each of its twins), and
follows each page's links (a list's later pages and filters) until none is new. The answers are
returned, not written: ``site.write`` writes them. So the static pages come from the same view
code as the server's, rendered once.

A resource's JSON and CSV twins are whole tables here: the server pages them (``Link:
rel="next"``), a static host cannot send that header, so their pages are joined into one file.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.server.queries import select
from hotline_kg.server.responses import json_text
from hotline_kg.server.settings import Settings
from hotline_kg.server.views import resource
from hotline_kg.server.views.dumps import BUILD_FILES, listed_reports
from hotline_kg.site import paths

#: Pages a reader reaches from the header and the home page, besides the resources.
PAGES = ("/", "/index.json", "/index.csv", "/query", "/search", "/def/hotline")
#: A path nothing answers: its page is the site's 404.html.
MISSING = "/404"
#: Every resource of the data (``id/…``), a page at a time (``ORDER BY``: the same pages each time).
RESOURCES = """SELECT DISTINCT ?s WHERE {{ {{ ?s ?p ?o }} UNION {{ ?o ?p ?s }}
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), {prefix})) }} ORDER BY ?s LIMIT {limit} OFFSET {offset}"""


class CrawlError(RuntimeError):
    """A page the site must hold was not answered (its path and status)."""


@dataclass(frozen=True)
class Answer:
    """What the app answered for a path (and query): its media type (without parameters) and body."""

    media: str
    body: bytes


@dataclass
class Crawled:
    """Every answer of a crawl, by (path, query), and the 404 page."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    not_found: bytes = b""
    #: Links of the pages that the server answers with 404 too (the site links them as it does).
    broken: list[str] = field(default_factory=list)

    def media_of(self) -> dict[tuple[str, str], str]:
        return {key: answer.media for key, answer in self.answers.items()}


async def resources(engine: Any, base: str, limit: int) -> list[str]:
    """The path of every resource of the data (``/id/…``), by the engine, ``limit`` at a time."""
    prefix = str(ox.Literal(base + "id/"))
    found: list[str] = []
    while True:
        rows = await select(engine, RESOURCES.format(prefix=prefix, limit=limit, offset=len(found)))
        found += [row["s"]["value"] for row in rows]
        if len(rows) < limit:
            return ["/" + iri.removeprefix(base) for iri in found]


def seeds(resource_paths: Iterable[str], reports: Iterable[str], build_files: Iterable[str]) -> list[tuple[str, str]]:
    """Where the crawl starts: the site's pages, the build files at paths of their own that the
    build has (VoID …), each report text, ``/def/hotline`` and every resource in each of its
    forms (RDF by the ending of its path; a resource of the data's observations as JSON and CSV)."""
    out = [(path, "") for path in (*PAGES, *build_files)]
    out += [(f"/reports/{name}", "") for name in reports]
    out += [(f"/def/hotline{ending}", "") for ending in formats.RESOURCE_ENDINGS]
    for path in resource_paths:
        out.append((path, ""))
        out += [(path + ending, "") for ending in (*formats.RESOURCE_ENDINGS, *resource.TWINS)]
    return out


async def crawl(app: Any, settings: Settings) -> Crawled:
    """Start ``app`` (``server.app.create_app``), ask it for every page of the site, and stop it.
    A page that does not answer 200 is a CrawlError naming it."""
    pages = app.pages.app  # the FastAPI app inside the shared headers: its lifespan starts the engine
    async with pages.router.lifespan_context(pages):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://site", timeout=None) as client:
            found = await resources(app.state.engine, settings.base, settings.max_rows)
            built = [path for path, name in BUILD_FILES.items() if (settings.dist / name).is_file()]
            todo = seeds(found, sorted(listed_reports(settings.raw)), built)
            crawled = Crawled()
            await _fetch_all(client, todo, crawled, settings.workers)
            missing = await client.get(MISSING, headers={"Accept": formats.HTML})
            crawled.not_found = missing.content
    return crawled


async def _fetch_all(client: httpx.AsyncClient, todo: list[tuple[str, str]], crawled: Crawled, at_once: int) -> None:
    """Fetch every page of ``todo`` and every page they link to, ``at_once`` at a time (as many as
    the engine has workers: a page is a few queries, each waits for a worker)."""
    seen = set(todo)
    todo_set = frozenset(todo)
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)

    async def worker() -> None:
        while True:
            path, query = await queue.get()
            try:
                answer = await _fetch(client, path, query, seed=(path, query) in todo_set)
                if answer is None:
                    crawled.broken.append(f"{path}?{query}" if query else path)
                    continue
                crawled.answers[path, query] = answer
                for link in _links_of(path, answer):
                    if link not in seen:
                        seen.add(link)
                        queue.put_nowait(link)
            finally:
                queue.task_done()

    workers = [asyncio.create_task(worker()) for _ in range(at_once)]
    try:
        waiting = asyncio.create_task(queue.join())
        done, _ = await asyncio.wait([waiting, *workers], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiting:
                task.result()  # a worker ended: its error
    finally:
        for task in workers:
            task.cancel()


async def _fetch(client: httpx.AsyncClient, path: str, query: str, seed: bool) -> Answer | None:
    """One page, as a browser asks for it; a resource's JSON or CSV twin, whole (``_whole``).
    A page linked from another that the server answers with 404: None (a seed must answer)."""
    url = f"{path}?{query}" if query else path
    response = await client.get(url, headers={"Accept": formats.HTML})
    if response.status_code == 404 and not seed:
        return None
    if response.status_code != 200:
        raise CrawlError(f"{url}: the server answered {response.status_code}: {response.text[:200]}")
    media = response.headers.get("content-type", "").split(";")[0].strip()
    body = response.content
    if path.startswith("/id/") and path.endswith(tuple(resource.TWINS)) and not query:
        body = await _whole(client, response)
    return Answer(media, body)


async def _whole(client: httpx.AsyncClient, first: httpx.Response) -> bytes:
    """A twin's pages joined: the JSON's observations in one list (``next``: null), the CSV's rows
    under one header."""
    pages = [first]
    while "next" in pages[-1].links:
        url = pages[-1].links["next"]["url"]
        response = await client.get(url)
        if response.status_code != 200:
            raise CrawlError(f"{url}: the server answered {response.status_code}")
        pages.append(response)
    if str(first.url.path).endswith(".json"):
        whole = first.json()
        whole["observations"] = [o for page in pages for o in page.json()["observations"]]
        whole["next"] = None
        return json_text(whole).encode()
    rows = [list(csv.reader(io.StringIO(page.text))) for page in pages]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([rows[0][0], *(row for page in rows for row in page[1:])])
    return out.getvalue().encode()


def _links_of(path: str, answer: Answer) -> list[tuple[str, str]]:
    """The pages of this site an answer links to (a page's links; other answers link to none)."""
    if answer.media != formats.HTML:
        return []
    return [(p, q) for p, q in paths.links(answer.body.decode(), path) if _crawled(p)]


def _crawled(path: str) -> bool:
    """Whether a link's path is a page the crawl asks for: not the endpoint nor a dump (copied,
    ``site.write``)."""
    return not path.startswith(("/sparql", "/dumps/", "/static/"))
