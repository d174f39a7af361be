"""The SPARQL Protocol's checks, as pure functions: refuse what the endpoint does not do (updates,
SERVICE, foreign graphs) and pick a media type from an Accept header (``negotiate``; the media
types themselves are defined in ``hotline_kg.formats``). ``server.sparql`` reads the request and
calls these (``check``: ``parse`` with its slow part off the event loop); the query page and
resource pages use them too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.term import Variable

from hotline_kg.formats import ALIASES
from hotline_kg.server.engine.base import checked
from hotline_kg.server.query_text import FORM_RE, NOISE_RE, nodes


class Refused(Exception):
    """A request the endpoint will not run; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class Parsed:
    form: str  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    from_default: tuple[str, ...]
    from_named: tuple[str, ...]
    services: tuple[str, ...] = ()  # the endpoint of each SERVICE, in the query's order


RISKY_RE = re.compile(
    r"\b(SERVICE|FROM|LOAD|INSERT|DELETE|CLEAR|DROP|CREATE|COPY|MOVE|ADD|WITH|USING)\b", re.IGNORECASE
)
FORMS = {"SELECT": "SelectQuery", "ASK": "AskQuery", "CONSTRUCT": "ConstructQuery", "DESCRIBE": "DescribeQuery"}
#: Brackets nested deeper than this are refused: the parsers recurse once per level, and Oxigraph's
#: overflows its stack (the process dies of SIGSEGV) a few thousand levels down.
MAX_NESTING = 200
NOT_BRACKET_RE = re.compile(r"[^(){}\[\]]+")


def parse(query: str, graphs: frozenset[str]) -> Parsed:
    """Check a query before it reaches the store. Raises Refused with the parser's message.
    (Pure: the checks of a query seen before are remembered.)

    A query with none of the keywords that could reach outside (SERVICE, FROM, LOAD or an
    update's) needs no full parse here: the store's own parser reports its syntax errors.
    Anything else is parsed in full and checked."""
    return screen(query) or full_parse(query, graphs)


async def check(query: str, graphs: frozenset[str], limit: float, allowed: frozenset[str] = frozenset()) -> Parsed:
    """``parse``, with the full parse (rdflib's: seconds for a long query) in a thread of its own
    rather than in the event loop, which goes on serving meanwhile; QueryTimeout if it takes
    longer than ``limit`` seconds (the query is not run). A SERVICE may name only an endpoint of
    ``allowed`` (the whole IRI)."""
    quick = screen(query)
    if quick is not None:
        return quick
    parsed = await checked(full_parse, query, graphs, limit=limit)
    refused = [iri for iri in parsed.services if iri not in allowed]
    if refused and not allowed:
        raise Refused("SERVICE is not allowed: this endpoint does not fetch from other services")
    if refused:
        raise Refused(f"SERVICE <{refused[0]}> is not allowed: this endpoint reaches only {', '.join(sorted(allowed))}")
    return parsed


@lru_cache(maxsize=4096)
def screen(query: str) -> Parsed | None:
    """The checks every query gets: the form of a query that needs no full parse, None for one
    that does; Refused for brackets nested too deep."""
    bare = NOISE_RE.sub(" ", query)
    if _nesting(bare) > MAX_NESTING:
        raise Refused(f"malformed query: brackets nested more than {MAX_NESTING} levels deep")
    form = FORM_RE.search(bare)
    escaped = "\\u" in query or "\\U" in query  # codepoint escapes are decoded before parsing
    if form and not RISKY_RE.search(bare) and not escaped:
        return Parsed(FORMS[form.group(1).upper()], (), ())
    return None


@lru_cache(maxsize=4096)
def full_parse(query: str, graphs: frozenset[str]) -> Parsed:
    try:
        tree = _parse(query)
        body = tree[1]
        service = _has(body, "ServiceGraphPattern")
    except ParseException as err:
        if _is_update(query):
            raise Refused(
                "this endpoint is read-only: SPARQL updates (INSERT, DELETE, LOAD, CLEAR …) are not accepted"
            ) from err
        raise Refused(f"malformed query: {err}") from err
    except RecursionError as err:  # rdflib's parser recurses once per level of nesting, and per triple
        raise Refused(
            "this query is too long or nested too deeply to be checked for FROM, SERVICE and updates, so it is "
            "not run (name the dataset's graphs with default-graph-uri / named-graph-uri instead of FROM)"
        ) from err
    except Exception as err:  # rdflib fails in other ways too: ValueError for an escape of no code point
        # (\U7FFFFFFF), TypeError for a sign before a literal it cannot negate (-"1"^^xsd:decimal) …
        raise Refused(f"this query could not be checked, so it is not run ({type(err).__name__}: {err})") from err
    form = type(body).__name__ if not hasattr(body, "name") else body.name
    # FROM <data.ttl> and FROM :g as the engine reads them: against the query's BASE and PREFIXes
    default, named = [], []
    try:
        prologue = translatePrologue(tree[0], None)
        for clause in body.get("datasetClause") or []:
            if "default" in clause:
                default.append(str(prologue.absolutize(clause["default"])))
            if "named" in clause:
                named.append(str(prologue.absolutize(clause["named"])))
    except Exception as err:  # rdflib: an undeclared prefix, a BASE it cannot join …
        raise Refused(f"malformed query: {err}") from err
    foreign = [g for g in default + named if g not in graphs]
    if foreign:
        raise Refused(
            f"FROM / FROM NAMED may only name this dataset's graphs; not {', '.join(foreign)} "
            "(the endpoint never fetches data from elsewhere)"
        )
    return Parsed(form, tuple(default), tuple(named), _services(body, prologue) if service else ())


#: An IRI in a query's code (``NOISE_RE`` also finds its comments and strings).
_IRI_RE = re.compile(r"<[^<>\"{}|^`\\\s]*>")


def _parse(query: str) -> object:
    """rdflib's parse tree of a query. rdflib fails on some valid queries with a SERVICE after an
    IRI that holds a "#" on the same line (``?d a <http://x#D> SERVICE <…> {…}``): those are
    parsed again with each "#" of an IRI written "%23". What the check reads of such an IRI (a
    FROM graph, a SERVICE endpoint) is then not the query's, so it is refused, never let through.

    >>> _parse('SELECT * { ?d a <http://x#D> SERVICE <http://y/s> { ?d ?p ?v } }')[1].name
    'SelectQuery'
    """
    try:
        return parseQuery(query)
    except ParseException:
        if "#" not in query or not re.search(r"SERVICE", query, re.IGNORECASE):
            raise
    escaped = NOISE_RE.sub(
        lambda m: m.group(0).replace("#", "%23") if _IRI_RE.fullmatch(m.group(0)) else m.group(0), query
    )
    return parseQuery(escaped)


def _services(body: object, prologue: object) -> tuple[str, ...]:
    """The endpoint of each SERVICE of a query (in no particular order), resolved against its BASE
    and PREFIXes; Refused for one named by a variable, or inside another (each is called alone,
    before the query)."""
    found = []
    for node in (n for n in nodes(body) if n.name == "ServiceGraphPattern"):
        if isinstance(node["term"], Variable):
            raise Refused("SERVICE with a variable is not allowed: name the endpoint, as an IRI")
        if any(inner.name == "ServiceGraphPattern" for inner in nodes(node["graph"])):
            raise Refused("SERVICE inside SERVICE is not run: write each SERVICE on its own")
        try:
            found.append(str(prologue.absolutize(node["term"])))  # type: ignore[attr-defined]
        except Exception as err:  # an undeclared prefix …
            raise Refused(f"malformed query: {err}") from err
    return tuple(found)


def _nesting(bare: str) -> int:
    """How deep the brackets of a query (without its strings, IRIs and comments) nest."""
    depth = most = 0
    for c in NOT_BRACKET_RE.sub("", bare):
        if c in "({[":
            depth += 1
            most = max(most, depth)
        else:
            depth -= 1
    return most


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
        return True
    except (ParseException, RecursionError, ValueError):
        return False


def _has(node: object, name: str) -> bool:
    if getattr(node, "name", None) == name:
        return True
    if isinstance(node, dict):
        return any(_has(v, name) for v in node.values())
    if isinstance(node, (list, tuple)):
        return any(_has(v, name) for v in node)
    if hasattr(node, "values") and callable(node.values):  # pyparsing results
        try:
            return any(_has(v, name) for v in node.values())
        except TypeError:
            return False
    return False


def accepted(header: str | None) -> list[tuple[str, float, int]]:
    """Media ranges of an Accept header with their q-values, in the client's order."""
    if not header:
        return [("*/*", float(1), 0)]
    ranges = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = float(1)
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = float(0)
        ranges.append((fields[0].lower(), q, i))
    return ranges


@lru_cache(maxsize=1024)
def negotiate(header: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered type the client prefers. Each type takes the q-value of the most specific
    range that matches it (RFC 9110); ties go to the more specific match, then the client's
    order, then ours (the first offered is the default). None if nothing offered is acceptable."""
    ranges = accepted(header)
    best: tuple[float, int, int, int] | None = None
    choice = None
    for rank, media in enumerate(offered):
        match: tuple[int, float, int] | None = None  # (specificity, q, order)
        for pattern, q, order in ranges:
            pattern = ALIASES.get(pattern, pattern)
            if pattern == media:
                specificity = 2
            elif pattern.endswith("/*") and pattern != "*/*" and media.startswith(pattern[:-1]):
                specificity = 1
            elif pattern == "*/*":
                specificity = 0
            else:
                continue
            if match is None or specificity > match[0]:
                match = (specificity, q, order)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -match[2], -rank)
        if best is None or key > best:
            best, choice = key, media
    return choice
