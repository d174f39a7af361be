"""A SPARQL query as text: its comments, strings and IRIs told from its code (``blanked``), the
declarations found in it, and rdflib's parser run in one thread of its own under a time limit
(``in_parser_thread``), recording where it matched the parts a rewrite needs (``parsed_with_spans``).
Used by ``protocol`` (the checks of a request) and by the rewrites that make an engine answer as
SPARQL says (``zero_length``, ``engine.virtuoso``)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pyparsing import ParseResults
from rdflib.plugins.sparql import parser
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

#: Comments, strings and IRIs: removed before looking for keywords.
NOISE_RE = re.compile(
    r'''#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>'''
)
#: The query form's keyword: not a prefix (``PREFIX ask: …``), a variable or part of a name.
FORM_RE = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)\b(?![:\w-])", re.IGNORECASE)
PREFIX_DECL_RE = re.compile(r"(?<![\w:?$])PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
BASE_DECL_RE = re.compile(r"(?<![\w:?$])BASE\s*<([^<>\s]*)>", re.IGNORECASE)
#: GRAPH with a variable.
GRAPH_VAR_RE = re.compile(r"(?<![\w:?$])GRAPH\s*[?$]\w+", re.IGNORECASE)
#: A path modifier that allows zero steps (p*, p?), in a query ``blanked`` with its IRIs kept.
ZERO_LENGTH_RE = re.compile(r"(?<=[\w>)])[*?](?![\w])")

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


class Unwritable(Exception):
    """A query the wrapper cannot write so that the engine answers it as SPARQL says."""


#: The parts of rdflib's grammar whose matches ``parsed_with_spans`` records.
RECORDED = ("UnaryExpression", "MultiplicativeExpression", "TriplesSameSubjectPath", "Path")
_RECORDING = threading.local()


def _recorder(name: str) -> Callable[..., None]:
    def matched(text: str, start: int, end: int, *_: object, **__: object) -> None:
        found = getattr(_RECORDING, "found", None)
        if found is not None and text == found[1]:
            found[0][name].add((start, end))

    return matched


def _ignored(*_: object, **__: object) -> None:
    return None


# pyparsing's debug actions give the span of each match; they record only while parsed_with_spans
# reads a query, in its own thread
for _name in RECORDED:
    getattr(parser, _name).set_debug_actions(_ignored, _recorder(_name), _ignored)


def parsed_with_spans(query: str) -> tuple[ParseResults, dict[str, set[tuple[int, int]]]]:
    """rdflib's parse tree of a query, and where in the query its parser matched each part named in
    ``RECORDED`` (spans may take in the white space after them; a tab is read as a space, also in
    a string). A query with codepoint escapes
    (``\\u0041``) is read with them decoded: its spans are then empty. Raises what rdflib raises.

    >>> tree, spans = parsed_with_spans("ASK { ?s <urn:p>* ?o }")
    >>> sorted(spans["Path"])
    [(9, 18)]
    """
    found: dict[str, set[tuple[int, int]]] = {name: set() for name in RECORDED}
    source = query.replace("\t", " ")  # pyparsing expands tabs to columns of 8, which moves what follows
    _RECORDING.found = (found, source)
    try:
        return parseQuery(source), found
    finally:
        _RECORDING.found = None


def nodes(tree: object) -> list[CompValue]:
    """Every node of a parse tree or an algebra."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple):
            stack.extend(node)
    return found
