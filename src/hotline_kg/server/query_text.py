"""A SPARQL query as text: its comments, strings and IRIs told from its code (``blanked``), the
declarations found in it, and rdflib's parser run in one thread of its own under a time limit
(``in_parser_thread``). Used by ``protocol`` (the checks of a request) and by the rewrites that
make an engine answer as SPARQL says (``engine.virtuoso``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

#: Comments, strings and IRIs: removed before looking for keywords.
NOISE_RE = re.compile(
    r'''#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>'''
)
#: The query form's keyword: not a prefix (``PREFIX ask: …``), a variable or part of a name.
FORM_RE = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)\b(?![:\w-])", re.IGNORECASE)
PREFIX_DECL_RE = re.compile(r"(?<![\w:?$])PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
BASE_DECL_RE = re.compile(r"(?<![\w:?$])BASE\s*<([^<>\s]*)>", re.IGNORECASE)

T = TypeVar("T")


def blanked(query: str, keep_iris: bool = False) -> str:
    """The query with its comments and strings (and its IRIs, unless ``keep_iris``) as spaces,
    every other character where it was: what a pattern finds there is code, at its place.

    >>> blanked('SELECT * { ?s <urn:p> "#1" } # all')
    'SELECT * { ?s              }      '
    """

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if keep_iris and text.startswith("<") else " " * len(text)

    return NOISE_RE.sub(blank, query)


def declares_base(query: str) -> bool:
    """Whether a query has a BASE declaration of its own (outside its strings and comments)."""
    return BASE_DECL_RE.search(blanked(query, keep_iris=True)) is not None


#: The thread that runs rdflib's parser, one query at a time (one parser, shared).
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-check")


async def in_parser_thread(function: Callable[..., T], *args: object, limit: float) -> T:
    """``function(*args)`` in the parser's thread, off the event loop, which goes on serving
    meanwhile; TimeoutError after ``limit`` seconds (rdflib takes seconds over a long query)."""
    future = asyncio.wrap_future(_PARSER.submit(function, *args))
    return await asyncio.wait_for(future, limit)
