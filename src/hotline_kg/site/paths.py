"""Where each page of the server goes in the static site, and how its links are rewritten: pure.

A static host answers a path with the file at that path, and ignores the query string. So:

- a page (HTML) at a path without a query is written as ``<path>/index.html``: every host,
  configured or not, answers ``/id/district/110105`` with it (``python -m http.server`` and
  GitHub Pages by a redirect to ``/id/district/110105/``; the configurations of ``site.hosts``
  without one);
- any other file at a path without a query is written at that path (``/id/district/110105.ttl``,
  ``/dumps/hotline.nq.gz``), its type told by its ending;
- a page with a query (a list's next page ``?after=``, its filters ``?measure=``) is written as
  ``/p/<key><ending>``, the key a hash of its path and query, and every link to it is rewritten
  to that path (as ``wget --convert-links`` does). Links to the query page, the endpoint and the
  search page keep their query: the browser answers those (``static/query.js``, ``static/search.js``).

>>> page_file("/")
'index.html'
>>> page_file("/id/district/110105")
'id/district/110105/index.html'
>>> static_href("/id/year/2024", "measure=%2Fid%2Fmeasure%2Frequests", "text/html")
'/p/290dbe2882d88b73.html'
>>> static_href("/query", "query=ASK%7B%7D", "text/html")
'/query?query=ASK%7B%7D'
>>> after = ("/id/year/2024", "after=%2Fid%2Fobs%2F1")
>>> rewrite_links('<a href="?after=%2Fid%2Fobs%2F1#observations">', "/id/year/2024", {after: "text/html"})
'<a href="/p/546c944dccfa8bb1.html#observations">'
>>> rewrite_links('<a href="/id/x?y=1"><a href="/query?query=x"><a href="https://www.wikidata.org/?a=1">', "/", {})
'<a href="/id/x?y=1"><a href="/query?query=x"><a href="https://www.wikidata.org/?a=1">'
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from hotline_kg import formats

#: The folder of the pages that have a query (a list's later pages and filters).
QUERY_PAGES = "p"
#: Paths whose query the browser answers: never written as files, links kept as they are.
BROWSER_PATHS = ("/query", "/search", "/sparql")
#: The ending a file of each media type gets in ``QUERY_PAGES`` (a static host types it by it).
ENDINGS = {
    formats.HTML: ".html",
    formats.JSON: ".json",
    formats.SPARQL_CSV.media: ".csv",
    formats.TEXT: ".txt",
    **{media: ending for ending, media in formats.RESOURCE_ENDINGS.items()},
}
#: href and src attributes of a page (the templates quote every attribute with ").
_LINK = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def page_file(path: str) -> str:
    """The file of the site that holds the page (HTML) at ``path`` (no query)."""
    inner = path.strip("/")
    return f"{inner}/index.html" if inner else "index.html"


def query_key(path: str, query: str) -> str:
    """A short, stable name for a page with a query: a hash of both (the same every build)."""
    return hashlib.sha256(f"{path}?{query}".encode()).hexdigest()[:16]


def static_href(path: str, query: str, media: str) -> str:
    """What a link to ``path?query`` (a file of type ``media``) becomes in the static site."""
    if not query or path in BROWSER_PATHS:
        return f"{path}?{query}" if query else path
    return f"/{QUERY_PAGES}/{query_key(path, query)}{ENDINGS.get(media, '')}"


def file_for(path: str, query: str, media: str) -> str:
    """The file of the site (relative to its folder) that holds the answer at ``path?query``."""
    if query:
        return static_href(path, query, media).lstrip("/")
    return page_file(path) if media == formats.HTML else path.lstrip("/")


def local_target(href: str, page: str) -> tuple[str, str, str] | None:
    """A link of the page at ``page`` as (path, query, fragment) on this site; None for a link to
    another site, a scheme other than http(s), or a bare fragment."""
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(urljoin("http://site" + page, html.unescape(href)))
    if parts.netloc != "site" or parts.scheme != "http":
        return None
    return parts.path, parts.query, parts.fragment


def rewrite_links(page_html: str, page: str, media_of: Mapping[tuple[str, str], str]) -> str:
    """The page with each link to a page with a query rewritten to its file (``static_href``);
    ``media_of`` gives the media type of each (path, query) the site holds. Links to other sites,
    to paths without a query, to ``BROWSER_PATHS`` and to what the site does not hold are left
    as they are."""

    def one(match: re.Match[str]) -> str:
        target = local_target(match.group(2), page)
        if target is None or (target[0], target[1]) not in media_of or not target[1]:
            return match.group(0)
        path, query, fragment = target
        href = static_href(path, query, media_of[path, query]) + (f"#{fragment}" if fragment else "")
        return match.group(1) + html.escape(href) + match.group(3)

    return _LINK.sub(one, page_html)


def links(page_html: str, page: str) -> list[tuple[str, str]]:
    """The (path, query) of every link of a page to this site, except to ``BROWSER_PATHS`` with a
    query, in the order they appear."""
    found = []
    for match in _LINK.finditer(page_html):
        target = local_target(match.group(2), page)
        if target is not None and not (target[1] and target[0] in BROWSER_PATHS):
            found.append((target[0], target[1]))
    return found
