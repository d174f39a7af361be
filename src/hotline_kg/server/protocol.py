"""The SPARQL Protocol's checks, as pure functions: refuse what the endpoint does not do (updates,
SERVICE, foreign graphs) and pick a media type from an Accept header (``negotiate``; the media
types themselves are defined in ``hotline_kg.formats``). ``server.sparql`` reads the request and
calls these (``check``: ``parse`` with its slow part off the event loop); the query page and
resource pages use them too."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue, translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from hotline_kg.formats import ALIASES
from hotline_kg.server.engine.base import QueryTimeout


class Refused(Exception):
    """A request the endpoint will not run; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class Parsed:
    form: str  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    from_default: tuple[str, ...]
    from_named: tuple[str, ...]


#: Comments, strings and IRIs: removed before looking for keywords.
NOISE_RE = re.compile(
    r'''#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>'''
)
#: The query form's keyword: not a prefix (``PREFIX ask: …``), a variable or part of a name.
FORM_RE = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)\b(?![:\w-])", re.IGNORECASE)
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


async def check(query: str, graphs: frozenset[str], limit: float) -> Parsed:
    """``parse``, with the full parse (rdflib's: seconds for a long query) in a thread of its own
    rather than in the event loop, which goes on serving meanwhile; QueryTimeout if it takes
    longer than ``limit`` seconds (the query is not run)."""
    quick = screen(query)
    if quick is not None:
        return quick
    future = asyncio.wrap_future(_CHECKER.submit(full_parse, query, graphs))
    try:
        return await asyncio.wait_for(future, limit)
    except TimeoutError:
        raise QueryTimeout(f"checking the query took longer than {limit:g} s; it was not run") from None


async def boolean_variables(query: str, limit: float) -> frozenset[str]:
    """The variables a query binds to a boolean expression (``bound_to_booleans``), read in the
    parser's thread under the time limit as ``check`` reads a query."""
    if not BINDS_RE.search(NOISE_RE.sub(" ", query)):
        return frozenset()
    future = asyncio.wrap_future(_CHECKER.submit(bound_to_booleans, query))
    try:
        return await asyncio.wait_for(future, limit)
    except TimeoutError:
        raise QueryTimeout(f"checking the query took longer than {limit:g} s; it was not run") from None


#: An expression bound to a variable: SELECT (… AS ?v), BIND (… AS ?v).
BINDS_RE = re.compile(r"\bAS\s*[?$]", re.IGNORECASE)
#: Expressions whose value is an xsd:boolean (SPARQL 1.1 §17): comparisons and IN, the logical
#: operators, and the functions that test.
BOOLEAN_EXPRESSIONS = frozenset(
    {
        "RelationalExpression",
        "ConditionalAndExpression",
        "ConditionalOrExpression",
        "UnaryNot",
        "Builtin_sameTerm",
        "Builtin_BOUND",
        "Builtin_isIRI",
        "Builtin_isBLANK",
        "Builtin_isLITERAL",
        "Builtin_isNUMERIC",
        "Builtin_REGEX",
        "Builtin_CONTAINS",
        "Builtin_STRSTARTS",
        "Builtin_STRENDS",
        "Builtin_LANGMATCHES",
        "Builtin_EXISTS",
        "Builtin_NOTEXISTS",
    }
)


@lru_cache(maxsize=1024)
def bound_to_booleans(query: str) -> frozenset[str]:
    """The variables a query binds (SELECT (… AS ?v), BIND) to a boolean expression; none for a
    query that rdflib cannot read (the engine will say what is wrong with it).

    >>> sorted(bound_to_booleans("SELECT ((1 IN (1, 2)) AS ?in) (STRLEN('a') AS ?n) { BIND(?x < 2 AS ?lt) }"))
    ['in', 'lt']
    """
    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception:  # rdflib raises many types for what it cannot read
        return frozenset()
    found: set[str] = set()
    stack: list[object] = [algebra]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            expr = node.get("expr") if node.name == "Extend" else None
            if isinstance(expr, CompValue) and expr.name in BOOLEAN_EXPRESSIONS:
                found.add(str(node["var"]))
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return frozenset(found)


#: The thread that runs full parses, one at a time (one parser, shared).
_CHECKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-check")


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
        tree = parseQuery(query)
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
    if service:
        raise Refused("SERVICE is not allowed: this endpoint does not fetch from other services")
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
    return Parsed(form, tuple(default), tuple(named))


def _blanked(query: str, keep_iris: bool = False) -> str:
    """The query with its comments and strings (and its IRIs, unless ``keep_iris``) as spaces,
    every other character where it was: what a pattern finds there is code, at its place."""

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if keep_iris and text.startswith("<") else " " * len(text)

    return NOISE_RE.sub(blank, query)


def declares_base(query: str) -> bool:
    """Whether a query has a BASE declaration of its own (outside its strings and comments)."""
    return BASE_DECL_RE.search(_blanked(query, keep_iris=True)) is not None


def constant_graphs(query: str) -> list[str] | None:
    """The graphs a query names in GRAPH <iri> or GRAPH prefix:name, resolved against its PREFIX
    and BASE declarations; None when one cannot be resolved (an undeclared prefix).

    >>> constant_graphs("BASE <http://x/> PREFIX g: <urn:g:> ASK { GRAPH <a> {} GRAPH g:b {} GRAPH ?v {} }")
    ['http://x/a', 'urn:g:b']
    """
    kept = _blanked(query, keep_iris=True)
    prefixes = {m.group(1) or "": m.group(2) for m in PREFIX_DECL_RE.finditer(kept)}
    base = next((m.group(1) for m in BASE_DECL_RE.finditer(kept)), "")
    graphs = []
    for match in GRAPH_RE.finditer(kept):
        iri, prefix, local = match.group(1), match.group(2) or "", match.group(3)
        if iri is not None:
            graphs.append(urljoin(base, iri) if base else iri)
        elif prefix in prefixes:
            graphs.append(prefixes[prefix] + local)
        else:
            return None
    return graphs


def lang_as_defined(query: str) -> str:
    """The query with each LANG(x) written so that a literal without a language tag gives "", as
    SPARQL says, on an engine whose LANG leaves it unbound (Virtuoso): IF(isLiteral(x),
    COALESCE(LANG(x), ""), LANG(x)), an IRI or blank node still an error.

    >>> lang_as_defined('SELECT (LANG(?l) AS ?v) { FILTER(LANGMATCHES(?l, "*")) }')
    'SELECT (IF(isLiteral(?l), COALESCE(LANG(?l), ""), LANG(?l)) AS ?v) { FILTER(LANGMATCHES(?l, "*")) }'
    """
    return _rewrite_calls(query, LANG_CALL_RE, lambda _, x: f'IF(isLiteral({x}), COALESCE(LANG({x}), ""), LANG({x}))')


def empty_sums_as_zero(query: str) -> str:
    """The query with each SUM(…) and AVG(…) written so that over no solutions it gives 0, as SPARQL
    says, on an engine that leaves it unbound (Virtuoso): IF(COUNT(*) = 0, 0, SUM(…)); over
    solutions whose values cannot be added it is still an error.

    Only a query of one SELECT without GROUP BY is written anew: with GROUP BY there is no empty
    group, and Virtuoso's compiler fails on the rewrite in a grouped subquery (SQ156).

    >>> empty_sums_as_zero("SELECT (SUM(DISTINCT ?n) AS ?s) (avg(?n) AS ?a) { ?x ?p ?n }")
    'SELECT (IF(COUNT(*) = 0, 0, SUM(DISTINCT ?n)) AS ?s) (IF(COUNT(*) = 0, 0, avg(?n)) AS ?a) { ?x ?p ?n }'
    """
    bare = NOISE_RE.sub(" ", query)
    if GROUP_BY_RE.search(bare) or len(FORM_RE.findall(bare)) > 1:
        return query
    return _rewrite_calls(query, SUM_CALL_RE, lambda name, x: f"IF(COUNT(*) = 0, 0, {name}({x}))")


def _rewrite_calls(query: str, call_re: re.Pattern[str], written: Callable[[str, str], str]) -> str:
    """Each call ``call_re`` finds (outside strings, IRIs and comments), written anew by
    ``written(name, argument text)``. A call inside the argument of another leaves the query as it
    is, as does an unbalanced one (the engine will say what is wrong with it)."""
    masked = _blanked(query)
    spans = []
    for match in call_re.finditer(masked):
        depth, end = 1, match.end()
        while end < len(masked) and depth:
            depth += {"(": 1, ")": -1}.get(masked[end], 0)
            end += 1
        if depth:
            return query
        spans.append((match.start(), match.group(1), match.end(), end - 1))
    if any(a < c < b for a, _, _, b in spans for c, _, _, _ in spans):
        return query
    for start, name, open_end, close in reversed(spans):
        query = query[:start] + written(name, query[open_end:close]) + query[close + 1 :]
    return query


#: A call of LANG (not LANGMATCHES, a prefixed name or a variable).
LANG_CALL_RE = re.compile(r"(?<![\w:?$])(LANG)\s*\(", re.IGNORECASE)
GROUP_BY_RE = re.compile(r"(?<![\w:?$])GROUP\s+BY\b", re.IGNORECASE)
#: A call of the aggregates SUM and AVG.
SUM_CALL_RE = re.compile(r"(?<![\w:?$])(SUM|AVG)\s*\(", re.IGNORECASE)
PREFIX_DECL_RE = re.compile(r"(?<![\w:?$])PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
BASE_DECL_RE = re.compile(r"(?<![\w:?$])BASE\s*<([^<>\s]*)>", re.IGNORECASE)
GRAPH_RE = re.compile(r"(?<![\w:?$])GRAPH\s*(?:<([^<>\s]*)>|([A-Za-z][\w.-]*)?:([\w.-]*))", re.IGNORECASE)


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
