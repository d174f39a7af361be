"""Hypothesis strategies for fuzzing the server: SPARQL queries built from the grammar over the
dataset's own vocabulary (valid, and nearly valid), and raw HTTP requests to the endpoint (odd
methods, paths, headers, Accept and Content-Type values, encodings, bodies and parameters).

``tests/test_fuzz_protocol.py`` runs a short, derandomised fuzz with these in ``make test``;
``bench/fuzz.py`` the long one. Requests go out byte for byte over a socket (``send``): no HTTP
client normalises them first, so malformed ones really reach the server.
"""

from __future__ import annotations

import gzip
import os
import re
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def each_example(strategy: st.SearchStrategy[T], count: int, run_seed: int, use: Callable[[T], object]) -> None:
    """``use`` each of ``count`` examples of ``strategy``, the same ones for the same seed
    (Hypothesis's generate phase only: nothing to shrink, no database)."""

    @seed(run_seed)
    @settings(
        max_examples=count,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def each(example: T) -> None:
        use(example)

    each()


# --- the dataset's vocabulary ---------------------------------------------------------------------

PREFIXES = {
    "hl": "https://w3id.org/hotline-kg/def/hotline#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "qb": "http://purl.org/linked-data/cube#",
    "dct": "http://purl.org/dc/terms/",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "measure": "https://w3id.org/hotline-kg/id/measure/",
    "year": "https://w3id.org/hotline-kg/id/year/",
    "report": "https://w3id.org/hotline-kg/id/report/",
    "level": "https://w3id.org/hotline-kg/id/level/",
    "district": "https://w3id.org/hotline-kg/id/district/",
}
GRAPHS = [
    "https://w3id.org/hotline-kg/graph/ontology",
    "https://w3id.org/hotline-kg/graph/reference",
    "https://w3id.org/hotline-kg/graph/report/2022",
    "https://w3id.org/hotline-kg/graph/report/2024",
]


def _vocabulary() -> tuple[list[str], list[str]]:
    """Classes and properties (as ``hl:Name``) of the ontology, and the prefixed names the example
    queries use (``year:2024``, ``measure:share`` …)."""
    ontology = (ROOT / "ontology" / "hotline.ttl").read_text(encoding="utf-8")
    terms = sorted(set(re.findall(r"\bhl:[A-Za-z][A-Za-z0-9]*\b", ontology)))
    used: set[str] = set()
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = re.sub(r"#[^\n]*|<[^>]*>", " ", path.read_text(encoding="utf-8"))
        used.update(m for m in re.findall(r"\b[a-z][a-z-]*:[A-Za-z0-9_]+\b", text) if m.split(":")[0] in PREFIXES)
    return terms or ["hl:subject"], sorted(used) or ["year:2024"]


TERMS, NAMES = _vocabulary()
CLASSES = [t for t in TERMS if t[3].isupper()] or ["hl:District"]
PROPERTIES = [t for t in TERMS if t[3].islower()] + [
    "rdfs:label",
    "skos:prefLabel",
    "skos:notation",
    "skos:broader",
    "sdmx-measure:obsValue",
    "rdf:type",
]
VARIABLES = ["?s", "?p", "?o", "?obs", "?x", "?v", "?n", "?name", "?d", "?g"]

# --- SPARQL: terms ----------------------------------------------------------------------------------

variables = st.sampled_from(VARIABLES)
prefixed = st.sampled_from(CLASSES + PROPERTIES + NAMES)
full_iris = st.one_of(
    st.sampled_from(
        [
            "<https://w3id.org/hotline-kg/id/district/110108>",
            "<https://w3id.org/hotline-kg/id/year/2024>",
            "<https://w3id.org/hotline-kg/def/hotline#District>",
            "<http://example.org/x>",
            "<urn:x>",
            "<http://例え.jp/路径>",
        ]
    ),
    st.text(st.characters(categories=("L", "N")), max_size=30).map(lambda s: f"<http://example.org/{s}>"),
)
iris = st.one_of(prefixed, prefixed, full_iris)

#: Text for literals: plain, CJK, emoji, controls, combining marks, RTL, the BOM and NUL.
odd_text = st.one_of(
    st.sampled_from(["", "朝阳", "北京市", "12345", "a b", "😀", "é", "e\u0301", "\u202e", "\ufeff", "\x00", "x\ty"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)
#: Escapes inside a string literal: the string ones and \\u / \\U code points, some out of range.
escapes = st.sampled_from(
    ["\\n", "\\t", "\\\\", '\\"', "\\'", "\\u00e9", "\\u671d", "\\U0001F600", "\\uD800", "\\U0010FFFF", "\\U00110000"]
)


@st.composite
def string_literals(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(odd_text, escapes), max_size=4))
    text = "".join(p if p.startswith("\\") else p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    quote_ = draw(st.sampled_from(['"', '"""', "'"]))
    if quote_ == "'":
        text = text.replace("'", "\\'")
    suffix = draw(
        st.sampled_from(["", "", "@zh", "@en", "@zh-Hans-CN", "^^xsd:string", "^^xsd:integer", "^^<http://x/dt>"])
    )
    return f"{quote_}{text}{quote_}{suffix}"


numbers = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["1e308", "1E-400", "-0", "+7", ".5e1", "0.0", "1e9999", "00012", "45.1", "18.2"]),
)
literals = st.one_of(string_literals(), numbers, st.sampled_from(["true", "false"]))
terms = st.one_of(variables, iris, literals)

# --- SPARQL: expressions, paths, patterns --------------------------------------------------------------

FUNCTIONS_1 = ["STR", "LANG", "DATATYPE", "isIRI", "isLiteral", "isBlank", "isNumeric", "UCASE", "LCASE", "STRLEN"]
FUNCTIONS_1 += ["ABS", "ROUND", "CEIL", "FLOOR", "MD5", "SHA256", "ENCODE_FOR_URI", "xsd:integer", "xsd:decimal"]
FUNCTIONS_2 = ["CONTAINS", "STRSTARTS", "STRENDS", "LANGMATCHES", "REGEX", "STRBEFORE", "STRAFTER", "sameTerm"]
OPERATORS = ["=", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/"]

expressions = st.recursive(
    st.one_of(variables, literals, iris, st.builds(lambda v: f"BOUND({v})", variables)),
    lambda inner: st.one_of(
        st.builds(lambda f, e: f"{f}({e})", st.sampled_from(FUNCTIONS_1), inner),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(FUNCTIONS_2), inner, inner),
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(OPERATORS), inner),
        st.builds(lambda e: f"!{e}", inner),
        st.builds(lambda a, b, c: f"IF({a}, {b}, {c})", inner, inner, inner),
        st.builds(lambda a, b: f"COALESCE({a}, {b})", inner, inner),
        st.builds(lambda v, xs: f"{v} IN ({', '.join(xs)})", variables, st.lists(literals, max_size=3)),
        st.builds(lambda v: f"NOT EXISTS {{ {v} ?p ?o }}", variables),
    ),
    max_leaves=6,
)

paths = st.recursive(
    st.one_of(prefixed.filter(lambda t: ":" in t), st.just("a")),
    lambda inner: st.one_of(
        st.builds(lambda p: f"^{p}", inner),
        st.builds(lambda a, b: f"{a}/{b}", inner, inner),
        st.builds(lambda a, b: f"({a}|{b})", inner, inner),
        st.builds(lambda p, m: f"({p}){m}", inner, st.sampled_from(["*", "+", "?"])),
        st.builds(lambda p: f"!({p})", prefixed),
    ),
    max_leaves=3,
)


@st.composite
def triples(draw: st.DrawFn) -> str:
    subject = draw(st.one_of(variables, iris))
    predicate = draw(st.one_of(st.sampled_from([*PROPERTIES, "a"]), variables, paths))
    obj = draw(terms if predicate != "a" else st.sampled_from([*CLASSES, "?c"]))
    return f"{subject} {predicate} {obj} ."


def _select_sub(pattern: str, var: str, limit: int) -> str:
    return f"{{ SELECT {var} WHERE {{ {pattern} }} LIMIT {limit} }}"


patterns = st.recursive(
    st.lists(triples(), min_size=1, max_size=3).map(" ".join),
    lambda inner: st.one_of(
        st.builds(lambda a, e: f"{a} FILTER ({e})", inner, expressions),
        st.builds(lambda a, b: f"{a} OPTIONAL {{ {b} }}", inner, inner),
        st.builds(lambda a, b: f"{{ {a} }} UNION {{ {b} }}", inner, inner),
        st.builds(lambda a, b: f"{a} MINUS {{ {b} }}", inner, inner),
        st.builds(lambda a, e, v: f"{a} BIND ({e} AS {v}X)", inner, expressions, variables),
        st.builds(
            lambda a, v, xs: f"{a} VALUES {v} {{ {' '.join(xs)} }}",
            inner,
            variables,
            st.lists(st.one_of(iris, literals, st.just("UNDEF")), max_size=4),
        ),
        st.builds(_select_sub, inner, variables, st.integers(0, 50)),
        st.builds(
            lambda g, a: f"GRAPH {g} {{ {a} }}", st.one_of(variables, st.sampled_from(GRAPHS).map("<{}>".format)), inner
        ),
    ),
    max_leaves=4,
)

AGGREGATES = ["COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"]


@st.composite
def select_clauses(draw: st.DrawFn) -> tuple[str, bool]:
    """The SELECT clause, and whether it aggregates (then GROUP BY may follow)."""
    distinct = draw(st.sampled_from(["", "DISTINCT ", "REDUCED "]))
    kind = draw(st.sampled_from(["star", "vars", "aggregate", "expression"]))
    if kind == "star":
        return f"SELECT {distinct}*", False
    if kind == "vars":
        return f"SELECT {distinct}{' '.join(draw(st.lists(variables, min_size=1, max_size=4, unique=True)))}", False
    if kind == "aggregate":
        fn = draw(st.sampled_from(AGGREGATES))
        inner = draw(st.one_of(variables, st.just("*") if fn == "COUNT" else variables))
        return f"SELECT {distinct}?g ({fn}({draw(st.sampled_from(['', 'DISTINCT ']))}{inner}) AS ?agg)", True
    return f"SELECT {distinct}({draw(expressions)} AS ?e)", False


@st.composite
def queries(draw: st.DrawFn) -> str:
    """A query from the grammar: mostly valid (an expression may still be ill-typed or unbound)."""
    names = draw(st.lists(st.sampled_from(sorted(PREFIXES)), max_size=5, unique=True))
    prologue = "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in names)
    if draw(st.integers(0, 9)):  # undeclared prefixes are a syntax error: declare them all mostly
        prologue = "".join(f"PREFIX {n}: <{iri}>\n" for n, iri in PREFIXES.items())
    if draw(st.integers(0, 9)) == 0:
        prologue = "BASE <https://w3id.org/hotline-kg/>\n" + prologue
    where = draw(patterns)
    form = draw(st.sampled_from(["SELECT", "SELECT", "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]))
    dataset = ""
    if draw(st.integers(0, 5)) == 0:
        dataset = " ".join(
            f"FROM {draw(st.sampled_from(['', 'NAMED ']))}<{g}>"
            for g in draw(st.lists(st.sampled_from(GRAPHS), min_size=1, max_size=2))
        )
    tail = ""
    if form == "SELECT":
        head, grouped = draw(select_clauses())
        if grouped:
            tail += " GROUP BY ?g"
            if draw(st.booleans()):
                tail += f" HAVING ({draw(expressions)})"
    elif form == "ASK":
        head = "ASK"
    elif form == "CONSTRUCT":
        head = "CONSTRUCT " + ("WHERE" if draw(st.integers(0, 4)) == 0 else f"{{ {draw(triples())} }} WHERE")
        if head.endswith("CONSTRUCT WHERE"):
            where = draw(st.lists(triples(), min_size=1, max_size=2).map(" ".join))
    else:
        head = f"DESCRIBE {' '.join(draw(st.lists(st.one_of(variables, iris), min_size=1, max_size=3)))}"
        if draw(st.booleans()):
            return f"{prologue}{head}"
    if form != "ASK":
        if draw(st.booleans()):
            tail += f" ORDER BY {draw(st.sampled_from(['', 'DESC', 'ASC']))}({draw(variables)})"
        limits = [0, 1, 5, 20, 20, 100, 100, 1000, 1000, 10**20 if draw(st.booleans()) else 10]
        tail += f" LIMIT {draw(st.sampled_from(limits))}"
        if draw(st.booleans()):
            tail += f" OFFSET {draw(st.integers(0, 10**6))}"
    keyword = " WHERE" if form != "CONSTRUCT" else ""
    return f"{prologue}{head} {dataset}{keyword} {{ {where} }}{tail}"


# --- SPARQL: nearly valid ------------------------------------------------------------------------------

INJECTED = [
    "<>",
    "<#frag>",
    "<relative/path>",
    "<http://x/[>",
    "<http://x/%zz>",
    "<a b>",
    "SERVICE <http://example.org/sparql> { ?s ?p ?o }",
    "SERVICE SILENT <http://127.0.0.1:8000/sparql> { ?s ?p ?o }",
    "SERVICE ?svc { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/hotline-kg/graph/ontology>",
    "FROM <http://example.org/other>",
    "FROM NAMED <file:///etc/passwd>",
    "FROM <\\u0068ttp://example.org/>",
    "WITH <urn:g>",
    ";",
    "{",
    "}",
    "(",
    ")",
    "\\U7FFFFFFF",
    "\\uD800",
    "\\u0000",
    '"',
    "'''",
    "<",
    "#",
    "\x00",
    "\ufffd",
    "?",
    "$",
    "_:b",
    "[]",
    "@",
    "^^",
]
TOKEN_RE = re.compile(r'"[^"]*"|<[^>]*>|\S+')


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str] | None = None) -> str:
    """A query from ``queries()`` (or ``base``) with a few tokens dropped, repeated, swapped,
    injected, or cut short: mostly invalid, sometimes a refused update or SERVICE."""
    text = draw(base if base is not None else queries())
    tokens = TOKEN_RE.findall(text) or [""]
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["drop", "dup", "swap", "inject", "truncate", "nest", "case"]))
        i = draw(st.integers(0, max(0, len(tokens) - 1)))
        if op == "drop" and len(tokens) > 1:
            del tokens[i]
        elif op == "dup":
            tokens.insert(i, tokens[i])
        elif op == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif op == "inject":
            tokens.insert(i, draw(st.sampled_from(INJECTED)))
        elif op == "truncate":
            tokens = tokens[: max(1, i)]
        elif op == "nest":
            depth = draw(st.sampled_from([2, 10, 100, 600, 2000]))
            opener, closer = draw(st.sampled_from([("{", "}"), ("(", ")"), ("[", "]")]))
            tokens.insert(i, opener * depth + " " + tokens[i] + " " + closer * draw(st.sampled_from([depth, 0])))
        elif op == "case":
            tokens[i] = tokens[i].swapcase()
    return " ".join(tokens)


#: Queries that stress the parsers and the engine, kept as they are (the grammar rarely reaches them).
EDGE_QUERIES = [
    "",
    " ",
    "ASK {}",
    "SELECT * {}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999",
    "SELECT * WHERE {" + "{" * 3000 + "}" * 3000 + "}",
    "SELECT * WHERE {" + "{" * 3000 + "}" * 3000 + "} # \\u0041",
    "SELECT * WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
    "SELECT * FROM <x> WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
    'SELECT * WHERE { BIND("\\U7FFFFFFF" AS ?x) }',
    'SELECT * WHERE { BIND("\\uD800" AS ?x) }',
    "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:p>|!<urn:q>)* ?o }",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } " + "ORDER BY ?s " * 200,
    "PREFIX : <" + "x" * 19000 + "> ASK {}",
    "SELECT ?x WHERE { BIND(" + " + ".join(["1"] * 2000) + " AS ?x) }",
    "SELECT * WHERE { VALUES ?x { " + " ".join(str(i) for i in range(3000)) + " } }",
]

#: Queries that run into the time limit (503), the row limit (413) or keep a worker busy: one in
#: two hundred, so that the workers are not busy all the time.
HEAVY_QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1",
    "SELECT * WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:p>|!<urn:q>)* ?o }",
    'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(STR(?c), "^(a+)+$")) }',
]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    pick = draw(st.integers(0, 199))
    if pick == 0:
        return draw(st.sampled_from(HEAVY_QUERIES))
    if pick < 40:
        return draw(st.sampled_from(EDGE_QUERIES))
    return draw(queries() if pick < 130 else mutated())


#: What the fuzz sends as a query: from the grammar (about half), nearly valid, or an edge case.
sparql_texts = _texts()

# --- HTTP requests -------------------------------------------------------------------------------------


@dataclass
class Request:
    """A raw HTTP/1.1 request: what ``wire`` puts on the socket, byte for byte."""

    method: str = "GET"
    target: str = "/sparql"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    note: str = ""

    def wire(self) -> bytes:
        head = f"{self.method} {self.target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        names = {k.lower() for k, _ in self.headers}
        lines = "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        if self.body and "content-length" not in names and "transfer-encoding" not in names:
            lines += f"Content-Length: {len(self.body)}\r\n"
        return (head + lines + "Connection: close\r\n\r\n").encode("latin-1", "replace") + self.body

    def brief(self, most: int = 300) -> str:
        """The request as a short Python bytes literal (a reproducer)."""
        text = repr(self.wire())
        return text if len(text) <= most else text[:most] + f"… ({len(self.wire())} bytes)"


METHODS = ["GET"] * 6 + ["POST"] * 6 + ["HEAD"] * 2 + ["PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"]
ODD_METHODS = ["CONNECT", "PROPFIND", "QUERY", "get", "G3T", "X" * 40, "BREW"]
PATHS = ["/sparql"] * 12 + ["/sparql/", "//sparql", "/sparql//", "/./sparql", "/SPARQL", "/sparql%2F"]
PATHS += ["/sparql;x=1", "/sparql/../sparql", "/query", "/search", "/search.json", "/id/district/110108", "/"]
PATHS += ["/id/year/2024.csv", "/def/hotline", "/dumps/hotline.ttl", "/reports/2024.txt", "/catalog", "/openapi.json"]
ACCEPTS = [
    "*/*",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/json",
    "text/html",
    "text/plain",
    "image/png",
    "text/*",
    "application/*",
    "*/*;q=0",
    "text/turtle;q=0.9, application/json;q=0.8",
    "application/json;q=abc",
    "application/json;q=-1",
    "application/json;q=1e999",
    "application/json;q=nan",
    "application/json;q=inf, text/csv;q=-inf",
    ";;;,,,",
    ",",
    ";q=1",
    "*",
    "/",
    "text/",
    "\x7f\x80\xff",
    "applicati\u00f6n/json",
    "text/html, " * 500,
]
CONTENT_TYPES = [
    "application/sparql-query",
    "application/sparql-query",
    "application/sparql-query",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded",
    "application/sparql-update",
    "application/sparql-query; charset=utf-8",
    "application/sparql-query; charset=UTF-8",
    'application/sparql-query; charset="utf-8"',
    "application/sparql-query; charset=latin-1",
    "application/sparql-query; charset=utf-16",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "application/x-www-form-urlencoded;;;charset",
    "APPLICATION/SPARQL-QUERY",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/json",
    "",
    ";",
    "garbage",
    "\xff\xfe",
]


def _percent(text: str) -> str:
    return quote(text, safe="")


@st.composite
def parameters(draw: st.DrawFn, query: str | None) -> list[tuple[str, str]]:
    """Query-string parameters: the query (maybe repeated or encoded oddly), graphs, format, noise."""
    out: list[tuple[str, str]] = []
    if query is not None:
        out += [("query", _percent(query))] * draw(st.sampled_from([1, 1, 1, 1, 2]))
    for name in ("default-graph-uri", "named-graph-uri"):
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
            graph = draw(st.one_of(st.sampled_from(GRAPHS), st.just("http://example.org/g"), st.text(max_size=10)))
            out.append((name, _percent(graph)))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        out.append(
            ("format", _percent(draw(st.sampled_from(["json", "xml", "csv", "tsv", "ttl", "nt", "", "pdf", "jsonld"]))))
        )
    if draw(st.integers(0, 9)) == 0:
        out.append(("update", _percent("INSERT DATA { <urn:a> <urn:b> <urn:c> }")))
    if draw(st.integers(0, 9)) == 0:
        out.append(
            (draw(st.sampled_from(["x", "", "q", "limit", "%zz", "query[]"])), draw(st.sampled_from(["", "1", "%"])))
        )
    return out


def _query_string(pairs: list[tuple[str, str]], breakage: str) -> str:
    text = "&".join(f"{k}={v}" if k or v else "" for k, v in pairs)
    if breakage == "bad-percent":
        text += "&query=%E4%B8&x=%G1%%"
    elif breakage == "raw-unicode":
        text = text.replace("%20", " ", 1)  # a space in the request line
    elif breakage == "semicolons":
        text = text.replace("&", ";")
    elif breakage == "long":
        text += "&pad=" + "a" * 20000
    elif breakage == "utf8-raw":
        text += "&q=朝阳"
    return text


def _encode_body(text: str, encoding: str) -> bytes:
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "latin-1":
        return text.encode("latin-1", "replace")
    if encoding == "utf-16":
        return text.encode("utf-16")
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "invalid-utf-8":
        return text.encode("utf-8") + b"\xc3\x28\xff\xfe"
    if encoding == "gb18030":
        return text.encode("gb18030", "replace")
    return text.encode("utf-8", "surrogatepass")


@st.composite
def clean_requests(draw: st.DrawFn, texts: st.SearchStrategy[str] | None = None) -> Request:
    """A well-formed protocol request: the query by GET (or HEAD), by POST directly or as a form,
    with the dataset's graphs, a format or an Accept a client would send."""
    query = draw(texts if texts is not None else st.one_of(queries(), queries(), sparql_texts))
    how = draw(st.sampled_from(["GET", "GET", "HEAD", "POST", "POST-form"]))
    graphs = [
        (name, _percent(g))
        for name in ("default-graph-uri", "named-graph-uri")
        for g in draw(st.lists(st.sampled_from(GRAPHS), max_size=2 if draw(st.integers(0, 4)) == 0 else 0))
    ]
    extra = graphs + (
        [("format", draw(st.sampled_from(["json", "xml", "csv", "tsv", "ttl", "nt"])))] * draw(st.integers(0, 1))
    )
    headers = [("Accept", draw(st.sampled_from(ACCEPTS[:17])))] if draw(st.booleans()) else []
    if draw(st.integers(0, 5)) == 0:
        headers.append(("Cache-Control", "no-cache"))
    if how in ("GET", "HEAD"):
        pairs = [("query", _percent(query)), *extra]
        return Request(how, "/sparql?" + "&".join(f"{k}={v}" for k, v in pairs), headers)
    target = "/sparql" + ("?" + "&".join(f"{k}={v}" for k, v in extra) if extra else "")
    if how == "POST":
        ctype = draw(st.sampled_from(["application/sparql-query", "application/sparql-query; charset=utf-8"]))
        return Request("POST", target, [*headers, ("Content-Type", ctype)], query.encode("utf-8", "surrogatepass"))
    body = ("query=" + _percent(query)).encode()
    return Request("POST", target, [*headers, ("Content-Type", FORM)], body)


FORM = "application/x-www-form-urlencoded"


RESOURCES = ["id/district/110108", "id/year/2024", "id/measure/share", "def/hotline", "id/district/110108.csv"]
RESOURCES += ["id/year/2024.json", "id/report/2024", "id/", "id/district/", "def/hotline#District", "id/%00", "id/%ff"]


@st.composite
def page_requests(draw: st.DrawFn) -> Request:
    """A GET or HEAD of a page, with odd parameters: the query page with a generated query, the
    search with odd words and limits, a resource with odd formats, orders and languages."""
    method = draw(st.sampled_from(["GET", "GET", "HEAD"]))
    kind = draw(st.sampled_from(["query", "search", "resource", "home"]))
    words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
    if kind == "query":
        target = "/query?query=" + _percent(draw(sparql_texts))
    elif kind == "search":
        path = draw(st.sampled_from(["/search", "/search.json", "/search.csv"]))
        limit = draw(st.sampled_from(["", "1", "0", "-1", "200", "201", "1e3", "9" * 5000, "x", "١٢"]))
        target = f"{path}?q={_percent(draw(st.one_of(words, st.sampled_from(['朝阳', 'chaoyang', 'cy', '110105']))))}"
        target += f"&limit={_percent(limit)}" if limit else ""
    elif kind == "resource":
        target = "/" + draw(st.one_of(st.sampled_from(RESOURCES), words.map(lambda w: "id/" + _percent(w))))
        extra = []
        if draw(st.booleans()):
            extra.append("format=" + _percent(draw(st.sampled_from(["ttl", "jsonld", "nt", "rdf", "html", "", "x"]))))
        if draw(st.booleans()):
            extra.append("sort=" + _percent(draw(st.one_of(words, st.sampled_from(["value", "-value", "period"])))))
        target += "?" + "&".join(extra) if extra else ""
    else:
        target = draw(st.sampled_from(["/", "/index.json", "/index.csv", "/catalog", "/openapi.json", "/static/x"]))
    headers = []
    if draw(st.booleans()):
        headers.append(("Accept", draw(st.sampled_from(ACCEPTS))))
    if draw(st.booleans()):
        languages = ["en", "zh-CN,zh;q=0.9", "en;q=x", "*;q=0", "en;q=1e999, zh;q=nan", ",,;", "\xff"]
        headers.append(("Accept-Language", draw(st.sampled_from(languages))))
    return Request(method, target, headers)


def requests(texts: st.SearchStrategy[str] = sparql_texts) -> st.SearchStrategy[Request]:
    """A raw request: well-formed to the endpoint, to a page with odd parameters, or odd in any of
    its parts."""
    return st.one_of(clean_requests(), page_requests(), odd_requests(texts), odd_requests(texts))


@st.composite
def odd_requests(draw: st.DrawFn, texts: st.SearchStrategy[str] = sparql_texts) -> Request:
    """A raw request to the endpoint (now and then to another page), odd in any of its parts: a
    query by GET or POST, or none."""
    method = draw(st.sampled_from(METHODS) if draw(st.integers(0, 9)) else st.sampled_from(ODD_METHODS))
    path = draw(st.sampled_from(PATHS))
    query = draw(st.one_of(texts, texts, texts, st.none()))
    where = draw(st.sampled_from(["url", "body-direct", "body-form", "both"]))
    in_url = query if method not in ("POST", "PUT", "PATCH") or where in ("url", "both") else None
    pairs = draw(parameters(in_url))
    breakage = draw(
        st.sampled_from(["", "", "", "", "", "bad-percent", "raw-unicode", "semicolons", "long", "utf8-raw"])
    )
    target = path + ("?" + _query_string(pairs, breakage) if pairs or breakage else "")
    headers: list[tuple[str, str]] = []
    if draw(st.integers(0, 3)):
        headers.append(("Accept", draw(st.sampled_from(ACCEPTS) if draw(st.integers(0, 5)) else st.text(max_size=40))))
    if draw(st.integers(0, 7)) == 0:
        headers.append(("Accept", draw(st.sampled_from(ACCEPTS))))  # repeated
    body = b""
    if method in ("POST", "PUT", "PATCH") or draw(st.integers(0, 9)) == 0:
        ctype = draw(st.sampled_from(CONTENT_TYPES) if draw(st.integers(0, 9)) else st.text(max_size=30))
        if ctype or draw(st.booleans()):
            headers.append(("Content-Type", ctype))
        text = query if query is not None and where != "url" else ""
        if "form" in ctype or where == "body-form":
            form = [("query", _percent(text))] if text else []
            form += draw(parameters(None))
            text = "&".join(f"{k}={v}" for k, v in form)
        body = _encode_body(
            text, draw(st.sampled_from(["utf-8"] * 6 + ["latin-1", "utf-16", "utf-8-bom", "invalid-utf-8", "gb18030"]))
        )
        coding = draw(st.sampled_from(["", "", "", "", "gzip", "deflate", "br", "garbage", "gzip, gzip"]))
        if coding:
            headers.append(("Content-Encoding", coding))
            if coding == "gzip" and draw(st.booleans()):
                body = gzip.compress(body)
            elif coding == "deflate" and draw(st.booleans()):
                body = zlib.compress(body)
        if draw(st.integers(0, 9)) == 0:
            body += b"\x00" * draw(st.integers(1, 120_000))  # over the body limit, maybe
        if draw(st.integers(0, 9)) == 0:
            size = len(body)
            body = f"{size:x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if size else b"0\r\n\r\n"
            headers.append(("Transfer-Encoding", "chunked"))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        headers.append(
            draw(
                st.sampled_from(
                    [
                        ("If-None-Match", '"abc", W/"def", *'),
                        ("If-None-Match", "\x00"),
                        ("Cache-Control", "no-cache"),
                        ("Accept-Language", "en;q=0.9, zh;q=x"),
                        ("Accept-Encoding", "gzip, br, zstd, *;q=0"),
                        ("Range", "bytes=0-10"),
                        ("Range", "bytes=-0"),
                        ("Range", "bytes=99999999999999999999-"),
                        ("Range", "bytes=0-1,2-3,4-5"),
                        ("If-Modified-Since", "Mon, 99 Foo 2026 99:99:99 GMT"),
                        ("If-Modified-Since", "Thu, 01 Jan 99999 00:00:00 GMT"),
                        ("If-Range", '"x"'),
                        ("Origin", "http://evil.example"),
                        ("Access-Control-Request-Method", "POST"),
                        ("Expect", "100-continue"),
                        ("X-Forwarded-For", "1.2.3.4, ::1, garbage"),
                        ("Forwarded", "for=unknown;proto=gopher"),
                        ("Content-Length", "abc"),
                        ("Content-Length", "-1"),
                        ("Host", ""),
                        ("X-Long", "v" * 8000),
                        ("\u00e9t\u00e9", "x"),
                    ]
                )
            )
        )
    return Request(method, target, headers, body)


#: Request lines and heads no client should send: the server may close the connection on these,
#: but must stay up.
MALFORMED = [
    b"\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /sparql\r\n\r\n",
    b"GET /sparql HTTP/9.9\r\n\r\n",
    b"GET /sparql HTTP/1.0\r\n\r\n",
    b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    b"GET /spa rql HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
    b"GET /sparql HTTP/1.1\nHost: x\n\n",
    b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /sparql?query=\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 200_000 + b"\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
]

# --- sending ---------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What came back: the status (None: no response), its head and body, the time it took."""

    status: int | None
    head: bytes
    body: bytes
    seconds: float
    error: str = ""

    @property
    def reason(self) -> str:
        return self.body[:300].decode("utf-8", "replace")


def send(host: str, port: int, data: bytes, timeout: float) -> Reply:
    """Send raw bytes on a new connection and read the whole response (until it ends or the
    connection closes), within ``timeout`` seconds in all."""
    start = time.monotonic()
    chunks: list[bytes] = []
    error = ""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError) as err:  # it answered before reading it all
                error = type(err).__name__
            while True:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if _complete(b"".join(chunks)):
                    break
    except TimeoutError:
        raw = _final(b"".join(chunks))
        head, _, body = raw.partition(b"\r\n\r\n")
        return Reply(_status(raw), head, body, time.monotonic() - start, "timeout")
    except ConnectionResetError as err:
        error = type(err).__name__
    except OSError as err:
        error = f"{type(err).__name__}: {err}"
    raw = _final(b"".join(chunks))
    head, _, body = raw.partition(b"\r\n\r\n")
    return Reply(_status(raw), head, body, time.monotonic() - start, error)


def _final(raw: bytes) -> bytes:
    """The response after any interim ``100 Continue``."""
    while raw.startswith((b"HTTP/1.1 100", b"HTTP/1.0 100")) and b"\r\n\r\n" in raw:
        raw = raw.partition(b"\r\n\r\n")[2]
    return raw


def _status(raw: bytes) -> int | None:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def _complete(raw: bytes) -> bool:
    """Whether a response with a Content-Length has all its body (else: read until close)."""
    head, sep, body = _final(raw).partition(b"\r\n\r\n")
    if not sep:
        return False
    if head.startswith((b"HTTP/1.1 304", b"HTTP/1.1 204")):
        return True
    if re.search(rb"(?im)^transfer-encoding:\s*chunked\s*$", head):
        return body.endswith(b"0\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return bool(m) and len(body) >= int(m.group(1))


def healthy(host: str, port: int, timeout: float = 10) -> bool:
    """Whether the server answers a trivial query."""
    reply = send(
        host, port, Request("GET", "/sparql?query=ASK%20%7B%7D", [("Accept", "application/json")]).wire(), timeout
    )
    return reply.status == 200 and b"boolean" in reply.body


#: The server's environment for fuzzing: no per-client rate or query limit (the fuzzer is one client
#: sending everything), and short waits for a request's head and body (so a malformed request that
#: leaves the server waiting for more is answered 408 soon). Unknown settings are ignored.
CLIENT_ENV = {
    "HOTLINE_KG_CLIENT_RATE": "0",
    "HOTLINE_KG_CLIENT_QUERIES": "0",
    "HOTLINE_KG_HEADER_TIMEOUT": "2",
    "HOTLINE_KG_BODY_TIMEOUT": "2",
}


def serve(dist: Path, port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`hotline-kg serve` over ``dist`` on ``port`` with ``CLIENT_ENV``, once it answers. Its log goes
    to ``log``: tracebacks would fill a pipe nobody reads, and the server would block on it."""
    command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--dist", str(dist), "--port", str(port), *args]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **CLIENT_ENV})
    deadline = time.time() + 60
    while not healthy("127.0.0.1", port, 2):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("the server did not start: " + log.read_text(errors="replace")[-2000:])
        time.sleep(0.3)
    return proc


#: What a 503 may say: the query ran out of time, or every worker stayed busy (the documented answers).
TIME_LIMIT_RE = re.compile(r"longer than|stopped|busy|retry later|time limit|timed out", re.IGNORECASE)


def judge(host: str, port: int, request: bytes, reply: Reply, deadline: float) -> str | None:
    """``verdict``, but a HEAD answered 503 is asked again as a GET, whose body says why."""
    if reply.status == 503 and request.startswith(b"HEAD ") and not reply.body:
        again = b"GET " + request.removeprefix(b"HEAD ")
        return verdict(again, send(host, port, again, deadline + 5), deadline)
    return verdict(request, reply, deadline)


def verdict(request: bytes, reply: Reply, deadline: float) -> str | None:
    """What is wrong with this reply, or None: any 5xx but a 503 for the time limit, no answer
    within the deadline, or no answer at all to a well-formed request."""
    if reply.error == "timeout" or reply.seconds > deadline:
        return f"no complete answer within {deadline:g} s"
    if reply.status is None:
        return f"no response ({reply.error or 'connection closed'})"
    said = reply.body.decode("utf-8", "replace")  # a page (the query page's 503) says it further down
    if reply.status >= 500 and not (reply.status == 503 and TIME_LIMIT_RE.search(said)):
        return f"{reply.status}: {reply.reason.strip()[:120]}"
    return None
