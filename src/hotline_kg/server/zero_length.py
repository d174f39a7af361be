"""Paths of zero length as SPARQL defines them, whatever the engine.

A path that may take no step (``p*``, ``p?``) joins a term to itself, and SPARQL says so also of a
term that the graph does not hold (W3C tests ``zero_or_more_set_start`` … in
sparql11/property-path): ``SELECT ?v { <urn:x> <urn:p>* ?v }`` gives ?v = <urn:x> over any graph.
Oxigraph gives nothing there, and Virtuoso a solution with ?v unbound when the term is a literal.
So before a query reaches the embedded store or the Oxigraph server (``mended``), each triple
pattern with such a path and a term at one end is written with its step of zero length apart
(``written``)::

    T p* ?v   →  { { BIND(T AS ?v) } UNION { T p+ ?v FILTER (!sameTerm(?v, T)) } }
    T p? ?v   →  { { BIND(T AS ?v) } UNION { T p ?v FILTER (!sameTerm(?v, T)) } }
    T p* T    →  {}
    T p* U    →  T p+ U

(Such a path gives each node once: T, and every other node it reaches.) What cannot be written so is refused
(``Unwritable``, 400): such a pattern in a list (``;`` or ``,``), a path of zero length made of
several (``p*/q*``, ``p*|q``), a blank node at its other end, a query with GRAPH ?g (the step of
zero length holds in every graph, which the engines do not give), or one with codepoint escapes.

Virtuoso gives the step of zero length from an IRI, and is not given the query so written (it
answers joins of such groups wrongly); one from a literal (``literal_end``) is refused over it.
"""

from __future__ import annotations

from functools import lru_cache

from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import BNode, Literal, Node, URIRef, Variable

from hotline_kg.server.engine.base import checked
from hotline_kg.server.query_text import (
    FORM_RE,
    GRAPH_VAR_RE,
    ZERO_LENGTH_RE,
    Unwritable,
    blanked,
    nodes,
    parsed_with_spans,
)

WHY = (
    "a path that may take no step (p* or p?) joins a term to itself even where the graph does not hold it, "
    "SPARQL says; the engines behind this endpoint do not all give that, and the wrapper writes such a path "
    "so that they do, "
)


def needs_writing(query: str) -> bool:
    """Whether a query may hold a path of zero length (cheap: no parse); the rest need no writing.

    >>> needs_writing("SELECT * { ?s a ?o }"), needs_writing("SELECT * { ?s <urn:p>* ?o }")
    (False, True)
    """
    return ZERO_LENGTH_RE.search(blanked(query, keep_iris=True)) is not None


async def mended(query: str, limit: float) -> str:
    """``written``, in the parser's thread: QueryFailed (a 400) where it is Unwritable,
    QueryTimeout after ``limit`` seconds."""
    if not needs_writing(query):
        return query
    return await checked(written, query, limit=limit)


@lru_cache(maxsize=1024)
def written(query: str) -> str:
    """The query with each path of zero length that has a term at one end written as SPARQL
    answers it; Unwritable where it cannot be. A query rdflib cannot read is left as it is (the
    engine says what is wrong with it).

    >>> written("SELECT ?v { <urn:x> <urn:p>* ?v }")
    'SELECT ?v { { { BIND(<urn:x> AS ?v) } UNION { <urn:x> <urn:p>+ ?v FILTER (!sameTerm(?v, <urn:x>)) } } }'
    >>> written('ASK { "a" <urn:p>? "a" . ?s <urn:p>* ?o }')
    'ASK { {} . ?s <urn:p>* ?o }'
    """
    found = _patterns(query)
    if found is None:
        return query
    patterns, spans = found
    code = blanked(query, keep_iris=True)
    edits: list[tuple[int, int, str]] = []
    for start, end, triples in patterns:
        if GRAPH_VAR_RE.search(code):
            raise Unwritable(WHY + "but not inside GRAPH ?g: name the graph, or leave the path out of GRAPH ?g")
        if len(triples) > 1:
            raise Unwritable(
                WHY + f"but not in a list: write it as a triple pattern of its own ({_short(query, start, end)})"
            )
        subject, path, object_ = triples[0]
        if not _apart(path) or isinstance(subject, BNode) or isinstance(object_, BNode):
            raise Unwritable(
                WHY + f"but not this one ({_short(query, start, end)}): write the path of zero length as one "
                "p* or p?, with a term or a variable at each end"
            )
        path_start, path_end = max(
            ((a, b) for a, b in spans["Path"] if start <= a and b <= end), key=lambda span: span[1] - span[0]
        )
        left, steps, right = (
            query[a:b].strip() for a, b in ((start, path_start), (path_start, path_end), (path_end, end))
        )
        edits.append((start, end, _as_written(left, steps, right, path, subject, object_)))
    for start, end, text in sorted(edits, reverse=True):
        query = f"{query[:start]}{text} {query[end:]}"
    return query


@lru_cache(maxsize=1024)
def literal_end(query: str) -> str | None:
    """The first triple pattern of a query with a path of zero length and a literal at an end
    (Virtuoso answers that with its variable unbound), or None.

    >>> literal_end('SELECT * { ?n <urn:p>* "x"@zh }'), literal_end("SELECT * { ?n <urn:p>* <urn:x> }")
    ('?n <urn:p>* "x"@zh', None)
    """
    found = _patterns(query)
    for start, end, triples in found[0] if found else []:
        if any(isinstance(term, Literal) for triple in triples for term in (triple[0], triple[2])):
            return _short(query, start, end)
    return None


Pattern = tuple[int, int, list[tuple[Node, object, Node]]]


def _patterns(query: str) -> tuple[list[Pattern], dict[str, set[tuple[int, int]]]] | None:
    """Each triple pattern of a query (its span, rdflib's triples of it) with a path of zero length
    and a term at an end, and the spans of the parse; None where rdflib cannot read the query (the
    engine says what is wrong with it). Unwritable for such a pattern in a query with codepoint
    escapes (rdflib reads it decoded: its spans are not the query's)."""
    if not needs_writing(query):
        return None
    try:
        tree, spans = parsed_with_spans(query)
    except Exception:  # rdflib raises many types for what it cannot read
        return None
    form = FORM_RE.search(blanked(query))
    prologue = query[: form.start()] if form else ""
    code = blanked(query, keep_iris=True)
    triples = sorted(spans["TriplesSameSubjectPath"])
    if not triples:  # rdflib read another text: the query's with its \u escapes decoded
        try:
            escaped = any(_fixed_end(t) for t in _triples(translateQuery(tree).algebra))
        except Exception:  # an undeclared prefix …: the engine says what is wrong with it
            return None
        if escaped:
            raise Unwritable(WHY + "but not in a query with \\u escapes: write the characters themselves")
        return None
    found: list[Pattern] = []
    for start, end in triples:
        if not ZERO_LENGTH_RE.search(code, start, end):
            continue
        try:
            read = _triples(translateQuery(parseQuery(f"{prologue} ASK {{ {query[start:end]} }}")).algebra)
        except Exception:  # an undeclared prefix …: the engine says what is wrong with it
            return None
        if any(_fixed_end(t) for t in read):
            found.append((start, end, read))
    return found, spans


def _as_written(left: str, steps: str, right: str, path: object, subject: Node, object_: Node) -> str:
    """One triple pattern ``left steps right`` (``steps``: a path of zero length ending in its
    modifier; ``path``: rdflib's reading of it) written with the step of zero length apart: the
    term itself, or every other node the path reaches. A path of one or more steps gives each
    node once, as does one step of an IRI; one step of anything else may give a node twice, and
    is made distinct in a subquery. (No subquery where none is needed: Virtuoso ignores the LIMIT
    of a query ordered by a variable its DISTINCT subquery does not give.)"""
    more = steps[:-1] + "+" if steps.endswith("*") else steps[:-1] if steps.endswith("?") else steps
    if not isinstance(subject, Variable) and not isinstance(object_, Variable):
        return "{}" if subject == object_ else f"{left} {more} {right}"
    term, variable = (left, right) if isinstance(object_, Variable) else (right, left)
    others = f"{left} {more} {right} FILTER (!sameTerm({variable}, {term}))"
    mod = path.arg if isinstance(path, InvPath) else path
    once = not (isinstance(mod, MulPath) and mod.mod == "?") or isinstance(_uninverted(mod.path), URIRef)
    if not once:
        others = f"SELECT DISTINCT {variable} WHERE {{ {others} }}"
    return f"{{ {{ BIND({term} AS {variable}) }} UNION {{ {others} }} }}"


def _uninverted(path: object) -> object:
    return path.arg if isinstance(path, InvPath) else path


def _triples(algebra: object) -> list[tuple[Node, object, Node]]:
    """The triple patterns of an algebra, every BGP's."""
    return [triple for node in nodes(algebra) if node.name == "BGP" for triple in node.triples]


def _fixed_end(triple: tuple[Node, object, Node]) -> bool:
    """Whether a triple pattern has a path that may take no step and a term (not a variable) at an end."""
    subject, path, object_ = triple
    return _nullable(path) and not (isinstance(subject, Variable) and isinstance(object_, Variable))


def _nullable(path: object) -> bool:
    """Whether a path may take no step."""
    if isinstance(path, MulPath):
        return path.mod in "*?" or _nullable(path.path)
    if isinstance(path, SequencePath):
        return all(_nullable(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return any(_nullable(p) for p in path.args)
    if isinstance(path, InvPath):
        return _nullable(path.arg)
    return False


def _apart(path: object) -> bool:
    """Whether a path's step of zero length can be written apart: one p*, p? or p+ (or its
    inverse), which gives each node once."""
    return isinstance(_uninverted(path), MulPath)


def _short(query: str, start: int, end: int) -> str:
    text = " ".join(query[start:end].split())
    return text if len(text) <= 80 else text[:77] + "…"
