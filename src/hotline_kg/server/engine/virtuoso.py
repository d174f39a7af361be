"""Where Virtuoso answers otherwise than SPARQL says, and how the wrapper makes it right.

Over Virtuoso the query is written anew before it is sent (``rewritten``) and the terms of its
answer are read back as the data holds them (``literal``):

- LANG of a literal without a language tag is unbound → ``IF(isLiteral(x), COALESCE(LANG(x), ""), LANG(x))``;
- DATATYPE of a literal without a datatype of its own is unbound → xsd:string or rdf:langString;
- SUM and AVG over no solutions are unbound → ``IF(COUNT(*) = 0, 0, SUM(…))``;
- integer ÷ integer is an integer (1/3 = 0) → ``IF(DATATYPE(a / b) = xsd:integer, a * 1.0 / b, a / b)``;
- GRAPH ?g { } gives no solution → the graphs that hold a triple (``every_graph_listed``);
- a number or boolean as a triple's object matches by value (0 matches false) → by the term
  (``terms_matched_as_terms``);
- ORDER BY a variable named nowhere else, over a DISTINCT subquery, drops the LIMIT and OFFSET
  → that key left out: it orders nothing (``order_by_unbound_dropped``);
- ASK is true where its pattern has no solution → sent as SELECT * … LIMIT 1 (``ask_as_select``);
- comparisons, IN, sameTerm … bound to a variable are 0 or 1 → read as false and true;
- booleans of the data are written 0 and 1 → false and true;
- xsd:duration values are kept as a number of months (P1Y as 12) → written again as a duration;
  a duration kept as seconds is not exact (PT1S as 1.1), and is refused (``Inexact``).

What it answers wrongly and cannot be written anew is refused (``refuse_what_it_answers_wrongly``,
``Unwritable``): the wrapper answers 400, naming Virtuoso. The graph parts of a request are
mended in ``remote.RemoteEngine``: ASK and COUNT of a GRAPH on a graph outside the request's
dataset (GRAPH <g>, or GRAPH ?g with ?g from VALUES or BIND) give true and 1, so the graphs of
``graphs_named`` that exist nowhere are named in the request; a request naming only named graphs
gets an empty default graph (``NO_GRAPH``), and one naming only a default graph (a FROM without
FROM NAMED) empty named graphs: Virtuoso takes GRAPH ?g over every graph of its store there, its own
too. Each case has a test over every engine in
``tests/test_server.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Literal, Variable

from hotline_kg.rdf.vocab import XSD
from hotline_kg.server import zero_length
from hotline_kg.server.query_text import (
    BASE_DECL_RE,
    FORM_RE,
    GRAPH_VAR_RE,
    NOISE_RE,
    PREFIX_DECL_RE,
    ZERO_LENGTH_RE,
    Unwritable,
    blanked,
    nodes,
    parsed_with_spans,
)


class Inexact(Exception):
    """A value Virtuoso keeps in a form that cannot be read back as the data held it."""


@dataclass(frozen=True)
class Written:
    """A query as Virtuoso answers it as SPARQL says (``text``), and the variables it binds to a
    boolean expression (``booleans``: their 0 and 1 are read back as false and true). ``plain``:
    the query written without its SUM and AVG over no solutions as 0, for where Virtuoso's compiler
    fails on that (SQ156); ``sums``: the variables bound to them, which must then be bound."""

    text: str
    booleans: frozenset[str]
    plain: str | None = None
    sums: frozenset[str] = frozenset()
    ask: bool = False  # an ASK sent as a SELECT of one row (``ask_as_select``): true if it has one


@lru_cache(maxsize=1024)
def rewritten(query: str) -> Written:
    """The query written as Virtuoso answers it as SPARQL says (``Written``); Unwritable where it
    cannot be."""
    refuse_what_it_answers_wrongly(query)
    text = lang_as_defined(every_graph_listed(terms_matched_as_terms(datatype_as_defined(query))))
    text = order_by_unbound_dropped(text)
    summed = empty_sums_as_zero(text)
    if summed == text:
        text = decimal_division(text)
        asked = ask_as_select(text)
        return Written(asked, bound_to_booleans(text), ask=asked != text)
    written, plain = decimal_division(summed), decimal_division(text)
    asked = ask_as_select(written)
    return Written(asked, bound_to_booleans(written), ask_as_select(plain), summed_variables(query), asked != written)


def ask_as_select(query: str) -> str:
    """An ASK written as a SELECT of at most one row, whose answer is true if it has one: Virtuoso
    answers ASK wrongly where it answers the SELECT right (``ASK { VALUES ?p { <urn:x> } FILTER(?p = 3) }``
    gave true). Other forms are left as they are.

    >>> ask_as_select("ASK { ?s ?p ?o } VALUES ?s { <urn:x> }")
    'SELECT * { ?s ?p ?o } LIMIT 1 VALUES ?s { <urn:x> }'
    """
    code = blanked(query)
    form = FORM_RE.search(code)
    if not form or form.group(1).upper() != "ASK":
        return query
    opened = code.find("{", form.end())
    closed = _group_end(code, opened + 1) if opened >= 0 else None
    if closed is None:
        return query  # the engine says what is wrong with it
    tail = code[closed + 1 :]
    limited = query
    if not re.search(r"(?<![\w:?$])LIMIT\b", tail, re.IGNORECASE):  # LIMIT 1 goes before a VALUES that ends it
        values = re.search(r"(?<![\w:?$])VALUES\b", tail, re.IGNORECASE)
        at = closed + 1 + values.start() if values else len(query)
        limited = f"{query[:at].rstrip()} LIMIT 1 {query[at:]}".rstrip()
    return f"{limited[: form.start()]}SELECT *{limited[form.end() :]}"


def summed_variables(query: str) -> frozenset[str]:
    """The variables a query binds to an expression with SUM or AVG in it: (… SUM(?x) … AS ?v).

    >>> sorted(summed_variables("SELECT (SUM(?x) / 2 AS ?half) (COUNT(*) AS ?n) (AVG(?y) AS ?a) {}"))
    ['a', 'half']
    """
    code = blanked(query)
    found = set()
    for match in BOUND_AS_RE.finditer(code):
        depth, at = 0, match.start()
        while at > 0:
            at -= 1
            if code[at] == ")":
                depth += 1
            elif code[at] == "(":
                if depth == 0:
                    break
                depth -= 1
        if SUM_CALL_RE.search(code, at, match.start()):
            found.add(match.group(1)[1:])
    return frozenset(found)


#: An inverse path of one property (``^<p>``, ``^x:p``, ``^a``; not a datatype's ``^^``) followed by
#: a literal: a string, a number, true or false.
INVERSE_TO_LITERAL_RE = re.compile(
    r"(?<!\^)\^(?!\^)\s*(?:<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*|a\b)\s*(?=[\"'\d+\-.]|true\b|false\b)"
)


def inverse_to_literal(query: str) -> str | None:
    """The first inverse path of one property to a literal in a query's code (Virtuoso answers it
    with a solution with nothing bound where nothing matches), or None.

    >>> inverse_to_literal('SELECT * { ?s ^<urn:p> "a" }'), inverse_to_literal('SELECT * { ?s <urn:p> "a"^^<urn:t> }')
    ('^<urn:p>', None)
    >>> inverse_to_literal('SELECT * { VALUES ?v { "1"^^<urn:t> "2" } ?s ^<urn:p> ?v }')
    """
    code = blanked(query, keep_iris=True)
    for match in INVERSE_TO_LITERAL_RE.finditer(query):
        if code[match.start()] == "^":
            return match.group(0).strip()
    return None


def refuse_what_it_answers_wrongly(query: str) -> None:
    """Unwritable for a query Virtuoso answers wrongly and the wrapper cannot write anew: an integer
    beyond 64 bits (Virtuoso reads 3123341724822987348115456 as another number), a prefix not
    declared (Virtuoso has its own; SPARQL none), a path of zero length inside GRAPH ?g (Virtuoso
    matches it in no graph), an inverse path of one property to a literal, a MINUS that shares no
    variable, UNDEF in VALUES, a value that is not
    a test taken as true or false (``FILTER (?x)``), an IF whose condition may be an error
    (Virtuoso takes its else branch), or a triple pattern with one variable twice next to an
    OPTIONAL (Virtuoso drops that they are one).

    >>> try:
    ...     refuse_what_it_answers_wrongly("SELECT * { ?s <urn:p> ?s OPTIONAL { ?s ?q ?o } }")
    ... except Unwritable as err:
    ...     print(str(err)[:95])
    Virtuoso, the engine behind this endpoint, answers a triple pattern with one variable twice (?s
    """
    code = blanked(query)
    for match in INTEGER_RE.finditer(code):
        if abs(int(match.group())) >= 2**63:
            raise Unwritable(
                f"Virtuoso, the engine behind this endpoint, reads integers beyond 64 bits as other numbers "
                f"({match.group()[:30]}); write it as a decimal ({match.group()[:30]}.0)"
            )
    kept = blanked(query, keep_iris=True)
    declared = {m.group(1) or "" for m in PREFIX_DECL_RE.finditer(kept)}
    body = PREFIX_DECL_RE.sub(" ", code)
    undeclared = sorted({m.group(1) or "" for m in PREFIXED_RE.finditer(body)} - declared)
    if undeclared:  # Virtuoso has prefixes of its own (rdfs:, bif: …): SPARQL has none
        raise Unwritable(f"the prefix {undeclared[0]}: is not declared (PREFIX {undeclared[0]}: <…>)")
    if GRAPH_VAR_RE.search(code) and ZERO_LENGTH_RE.search(kept):
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, matches a path of zero length (p* or p?) inside GRAPH ?g "
            "in no graph, where SPARQL matches it in each graph that holds its node; name the graph, or leave "
            "the path out of GRAPH ?g"
        )
    literal = zero_length.literal_end(query)
    if literal:
        raise Unwritable(
            f"Virtuoso, the engine behind this endpoint, answers a path of zero length (p* or p?) from a literal "
            f"with its variable unbound, where SPARQL gives the literal ({literal}); bind the literal with "
            "VALUES or BIND instead"
        )
    inverse = inverse_to_literal(query)
    if inverse:
        raise Unwritable(
            f"Virtuoso, the engine behind this endpoint, answers an inverse path of one property to a literal "
            f"({inverse}) with one solution with nothing bound, where SPARQL gives none; write the triple the "
            'other way round ("a" <p> ?s for ?s ^<p> "a")'
        )
    if minus_apart(query):
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, removes rows by a MINUS that shares no variable with "
            "the pattern before it, where SPARQL removes none; leave that MINUS out (it removes nothing), or "
            "write FILTER NOT EXISTS if every row should go where its pattern matches"
        )
    if undef_in_values(query):
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, answers a VALUES row with UNDEF wrongly once the query "
            "tests its variable (FILTER (BOUND(?v)) holds, FILTER (?v = 1) binds it); write the rows with UNDEF "
            "as VALUES of their own, joined by UNION: { VALUES ?x { 1 } } UNION { VALUES (?x ?v) { (2 3) } }"
        )
    value = not_a_test(query)
    if value:
        raise Unwritable(
            f"Virtuoso, the engine behind this endpoint, takes a value that is not a test as true or false "
            f"wrongly (a date, a language-tagged string, NaN: true; an IRI under !: true), where SPARQL takes "
            f"it as false or as an error; test {value} instead: with a comparison (?x != 0, ?x = true, "
            "STRLEN(?x) > 0), BOUND, isIRI …"
        )
    condition = error_prone_condition(query)
    if condition:
        raise Unwritable(
            f"Virtuoso, the engine behind this endpoint, takes the else branch of IF where its condition is an "
            f"error (an unbound variable, terms that cannot be compared, a value that is neither true nor false "
            f"such as an IRI), where SPARQL gives an error; write the condition ({condition}) so that it cannot "
            "be one: with BOUND, EXISTS, or COALESCE(condition, false) where the else branch is meant"
        )
    same = SAME_ENDS_RE.search(kept)
    if same and OPTIONAL_RE.search(code):
        raise Unwritable(
            f"Virtuoso, the engine behind this endpoint, answers a triple pattern with one variable twice "
            f"({same.group(1)} … {same.group(1)}) wrongly next to an OPTIONAL (it matches every triple); "
            f"write the second as a variable of its own and FILTER(sameTerm({same.group(1)}, ?that))"
        )


def error_prone_condition(query: str) -> str | None:
    """The condition of an IF in the query that may be an error, as the query writes it ("…" if
    it cannot be told apart), or None: where there is none, or rdflib cannot read the query (the
    engine says what is wrong with it). Virtuoso takes the else branch there; SPARQL gives an
    error (SPARQL 1.1 §17.4.1.2).

    >>> error_prone_condition("SELECT (IF(?x > 2, 1, 2) AS ?y) {}")
    '?x > 2'
    >>> error_prone_condition("SELECT (IF(BOUND(?x) || COALESCE(?x > 2, false), 1, 2) AS ?y) {}") is None
    True
    """
    code = blanked(query)
    if not IF_CALL_RE.search(code):
        return None
    algebra = _algebra(query)
    if algebra is None or all(_never_error(node.arg1) for node in nodes(algebra) if node.name == "Builtin_IF"):
        return None
    form = FORM_RE.search(code)
    prologue = query[: form.start()] if form else ""
    for call in IF_CALL_RE.finditer(code):
        depth, at = 0, call.end()
        while at < len(code) and (depth or code[at] != ","):
            depth += {"(": 1, ")": -1, "[": 1, "]": -1, "{": 1, "}": -1}.get(code[at], 0)
            at += 1
        condition = query[call.end() : at].strip()
        read = _algebra(f"{prologue} ASK {{ FILTER ({condition}) }}")
        if read is None:  # not a condition as written (an IF nested in it …): told by the whole query
            continue
        if not all(_never_error(node.expr) for node in nodes(read) if node.name == "Filter"):
            return condition[:100] + ("…" if len(condition) > 100 else "")
    return "…"


def not_a_test(query: str) -> str | None:
    """A value the query takes as true or false that is not a test (a variable, a function's
    value: ``FILTER (?x)``, ``!?x``, ``?x && …``), named (``?x``, or "a value" for an expression);
    None if there is none, or rdflib cannot read the query. Virtuoso takes the effective boolean
    value of such a value wrongly (a date, a language-tagged string, NaN: true; an IRI under !:
    true), where SPARQL takes it as false or as an error (§17.2.2).

    >>> not_a_test("SELECT * { ?s ?p ?o FILTER (!?o) }")
    '?o'
    >>> not_a_test("SELECT * { ?s ?p ?o FILTER (!BOUND(?o) || ?o > 2) OPTIONAL { ?o ?q ?x FILTER (true) } }") is None
    True
    """
    algebra = _algebra(query) if TESTED_RE.search(blanked(query)) else None
    for node in nodes(algebra) if algebra is not None else []:
        if node.name in ("Filter", "LeftJoin", "UnaryNot"):
            taken = [node.expr]
        elif node.name in ("ConditionalAndExpression", "ConditionalOrExpression"):
            taken = [node.expr, *node.other]
        else:
            continue
        for value in taken:
            if not _a_test(value):
                return f"?{value}" if isinstance(value, Variable) and not value.startswith("__") else "a value"
    return None


def _a_test(value: object) -> bool:
    """Whether a value is true or false by its kind: a test (a comparison, BOUND, isIRI, REGEX …),
    a boolean literal, or an IF or COALESCE of those."""
    if isinstance(value, Literal):
        return value.datatype == XSD.boolean
    if not isinstance(value, CompValue):
        return False
    if value.name in BOOLEAN_EXPRESSIONS or value.name == "TrueFilter":
        return True
    if value.name == "Builtin_IF":
        return _a_test(value.arg2) and _a_test(value.arg3)
    if value.name == "Builtin_COALESCE":
        return all(_a_test(part) for part in value.arg)
    return False


@lru_cache(maxsize=256)
def _algebra(query: str) -> object | None:
    """rdflib's algebra of a query; None where rdflib cannot read it (the engine says what is wrong)."""
    try:
        return translateQuery(parseQuery(query)).algebra
    except Exception:  # rdflib raises many types for what it cannot read
        return None


def minus_apart(query: str) -> bool:
    """Whether the query has a MINUS that shares no variable with the pattern before it: SPARQL
    removes nothing there (§8.3.2); Virtuoso removed the rows (found by the 20 000-query run).

    >>> minus_apart("SELECT * { <urn:y> <urn:p>* <urn:y> MINUS { <urn:y> <urn:p>* <urn:y> } }")
    True
    >>> minus_apart("SELECT * { ?s ?p ?o MINUS { ?s <urn:q> 1 } }")
    False
    >>> minus_apart("SELECT * { VALUES ?x { 1 2 } MINUS { VALUES ?x { 1 } } }")
    False
    """
    algebra = _algebra(query) if MINUS_RE.search(blanked(query)) else None
    return algebra is not None and any(
        node.name == "Minus" and not _bound_in(node.p1) & _bound_in(node.p2) for node in nodes(algebra)
    )


def _bound_in(pattern: object) -> set[object]:
    """The variables a pattern may bind: rdflib's ``_vars`` of its parts, and its VALUES' (which
    rdflib leaves out of ``_vars``)."""
    found: set[object] = set()
    for node in nodes(pattern):
        found |= set(node["_vars"]) if "_vars" in node else set()
        if node.name == "values":
            found |= {variable for row in node.res for variable in row}
    return found


def undef_in_values(query: str) -> bool:
    """Whether the query has UNDEF in a VALUES row: Virtuoso answers such a row wrongly once the
    query tests its variable (``FILTER (BOUND(?v))`` holds, ``FILTER (?v = 1)`` binds it to 1).

    >>> undef_in_values("SELECT * { VALUES (?x ?v) { (1 UNDEF) } }"), undef_in_values("SELECT ?UNDEF {}")
    (True, False)
    """
    return UNDEF_RE.search(blanked(query)) is not None


def _never_error(condition: object) -> bool:
    """Whether a condition is true or false for every solution, never an error: true, false,
    BOUND, EXISTS, COALESCE(a test, false), and !, && and || of those."""
    if isinstance(condition, Literal):
        return condition.datatype == XSD.boolean
    if not isinstance(condition, CompValue):
        return False
    if condition.name in ("Builtin_BOUND", "Builtin_EXISTS", "Builtin_NOTEXISTS"):
        return True
    if condition.name == "UnaryNot":
        return _never_error(condition.expr)
    if condition.name in ("ConditionalAndExpression", "ConditionalOrExpression"):
        return all(_never_error(part) for part in [condition.expr, *(condition.other or [])])
    if condition.name == "Builtin_COALESCE":  # a test, false: false where the test is an error
        test, *rest = condition.arg
        last = rest[-1] if len(rest) == 1 else None
        return (
            isinstance(test, CompValue)
            and test.name in BOOLEAN_EXPRESSIONS
            and isinstance(last, Literal)
            and last.datatype == XSD.boolean
            and last.toPython() is False
        )
    return False


#: What makes a query take a value as true or false: FILTER, HAVING, !, && and ||.
TESTED_RE = re.compile(r"(?<![\w:?$])(?:FILTER|HAVING)\b|!(?!=)|&&|\|\|", re.IGNORECASE)
#: MINUS.
MINUS_RE = re.compile(r"(?<![\w:?$])MINUS\b", re.IGNORECASE)
#: UNDEF (in a VALUES row).
UNDEF_RE = re.compile(r"(?<![\w:?$])UNDEF\b", re.IGNORECASE)
#: A call of IF.
IF_CALL_RE = re.compile(r"(?<![\w:?$])IF\s*\(", re.IGNORECASE)
#: A prefixed name (its prefix); a path modifier that allows zero steps (p*, p?).
PREFIXED_RE = re.compile(r"(?<![\w:?$.-])([A-Za-z][\w.-]*)?:(?:[\w-]|\.(?=[\w-]))*")
#: An integer literal (not part of a name, a variable, a decimal or a double).
INTEGER_RE = re.compile(r"(?<![\w.:?$])[+-]?\d+(?![\w.])")
#: A triple pattern with one variable twice: ?s <p> ?s, ?s ?s <o>, <s> ?p ?p.
SAME_ENDS_RE = re.compile(
    r"(?<![\w:?$])([?$]\w+)\s+(?:(?:[?$]\w+|<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*|a)\s+)?\1(?!\w)"
)
#: A number, true or false, or a literal typed as one, as the object of a triple pattern: after a
#: predicate (a variable, an IRI, a prefixed name, a, or a path's closing bracket or modifier), before
#: the end of the triple. (A literal's quotes are blanked: its ^^type is what is left.)
NUMBER_OBJECT_RE = re.compile(
    r"(?:[?$]\w+|<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*|(?<![\w:?$])a|\)|(?<=[\w>)])[*+?])(\s+)"
    r"((?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|true|false)|\s*\^\^\s*(?:xsd:|<http://www\.w3\.org/2001/XMLSchema#)"
    r"(?:integer|decimal|double|float|boolean|int|long|short|byte|\w+Integer|unsigned\w+)>?)\s*(?=[.;,}\]])"
)
#: The rows of VALUES (their opening bracket).
VALUES_BLOCK_RE = re.compile(r"(?<![\w:?$])VALUES\s*(?:[?$]\w+|\([^()]*\))\s*\{", re.IGNORECASE)
#: A CONSTRUCT's template (its opening bracket), and the short form CONSTRUCT WHERE.
CONSTRUCT_RE = re.compile(r"(?<![\w:?$])CONSTRUCT\s*\{", re.IGNORECASE)
CONSTRUCT_WHERE_RE = re.compile(r"(?<![\w:?$])CONSTRUCT\s+WHERE\b", re.IGNORECASE)
#: A graph that exists nowhere: the default graph of a request that names none, or its named
#: graphs (an empty one).
NO_GRAPH = "urn:hotline-kg:no-graph"
#: The variables the wrapper adds to a query; left out of the answer.
OWN_VARIABLE = "hotline_kg_"
OPTIONAL_RE = re.compile(r"(?<![\w:?$])OPTIONAL\b", re.IGNORECASE)


# --- the terms of an answer ---------------------------------------------------------------------------------

BOOLEAN = str(XSD.boolean)
DURATIONS = frozenset({str(XSD.duration), str(XSD.yearMonthDuration), str(XSD.dayTimeDuration)})
MONTHS_RE = re.compile(r"-?\d+")


def literal(value: str, datatype: str | None) -> str:
    """A literal's lexical form as Virtuoso writes it, as the data holds it (in canonical form).

    >>> literal("1", BOOLEAN), literal("12", str(XSD.duration)), literal("-14", str(XSD.duration))
    ('true', 'P1Y', '-P1Y2M')
    """
    if datatype == BOOLEAN and value in ("0", "1"):
        return "true" if value == "1" else "false"
    if datatype in DURATIONS and not value.startswith(("P", "-P")):
        if not MONTHS_RE.fullmatch(value):
            raise Inexact(
                f"Virtuoso, the engine behind this endpoint, keeps xsd:duration values with days, hours, minutes or "
                f'seconds as a number it cannot give back exactly ("{value}"); this answer holds one, so it is not '
                "given (load durations of years and months only)"
            )
        months = abs(int(value))
        years, months = divmod(months, 12)
        parts = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
        return ("-" if value.startswith("-") and parts else "") + ("P" + parts if parts else "PT0S")
    return value


# --- the query ------------------------------------------------------------------------------------------------

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


def bound_to_booleans(query: str) -> frozenset[str]:
    """The variables a query binds (SELECT (… AS ?v), BIND) to a boolean expression; none for a
    query that rdflib cannot read (the engine will say what is wrong with it).

    >>> sorted(bound_to_booleans("SELECT ((1 IN (1, 2)) AS ?in) (STRLEN('a') AS ?n) { BIND(?x < 2 AS ?lt) }"))
    ['in', 'lt']
    """
    algebra = _algebra(query) if BINDS_RE.search(NOISE_RE.sub(" ", query)) else None
    if algebra is None:
        return frozenset()
    found: set[str] = set()
    for node in nodes(algebra):
        expr = node.get("expr") if node.name == "Extend" else None
        if isinstance(expr, CompValue) and expr.name in BOOLEAN_EXPRESSIONS:
            found.add(str(node["var"]))
    return frozenset(found)


def decimal_division(query: str) -> str:
    """The query with each division written so that integer ÷ integer is a decimal, as SPARQL
    says, on an engine that divides integers as integers (Virtuoso: 1/3 = 0):
    ``IF(DATATYPE(a / b) = xsd:integer, a * 1.0 / b, a / b)``. Over Virtuoso only integer ÷ integer
    gives an integer, and only there is the dividend made a decimal (times 1.0 would make a double
    a decimal too). The slash of a property path is left as it is. Unwritable for divisions the
    wrapper cannot place: more than ``MAX_DIVISIONS``, or in a query with codepoint escapes.

    >>> decimal_division("SELECT (?a / 2 AS ?h) { ?s <urn:p>/<urn:q> ?a }")[:80]
    'SELECT (IF(DATATYPE(?a / 2) = <http://www.w3.org/2001/XMLSchema#integer>, ?a * 1'
    """
    if "/" not in blanked(query):
        return query
    read = _expressions(query)
    if read is None:  # rdflib cannot read it: the engine will say what is wrong with it
        return query
    code = NOISE_RE.sub(lambda m: " " * len(m.group()) if m.group().startswith("#") else m.group(), query)
    operands, products, divided = (
        {_trimmed(code, span) for span in read[0]},
        {_trimmed(code, span) for span in read[1]},
        read[2],
    )
    if not divided:
        return query
    if divided > MAX_DIVISIONS:
        raise Unwritable(
            f"this query divides {divided} times; Virtuoso, the engine behind this endpoint, divides integers as "
            f"integers (1/3 = 0), and the wrapper writes at most {MAX_DIVISIONS} divisions so that it does not"
        )
    chains: dict[tuple[int, int], Chain] = {}
    for start, end in products:
        chain = _chain(code, start, end, operands)
        if chain is not None and "/" in chain[1::2]:
            chains[start, end] = chain
    if sum(chain[1::2].count("/") for chain in chains.values()) != divided or not _nested(list(chains)):
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, divides integers as integers (1/3 = 0), and the wrapper "
            "could not place the divisions of this query to write them so that it does not"
        )

    def render(start: int, end: int) -> str:
        """The text from ``start`` to ``end`` with each division chain in it written anew."""
        out, at = [], start
        for a, b in sorted(chains):
            if a < at or b > end:
                continue
            out += [query[at:a], written(chains[a, b])]
            at = b
        return "".join([*out, query[at:end]])

    def written(chain: Chain) -> str:
        text = render(*chain[0])
        for operator, span in zip(chain[1::2], chain[2::2], strict=True):
            right = render(*span)
            if operator == "*":
                text = f"{text} * {right}"
            else:
                text = f"IF(DATATYPE({text} / {right}) = <{XSD.integer}>, {text} * 1.0 / {right}, {text} / {right})"
        return text

    return render(0, len(query))


#: Divisions a query may hold over Virtuoso: each is written with its operands three times.
MAX_DIVISIONS = 8
#: A product: the span of its first operand, then each operator ("*" or "/") and the next operand's span.
Chain = tuple


def _chain(code: str, start: int, end: int, operands: set[tuple[int, int]]) -> Chain | None:
    """A product's operands and operators (``code``: the query with its comments blanked); None if
    the recorded operands do not tile it."""
    ends: dict[int, int] = {}
    for a, b in operands:
        if start <= a and b <= end:
            ends[a] = max(ends.get(a, a), b)
    chain: list = []
    at = start
    while at in ends:
        chain.append((at, ends[at]))
        at = ends[at]
        if at == end:
            return tuple(chain)
        while at < end and code[at].isspace():
            at += 1
        if at >= end or code[at] not in "*/":
            return None
        chain.append(code[at])
        at += 1
        while at < end and code[at].isspace():
            at += 1
    return None


def _trimmed(code: str, span: tuple[int, int]) -> tuple[int, int]:
    """A span without the white space and comments around it (``code``: the query with its
    comments blanked), which a match may take in."""
    start, end = span
    while start < end and code[start].isspace():
        start += 1
    while end > start and code[end - 1].isspace():
        end -= 1
    return start, end


def _nested(spans: list[tuple[int, int]]) -> bool:
    """Whether spans are nested or apart, none overlapping another in part."""
    return not any(a < c < b < d for a, b in spans for c, d in spans)


def _expressions(query: str) -> tuple[set[tuple[int, int]], set[tuple[int, int]], int] | None:
    """The spans of the query's unary expressions and products, and how many divisions it holds;
    None if rdflib cannot read it."""
    try:
        tree, spans = parsed_with_spans(query)
    except Exception:  # rdflib raises many types for what it cannot read
        return None
    operands, products = spans["UnaryExpression"], spans["MultiplicativeExpression"]
    divided = 0
    for node in nodes(tree):
        if node.name == "MultiplicativeExpression":
            ops = node.get("op") or []
            divided += int(ops == "/") if isinstance(ops, str) else list(ops).count("/")
    if divided and not products:  # rdflib read another text: the query's with its \u escapes decoded
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, divides integers as integers (1/3 = 0); the wrapper writes "
            "divisions so that it does not, but not in a query with \\u escapes: write the characters themselves"
        )
    return operands, products, divided


def graphs_named(query: str) -> list[str] | None:
    """The IRIs a query may use as a graph, resolved against its PREFIX and BASE declarations: those
    of its GRAPH <iri> and GRAPH prefix:name, and, when it has a GRAPH ?var, every IRI it holds
    (VALUES or BIND may give one to the variable). None when one cannot be resolved (an
    undeclared prefix: the engine will say so).

    >>> graphs_named("BASE <http://x/> PREFIX g: <urn:g:> ASK { GRAPH <a> {} GRAPH g:b {} FILTER(?o = g:c) }")
    ['http://x/a', 'urn:g:b']
    >>> graphs_named("PREFIX g: <urn:g:> ASK { VALUES ?v { g:c <d> } GRAPH ?v { ?s ?p ?o } }")
    ['urn:g:c', 'd']
    """
    kept = blanked(query, keep_iris=True)
    prefixes = {m.group(1) or "": m.group(2) for m in PREFIX_DECL_RE.finditer(kept)}
    base = next((m.group(1) for m in BASE_DECL_RE.finditer(kept)), "")
    body = FROM_RE.sub(" ", PREFIX_DECL_RE.sub(" ", BASE_DECL_RE.sub(" ", kept)))
    found = IRI_RE.finditer(body) if GRAPH_VAR_RE.search(body) else GRAPH_RE.finditer(body)
    graphs = []
    for match in found:
        iri, prefix, local = match.group(1), match.group(2) or "", match.group(3)
        if iri is not None:
            graphs.append(urljoin(base, iri) if base else iri)
        elif prefix in prefixes:
            graphs.append(prefixes[prefix] + local)
        else:
            return None
    return list(dict.fromkeys(graphs))


def terms_matched_as_terms(query: str) -> str:
    """The query with each number or boolean that is the object of a triple pattern (``583``,
    ``false``, ``"583"^^xsd:decimal``) matched as SPARQL matches it, by the term, on an engine that
    matches it by value (Virtuoso: 583 matches 583.0, 0 matches false): a variable of the wrapper's
    own in its place, and FILTER(DATATYPE(?v) = DATATYPE(583) && !(?v != 583)) in its group. The
    wrapper leaves its own variables out of the answer. Unwritable next to an OPTIONAL: Virtuoso
    answers the query so written wrongly there.

    >>> terms_matched_as_terms("SELECT * { ?s <urn:p> 0 ; <urn:q> ?o }").replace("DATATYPE", "DT")
    'SELECT * { ?s <urn:p> ?hotline_kg_0 ; <urn:q> ?o  FILTER(DT(?hotline_kg_0) = DT(0) && !(?hotline_kg_0 != 0))}'
    >>> terms_matched_as_terms("SELECT * { VALUES ?s { <urn:a> 0 } }")
    'SELECT * { VALUES ?s { <urn:a> 0 } }'
    """
    kept = blanked(query, keep_iris=True)
    # a CONSTRUCT's template and the rows of VALUES hold no triple pattern
    skipped = [(m.end(), _group_end(kept, m.end()) or len(kept)) for m in VALUES_BLOCK_RE.finditer(kept)]
    template = CONSTRUCT_RE.search(kept)
    if template:
        skipped.append((template.end(), _group_end(kept, template.end()) or len(kept)))
    found = [m for m in NUMBER_OBJECT_RE.finditer(kept) if not any(a <= m.start(2) < b for a, b in skipped)]
    if not found:
        return query
    if OPTIONAL_RE.search(kept):  # Virtuoso answers such a query written anew wrongly next to an OPTIONAL
        raise Unwritable(
            "Virtuoso, the engine behind this endpoint, matches a number or a boolean in a triple pattern by its value "
            "(0 matches false), where SPARQL matches the term, and the wrapper cannot write such a pattern anew next "
            "to an OPTIONAL; write the object as a variable and compare it in a FILTER: ?s ?p ?v FILTER(?v = …)"
        )
    short = CONSTRUCT_WHERE_RE.search(kept)
    if short:  # CONSTRUCT WHERE { P } as CONSTRUCT { P } WHERE { P }: the template keeps P as it is
        opened = kept.find("{", short.end())
        closed = _group_end(kept, opened + 1) if opened >= 0 else None
        if closed is None:
            return query
        pattern = query[opened + 1 : closed]
        return terms_matched_as_terms(
            f"{query[: short.start()]}CONSTRUCT {{{pattern}}} WHERE {{{pattern}}}{query[closed + 1 :]}"
        )
    edits: list[tuple[int, int, str]] = []
    for n, match in enumerate(found):
        start = match.start(1)  # the gap after the predicate (a literal's quotes are blanks in ``kept``)
        while start < match.end(2) and query[start].isspace():
            start += 1
        term, var = query[start : match.end(2)], f"?{OWN_VARIABLE}{n}"
        close = _group_end(kept, match.end(2))
        if close is None:
            return query  # unbalanced: the engine will say what is wrong with it
        edits.append((start, match.end(2), var))
        # !(… != …), not … = …: Virtuoso puts the constant of an equality back into the pattern
        edits.append((close, close, f" FILTER(DATATYPE({var}) = DATATYPE({term}) && !({var} != {term}))"))
    for start, end, text in sorted(edits, reverse=True):
        query = query[:start] + text + query[end:]
    return query


def _group_end(code: str, at: int) -> int | None:
    """Where the group around ``at`` closes (its "}"), or None."""
    depth = 0
    for i in range(at, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            if depth == 0:
                return i
            depth -= 1
    return None


def every_graph_listed(query: str) -> str:
    """The query with each GRAPH ?g {} (an empty pattern: one solution per named graph, SPARQL says)
    written as the graphs that hold a triple, on an engine that gives it no solution (Virtuoso;
    it keeps no empty graph).

    >>> every_graph_listed("SELECT ?g { GRAPH ?g { } }")
    'SELECT ?g { { SELECT DISTINCT ?g WHERE { GRAPH ?g { ?hotline_kg_s ?hotline_kg_p ?hotline_kg_o } } } }'
    """
    code = blanked(query)
    for match in reversed(list(EMPTY_GRAPH_RE.finditer(code))):
        var = match.group(1)
        written = f"{{ SELECT DISTINCT {var} WHERE {{ GRAPH {var} {{ ?hotline_kg_s ?hotline_kg_p ?hotline_kg_o }} }} }}"
        query = query[: match.start()] + written + query[match.end() :]
    return query


def lang_as_defined(query: str) -> str:
    """The query with each LANG(x) written so that a literal without a language tag gives "", as
    SPARQL says, on an engine whose LANG leaves it unbound (Virtuoso): IF(isLiteral(x),
    COALESCE(LANG(x), ""), LANG(x)), an IRI or blank node still an error. (Of a variable an
    OPTIONAL left unbound, Virtuoso's LANG is "" still: an IF that gives it unbound, as
    ``datatype_as_defined`` does, makes Virtuoso's comparisons of it true.)

    >>> lang_as_defined('SELECT (LANG(?l) AS ?v) { FILTER(LANGMATCHES(?l, "*")) }')[:90]
    'SELECT (IF(BOUND(?l) && isLiteral(?l), COALESCE(LANG(?l), ""), LANG(?l)) AS ?v) { FILTER(L'
    """
    return _rewrite_calls(
        query, LANG_CALL_RE, lambda _, x: f'IF({_bound(x)}isLiteral({x}), COALESCE(LANG({x}), ""), LANG({x}))'
    )


def datatype_as_defined(query: str) -> str:
    """The query with each DATATYPE(x) written so that a literal without a datatype of its own gives
    xsd:string, or rdf:langString with a language tag, as SPARQL says, on an engine that leaves it
    unbound (Virtuoso); an IRI or blank node still an error.

    >>> datatype_as_defined('SELECT (DATATYPE(?l) AS ?t) {}')[:70]
    'SELECT (IF(BOUND(?l), IF(isLiteral(?l), COALESCE(DATATYPE(?l), IF(LANG'
    """
    return _rewrite_calls(
        query,
        DATATYPE_CALL_RE,
        lambda _, x: _if_bound(
            x,
            f"IF(isLiteral({x}), COALESCE(DATATYPE({x}), "
            f'IF(LANG({x}) = "", <{XSD.string}>, <{LANG_STRING}>)), DATATYPE({x}))',
        ),
    )


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


def order_by_unbound_dropped(query: str) -> str:
    """The query without the keys of its ORDER BY that are a variable the query names nowhere else
    (unbound in every solution, so they order nothing), on an engine that then ignores the LIMIT
    and OFFSET of a query with a DISTINCT subquery (Virtuoso: ``{ SELECT DISTINCT ?o … } ORDER BY
    ?s LIMIT 1`` gave every row). An ORDER BY left with no key goes too.

    >>> order_by_unbound_dropped("SELECT * { ?o ?p ?q } ORDER BY ?s DESC(?o) ASC( ?t ) LIMIT 1")
    'SELECT * { ?o ?p ?q } ORDER BY DESC(?o) LIMIT 1'
    >>> order_by_unbound_dropped("SELECT * { ?o ?p ?q } ORDER BY (?s) LIMIT 1")
    'SELECT * { ?o ?p ?q }  LIMIT 1'
    """
    code = blanked(query)
    edits: list[tuple[int, int]] = []
    for clause in ORDER_BY_RE.finditer(code):
        keys = list(ORDER_KEY_RE.finditer(code, clause.end()))
        unbound, at = [], clause.end()
        for key in keys:
            if code[at : key.start()].strip():
                break  # another kind of key (an expression): the keys after it are left as they are
            at = key.end()
            name = next(group for group in key.groups() if group)[1:]
            if len(re.findall(rf"[?$]{re.escape(name)}(?![\w])", code)) == 1:
                unbound.append((key.start(), key.end()))
        if not unbound:
            continue
        kept = [k for k in keys if (k.start(), k.end()) not in unbound and k.end() <= at]
        if not kept and re.match(r"\s*(?:(?:LIMIT|OFFSET|VALUES)\b|\}|$)", code[at:], re.IGNORECASE):
            edits.append((clause.start(), at))  # no key left: no ORDER BY
        else:
            edits += unbound
    for start, end in sorted(edits, reverse=True):
        query = query[:start] + query[end:]
    return query


ORDER_BY_RE = re.compile(r"(?<![\w:?$])ORDER\s+BY\b", re.IGNORECASE)
#: A key of an ORDER BY that is one variable: ?v, (?v), ASC(?v), DESC(?v).
ORDER_KEY_RE = re.compile(r"\s*(?:(?:ASC|DESC)\s*\(\s*([?$]\w+)\s*\)|\(\s*([?$]\w+)\s*\)|([?$]\w+))", re.IGNORECASE)


def _bound(x: str) -> str:
    """``BOUND(x) && `` for a variable (Virtuoso's isLiteral of one an OPTIONAL left unbound is true)."""
    return f"BOUND({x.strip()}) && " if VARIABLE_RE.fullmatch(x.strip()) else ""


def _if_bound(x: str, expression: str) -> str:
    """``expression`` of x; of a variable left unbound, the variable itself, unbound (Virtuoso's
    isLiteral of one an OPTIONAL left unbound is true, and its LANG of one "")."""
    return f"IF(BOUND({x.strip()}), {expression}, {x.strip()})" if VARIABLE_RE.fullmatch(x.strip()) else expression


def _rewrite_calls(query: str, call_re: re.Pattern[str], written: Callable[[str, str], str]) -> str:
    """Each call ``call_re`` finds (outside strings, IRIs and comments, and outside GROUP BY, where
    Virtuoso groups a written call wrongly), written anew by ``written(name, argument text)``. A
    call inside the argument of another leaves the query as it is, as does an unbalanced one (the
    engine will say what is wrong with it)."""
    masked = blanked(query)
    grouping = [(m.end(), _clause_end(masked, m.end())) for m in GROUP_BY_RE.finditer(masked)]
    spans = []
    for match in call_re.finditer(masked):
        if any(a <= match.start() < b for a, b in grouping):
            continue
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


def _clause_end(code: str, at: int) -> int:
    """Where a clause that starts at ``at`` (GROUP BY …) ends: the next HAVING, ORDER BY, LIMIT,
    OFFSET or VALUES, or a closing bracket, outside brackets of its own."""
    depth = 0
    for i in range(at, len(code)):
        if code[i] in "({":
            depth += 1
        elif code[i] in ")}":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and CLAUSE_RE.match(code, i):
            return i
    return len(code)


CLAUSE_RE = re.compile(r"(?<![\w:?$])(HAVING|ORDER\s+BY|LIMIT|OFFSET|VALUES)\b", re.IGNORECASE)
VARIABLE_RE = re.compile(r"[?$]\w+")
#: A call of LANG (not LANGMATCHES, a prefixed name or a variable).
LANG_CALL_RE = re.compile(r"(?<![\w:?$])(LANG)\s*\(", re.IGNORECASE)
GROUP_BY_RE = re.compile(r"(?<![\w:?$])GROUP\s+BY\b", re.IGNORECASE)
#: A call of DATATYPE.
DATATYPE_CALL_RE = re.compile(r"(?<![\w:?$])(DATATYPE)\s*\(", re.IGNORECASE)
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: The end of an expression bound to a variable: … AS ?v).
BOUND_AS_RE = re.compile(r"(?<![\w:?$])AS\s*([?$]\w+)\s*\)", re.IGNORECASE)
#: A call of the aggregates SUM and AVG.
SUM_CALL_RE = re.compile(r"(?<![\w:?$])(SUM|AVG)\s*\(", re.IGNORECASE)
GRAPH_RE = re.compile(r"(?<![\w:?$])GRAPH\s*(?:<([^<>\s]*)>|([A-Za-z][\w.-]*)?:([\w.-]*))", re.IGNORECASE)
#: A dataset clause: FROM <g>, FROM NAMED g:x.
FROM_RE = re.compile(r"(?<![\w:?$])FROM\s+(?:NAMED\s+)?(?:<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)", re.IGNORECASE)
#: GRAPH ?g { } with an empty pattern.
EMPTY_GRAPH_RE = re.compile(r"(?<![\w:?$])GRAPH\s*([?$]\w+)\s*\{\s*\}", re.IGNORECASE)
#: An IRI, written whole or as a prefixed name (not a variable, nor a keyword of a name).
IRI_RE = re.compile(r"<([^<>\s]*)>|(?<![\w:?$.-])([A-Za-z][\w.-]*)?:((?:[\w-]|\.(?=[\w-]))*)")
