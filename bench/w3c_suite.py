"""The engine-independent half of a runner of the W3C SPARQL test suites (rdf-tests/sparql).

It reads the manifests into :class:`Test` records, parses expected results and the answers an
endpoint sends back into one :class:`Answer` shape, and compares two answers with the suite's
rules. It sends nothing anywhere. A runner, per test not given a :func:`skip_reason`: loads
``data`` (parsed with ``data_iris`` as bases) into the default graph and ``graph_data`` and
``query_graphs`` into named graphs, sends :func:`query_text` over the SPARQL Protocol asking
for :func:`accept_for`, hands the response's media type and bytes to :func:`parse_answer`, and
calls :func:`check` with :func:`expected_answer`. Syntax tests only need :func:`query_text`
accepted (positive) or refused with a 400 (negative).

Which tests
    :func:`read_tests` starts at ``sparql10/manifest.ttl`` and ``sparql11/manifest.ttl`` and
    follows ``mf:include`` lists. In sparql10 that top manifest includes every folder manifest
    directly; ``manifest-evaluation.ttl`` and ``manifest-syntax.ttl`` only split the same folder
    manifests into two halves, so they add nothing (``extended-manifest-evaluation.ttl``, with
    the single sort-11 test, is included by neither and is not read). In sparql11 the top
    manifest includes the query, update and result-format manifests; the entailment, federation,
    service-description, protocol and graph-store manifests hang only off ``manifest-all.ttl``
    and are not reached. Only the entries listed in ``mf:entries`` are tests: a manifest may
    describe more (sparql10 optional-filter keeps a commented-out variant). The update
    manifests bring no query test but 8 update requests of sparql11/delete-insert typed as
    ``mf:NegativeSyntaxTest11``: read, and skipped (:func:`skip_reason`). Kept types:
    ``mf:QueryEvaluationTest`` and ``mf:CSVResultFormatTest`` (kind "evaluation"),
    ``mf:PositiveSyntaxTest``/``…11`` and ``mf:NegativeSyntaxTest``/``…11``; update tests are
    left out. All type IRIs are in the ``test-manifest#`` namespace, SPARQL 1.0 included.

Approval
    Every listed test is run, whatever its ``dawgt:approval`` (Approved, Proposed, or none at
    all): the community-maintained manifests already dropped the withdrawn tests, the tests
    without an approval are ordinary ones (the sparql10 regex tests, many newer sparql11 ones)
    and the "Proposed" ones are agreed corrections. Running only "Approved" would lose over a
    hundred sound tests. The approval is kept on each test for the report, and a test marked
    Withdrawn, Rejected or NotApproved would be skipped (:func:`skip_reason`); none is.

IRIs
    Manifests, queries and data are read with the IRI they have where the suite is published,
    ``https://w3c.github.io/rdf-tests/sparql/`` followed by the file's path (as Oxigraph does),
    so relative IRIs, named-graph names (a ``qt:graphData`` graph is named by its file's IRI)
    and results that show them are the same on every machine. ``read_tests(root, base=…)`` takes
    another base, e.g. ``root.as_uri() + "/"`` for file URLs. A query's FROM and FROM NAMED
    IRIs that name suite files are listed in :attr:`Test.query_graphs`: a runner loads those
    files as named graphs under those IRIs, and the engine's FROM then picks them.

Comparison (:func:`compare`)
    Solutions are a multiset (bag): every row must be matched once, duplicates count. Blank
    nodes are matched by one bijection across the whole answer (rdflib's graph isomorphism on
    an encoding of the rows), never row by row. Variables are compared as a set; an unbound
    variable is absent from its row. IRIs must be identical; literals are compared by value
    where the suite says so (its README, since rdf-tests PR #59: "equal literal nodes that are
    compared by value"): well-formed numeric and boolean literals compare by value within their
    own datatype ("01"^^xsd:integer = "1"^^xsd:integer, but never = "1"^^xsd:decimal), language
    tags ignore case, "x"^^xsd:string is the simple literal "x" (RDF 1.1) and a zero time-zone
    offset of a date or time is "Z" however written. Everything else compares by lexical form
    (so "2006-08-23T10:00:00+01:00" differs from "2006-08-23T09:00:00Z"). Graphs (CONSTRUCT, DESCRIBE) are compared
    by isomorphism after the same literal normalisation.

Order
    The suite's text makes order count only where the expected result is an RDF result set with
    ``rs:index`` on its solutions, and Oxigraph's runner does exactly that. Here order counts
    when the query has a top-level ORDER BY *and* the expected document carries an order:
    ``rs:index`` in an RDF result set, or the document order of an .srx, .srj, .tsv or .csv
    file (17 more tests, all written in ORDER BY order). Ties are honoured: when every ORDER BY
    condition is a plain variable (:attr:`Test.order_keys`), rows equal on those variables may
    come in any order among themselves, and blank nodes, whose relative order SPARQL leaves to
    the engine, count as equal; otherwise (ORDER BY on an expression or on a variable that is
    not projected) the rows must come in the expected order one by one.

REDUCED
    Tests marked ``mf:resultCardinality mf:LaxCardinality`` (sparql10 reduced-1 and -2) pass
    when every expected row comes back at least once and no more often than expected.

CSV and TSV
    A CSV document cannot tell an IRI from a literal and drops datatypes and language tags:
    a .csv expectation is compared with a "CSV view" of the answer (:func:`csv_view`: IRIs and
    literals both become their plain text, "" is unbound), so numbers are compared by their
    lexical form there. TSV keeps full terms (numbers may be written bare, like Turtle), so
    .tsv expectations are compared like any other, numbers by value.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import re
import struct
import typing
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from hotline_kg.frames import INTEGER_TYPES

#: Where the suite is published; a file's IRI is this followed by its path under the suite root.
SUITE_BASE = "https://w3c.github.io/rdf-tests/sparql/"
#: The manifests read by :func:`read_tests`, relative to the suite root.
TOP_MANIFESTS = ("sparql10/manifest.ttl", "sparql11/manifest.ttl")

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")

Kind = typing.Literal["evaluation", "positive-syntax", "negative-syntax"]
AnswerKind = typing.Literal["boolean", "solutions", "graph"]
#: An RDF term as it appears in a solution or a triple.
Term = URIRef | BNode | Literal
Row = dict[str, Term]

#: The manifest types kept, and the kind of test each one is.
KINDS: dict[URIRef, Kind] = {
    MF.QueryEvaluationTest: "evaluation",
    MF.CSVResultFormatTest: "evaluation",
    MF.PositiveSyntaxTest: "positive-syntax",
    MF.PositiveSyntaxTest11: "positive-syntax",
    MF.NegativeSyntaxTest: "negative-syntax",
    MF.NegativeSyntaxTest11: "negative-syntax",
}
#: Approvals that take a test out of the run.
NOT_RUN_APPROVALS = frozenset({"Withdrawn", "Rejected", "NotApproved"})

#: Media types of the result formats, by the extension of an expected-result file.
RESULT_MEDIA_TYPES = {
    ".srx": "application/sparql-results+xml",
    ".srj": "application/sparql-results+json",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
}
#: Media types of the RDF formats the suite's data and expected graphs come in.
RDF_MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
}
_RESULT_FORMATS = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class Test:
    """One test of the suite, with everything a runner needs and nothing engine-specific.

    Paths are absolute. Files hold relative IRIs, so each is parsed with its own IRI as base:
    ``data_iris`` for ``data`` (same order), ``result_iri`` for ``result``; ``graph_data`` and
    ``query_graphs`` pair a file with the IRI that names its graph and is its base as well.
    ``order_keys`` holds the ORDER BY variables when every ORDER BY condition is a plain
    variable (``None`` otherwise, or without ORDER BY).
    """

    id: str
    name: str
    kind: Kind
    type: str  # local name of the manifest type, e.g. "QueryEvaluationTest"
    folder: str  # e.g. "sparql11/aggregates"
    query: Path
    query_iri: str
    data: tuple[Path, ...] = ()
    data_iris: tuple[str, ...] = ()
    graph_data: tuple[tuple[str, Path], ...] = ()
    query_graphs: tuple[tuple[str, Path], ...] = ()
    unknown_query_graphs: tuple[str, ...] = ()  # FROM / FROM NAMED IRIs that are no suite file
    result: Path | None = None
    result_iri: str | None = None
    approval: str | None = None  # local name: "Approved", "Proposed", … or None
    order_by: bool = False
    order_keys: tuple[str, ...] | None = None
    lax_cardinality: bool = False
    requires: tuple[str, ...] = ()  # local names of mf:requires, e.g. "XsdDateOperations"
    service_data: tuple[tuple[str, Path], ...] = ()
    entailment: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class Answer:
    """The result of a query, from a file or from an endpoint: a boolean, solutions or a graph.

    ``rows`` leave unbound variables out. ``ordered`` says the document gives its rows in a
    defined order (always for .srx/.srj/.tsv/.csv and endpoint answers, only with ``rs:index``
    for an RDF result set). ``csv`` says the values are CSV text (see :func:`csv_view`).
    ``==`` compares the fields as they are (rows in order, terms as written, graphs not at
    all): answers are compared with :func:`compare`.
    """

    kind: AnswerKind
    boolean: bool | None = None
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    graph: Graph | None = field(default=None, compare=False)
    ordered: bool = False
    csv: bool = False


def boolean_answer(value: bool) -> Answer:
    """The answer of an ASK query."""
    return Answer(kind="boolean", boolean=value)


def solutions_answer(variables: Iterable[str], rows: Iterable[Mapping[str, Term]], *, ordered: bool = True) -> Answer:
    """The answer of a SELECT query: its variables and rows (unbound variables absent)."""
    return Answer(kind="solutions", variables=tuple(variables), rows=tuple(dict(r) for r in rows), ordered=ordered)


def graph_answer(graph: Graph) -> Answer:
    """The answer of a CONSTRUCT or DESCRIBE query."""
    return Answer(kind="graph", graph=graph)


# ---------------------------------------------------------------------------------------------
# Files and IRIs


def file_iri(path: Path, root: Path, base: str = SUITE_BASE) -> str:
    """The IRI of a suite file: ``base`` followed by its path under ``root``."""
    return base + path.resolve().relative_to(root.resolve()).as_posix()


def file_of(iri: str, root: Path, base: str = SUITE_BASE) -> Path | None:
    """The suite file an IRI names, or None when it names none under ``root``."""
    if not iri.startswith(base):
        return None
    return root / iri[len(base) :].split("#")[0]


@contextlib.contextmanager
def _quiet_rdflib() -> typing.Iterator[None]:
    """Silence rdflib's logged traceback for each ill-formed literal ("xyz"^^xsd:integer): the
    suite has them on purpose (open-world tests), and they are kept as written."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    """An Oxigraph term as an rdflib term, lexical form kept as written; xsd:string is dropped."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language, normalize=False)
        datatype = term.datatype.value
        with _quiet_rdflib():
            return Literal(term.value, datatype=None if datatype == XSD + "string" else datatype, normalize=False)
    raise TypeError(f"unsupported term {term!r}")


def parse_graph(data: bytes | Path, rdf_format: ox.RdfFormat | None = None, base: str | None = None) -> Graph:
    """An RDF document (Turtle, N-Triples, RDF/XML) as an rdflib graph, parsed by Oxigraph.

    A Path's format is guessed from its extension when ``rdf_format`` is None.
    """
    if isinstance(data, Path):
        triples = ox.parse(path=data, format=rdf_format, base_iri=base)
    else:
        triples = ox.parse(data, format=rdf_format, base_iri=base)
    graph = Graph()
    for triple in triples:
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    return graph


# ---------------------------------------------------------------------------------------------
# Manifests


def read_tests(root: Path, base: str = SUITE_BASE) -> list[Test]:
    """Every query-evaluation and query-syntax test reachable from the two top manifests.

    Manifests are read breadth-first in ``mf:include`` order, each once; tests come in
    ``mf:entries`` order, each once. Other test types (update, protocol, …) are left out.
    """
    root = root.resolve()
    queue = [root / name for name in TOP_MANIFESTS]
    for manifest in queue:
        if not manifest.is_file():
            raise FileNotFoundError(f"no SPARQL test manifest at {manifest}")
    seen_manifests: set[Path] = set()
    seen_tests: set[str] = set()
    tests: list[Test] = []
    while queue:
        manifest = queue.pop(0)
        if manifest in seen_manifests:
            continue
        seen_manifests.add(manifest)
        graph = parse_graph(manifest, base=file_iri(manifest, root, base))
        node = _manifest_node(graph, manifest)
        for include in _list(graph, node, MF.include):
            path = file_of(str(include), root, base)
            if path is None:
                raise ValueError(f"{manifest}: included manifest {include} is outside the suite")
            queue.append(path)
        for entry in _list(graph, node, MF.entries):
            test = _test(graph, entry, manifest, root, base)
            if test is not None and test.id not in seen_tests:
                seen_tests.add(test.id)
                tests.append(test)
    return tests


def _manifest_node(graph: Graph, path: Path) -> Node:
    """The one ``mf:Manifest`` of a manifest file (often ``<>``, sometimes a blank node)."""
    nodes = set(graph.subjects(RDF.type, MF.Manifest))
    if len(nodes) != 1:
        raise ValueError(f"{path}: expected one mf:Manifest, found {len(nodes)}")
    return nodes.pop()


def _list(graph: Graph, node: Node, predicate: URIRef) -> list[Node]:
    """The members of the RDF list that ``node predicate`` points at ([] without one)."""
    head = graph.value(node, predicate)
    return [] if head is None else list(Collection(graph, head))


def _local(iri: Node | None) -> str | None:
    """The part of an IRI after its ``#`` (the whole string without one); None stays None."""
    return None if iri is None else str(iri).rsplit("#", 1)[-1]


def _test(graph: Graph, entry: Node, manifest: Path, root: Path, base: str) -> Test | None:
    """The :class:`Test` an ``mf:entries`` member describes, or None for a type not kept."""
    types = [t for t in graph.objects(entry, RDF.type) if t in KINDS]
    if not types:
        return None
    kind = KINDS[typing.cast(URIRef, types[0])]
    action = graph.value(entry, MF.action)
    if action is None:
        raise ValueError(f"{manifest}: test {entry} has no mf:action")

    def path_of(node: Node) -> Path:
        path = file_of(str(node), root, base)
        if path is None:
            raise ValueError(f"{manifest}: {node} of test {entry} is no suite file")
        return path

    if isinstance(action, BNode):
        query_node = graph.value(action, QT.query)
        data_nodes = sorted(graph.objects(action, QT.data))
        graph_data = tuple((str(g), path_of(g)) for g in sorted(graph.objects(action, QT.graphData)))
        service_data = tuple(
            (str(graph.value(s, QT.endpoint)), path_of(graph.value(s, QT.data)))
            for s in graph.objects(action, QT.serviceData)
        )
        regime = graph.value(action, SD.entailmentRegime)
    else:
        query_node, data_nodes, graph_data, service_data, regime = action, [], (), (), None
    if query_node is None:
        raise ValueError(f"{manifest}: test {entry} has no query")
    query = path_of(query_node)
    result = graph.value(entry, MF.result)
    order_by, order_keys, dataset = _query_shape(query, str(query_node)) if kind == "evaluation" else (False, None, ())
    known = tuple((iri, p) for iri in dataset if (p := file_of(iri, root, base)) is not None and p.is_file())
    return Test(
        id=str(entry),
        name=str(graph.value(entry, MF.name) or _local(entry)),
        kind=kind,
        type=_local(types[0]) or "",
        folder=manifest.parent.relative_to(root).as_posix(),
        query=query,
        query_iri=str(query_node),
        data=tuple(path_of(d) for d in data_nodes),
        data_iris=tuple(str(d) for d in data_nodes),
        graph_data=graph_data,
        query_graphs=known,
        unknown_query_graphs=tuple(iri for iri in dataset if iri not in dict(known)),
        result=None if result is None else path_of(result),
        result_iri=None if result is None else str(result),
        approval=_local(graph.value(entry, DAWGT.approval)),
        order_by=order_by,
        order_keys=order_keys,
        lax_cardinality=(entry, MF.resultCardinality, MF.LaxCardinality) in graph,
        requires=tuple(sorted(_local(r) or "" for r in graph.objects(entry, MF.requires))),
        service_data=service_data,
        entailment=None if regime is None else str(regime),
        comment=str(graph.value(entry, RDFS_COMMENT) or ""),
    )


_ORDER_OR_FROM = re.compile(r"\b(ORDER|FROM)\b", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_FROM_IRI = re.compile(r"\bFROM\s+(?:NAMED\s+)?<([^>]*)>", re.IGNORECASE)


def _query_shape(path: Path, iri: str) -> tuple[bool, tuple[str, ...] | None, tuple[str, ...]]:
    """Whether a query has a top-level ORDER BY, its plain-variable keys, and its FROM IRIs.

    The query is parsed (rdflib) only when its text mentions ORDER or FROM at all. Should rdflib
    fail on it, the text is searched instead: any ORDER BY counts, with no keys (so order is
    then checked row by row), and FROM IRIs written in full are resolved against ``iri``.
    """
    text = path.read_text(encoding="utf-8")
    if not _ORDER_OR_FROM.search(text):
        return False, None, ()
    try:
        algebra = translateQuery(parseQuery(text), base=iri).algebra
    except Exception:  # rdflib's parser and algebra raise many kinds of errors
        dataset = tuple(dict.fromkeys(urljoin(iri, m.group(1)) for m in _FROM_IRI.finditer(text)))
        return bool(_ORDER_BY.search(text)), None, dataset
    # a CompValue's .get() of a missing key does not return None: test membership instead
    clauses = algebra.datasetClause or ()
    dataset = tuple(dict.fromkeys(str(c["default"] if "default" in c else c["named"]) for c in clauses))
    conditions = _top_order_by(algebra)
    if conditions is None:
        return False, None, dataset
    keys = [c.expr for c in conditions]
    plain = all(isinstance(k, Variable) for k in keys)
    return True, tuple(str(k) for k in keys) if plain else None, dataset


def _top_order_by(algebra: CompValue) -> list[CompValue] | None:
    """The ORDER BY conditions of a SELECT query's outermost level, or None without any."""
    if algebra.name != "SelectQuery":
        return None
    node = algebra.p
    while isinstance(node, CompValue) and node.name in ("Slice", "Distinct", "Reduced", "Project"):
        node = node.p
    if isinstance(node, CompValue) and node.name == "OrderBy":
        return list(node.expr)
    return None


def skip_reason(test: Test) -> str | None:
    """Why a test cannot be run over the plain SPARQL Protocol as it stands, or None.

    FROM / FROM NAMED on suite files is no reason: the runner loads :attr:`Test.query_graphs`.
    """
    if test.approval in NOT_RUN_APPROVALS:
        return f"not approved (dawgt:{test.approval})"
    if test.entailment:
        return f"needs the entailment regime {test.entailment}"
    if test.service_data:
        return "needs SERVICE endpoints with their own data (qt:serviceData)"
    if test.query.suffix == ".ru":
        # sparql11/delete-insert types 8 update requests as mf:NegativeSyntaxTest11
        return "an update request (.ru) typed as a query syntax test: refused as a query whatever its syntax"
    if test.unknown_query_graphs:
        return "FROM / FROM NAMED on IRIs that are no suite file: " + " ".join(test.unknown_query_graphs)
    if test.kind == "evaluation":
        if test.result is None:
            return "no expected result (mf:result)"
        if test.result.suffix not in RESULT_MEDIA_TYPES and test.result.suffix not in RDF_MEDIA_TYPES:
            return f"expected result in an unknown format ({test.result.name})"
    return None


def query_text(test: Test) -> str:
    """The query to send: the file's text after a BASE of the file's IRI, so that its relative
    IRIs (FROM <data-g1.ttl>, <a> …) resolve as the suite intends whatever base the engine has."""
    return f"BASE <{test.query_iri}>\n" + test.query.read_text(encoding="utf-8")


def accept_for(test: Test, expected: Answer) -> str:
    """The media type to ask for: the expected file's own format for the result-format tests
    (.srx, .srj, .csv, .tsv), N-Triples for graphs, else SPARQL JSON results."""
    if expected.kind == "graph":
        return RDF_MEDIA_TYPES[".nt"]
    if test.result is not None and test.result.suffix in RESULT_MEDIA_TYPES:
        return RESULT_MEDIA_TYPES[test.result.suffix]
    return RESULT_MEDIA_TYPES[".srj"]


# ---------------------------------------------------------------------------------------------
# Parsing answers


def expected_answer(test: Test) -> Answer:
    """The expected answer of an evaluation test, its file parsed with the file's IRI as base."""
    if test.result is None:
        raise ValueError(f"{test.id} has no expected result")
    return parse_expected(test.result, test.result_iri)


def parse_expected(path: Path, iri: str | None = None) -> Answer:
    """An expected-result file, by its extension: .srx, .srj, .tsv, .csv, or an RDF graph
    (.ttl, .nt, .rdf) that is either a CONSTRUCT result or an ``rs:ResultSet``.

    ``iri`` is the base for relative IRIs in a graph: pass the file's suite IRI, as
    :func:`expected_answer` does (by default the file's ``file:`` URL).
    """
    suffix = path.suffix.lower()
    if suffix in RESULT_MEDIA_TYPES:
        return parse_answer(RESULT_MEDIA_TYPES[suffix], path.read_bytes())
    if suffix in RDF_MEDIA_TYPES:
        graph = parse_graph(path, base=iri or path.resolve().as_uri())
        return result_set_answer(graph) if (None, RDF.type, RS.ResultSet) in graph else graph_answer(graph)
    raise ValueError(f"unknown result format: {path.name}")


def parse_answer(media_type: str, body: bytes, base: str | None = None) -> Answer:
    """An endpoint's answer from its Content-Type and body.

    Results in XML, JSON, TSV or CSV; graphs in Turtle, N-Triples or RDF/XML (a graph is always
    a graph here, never read as an ``rs:ResultSet``). Raises ValueError for other media types
    and SyntaxError for a malformed body.
    """
    mime = media_type.split(";")[0].strip().lower()
    if mime == "text/csv":
        return parse_csv(body.decode("utf-8"))
    if mime in _RESULT_FORMATS:
        results = ox.parse_query_results(body, format=_RESULT_FORMATS[mime])
        if isinstance(results, ox.QueryBoolean):
            return boolean_answer(bool(results))
        variables = [v.value for v in results.variables]
        rows = [
            {name: to_rdflib(value) for name, value in zip(variables, solution, strict=True) if value is not None}
            for solution in results
        ]
        return solutions_answer(variables, rows)
    if mime in _RDF_FORMATS:
        return graph_answer(parse_graph(body, _RDF_FORMATS[mime], base))
    raise ValueError(f"unsupported media type: {media_type}")


def parse_csv(text: str) -> Answer:
    """SPARQL CSV results: a header of variable names, then rows of plain text.

    An empty cell is unbound, ``_:x`` a blank node and anything else a simple literal (CSV does
    not say which cells were IRIs); the answer is marked ``csv``.
    """
    records = list(csv.reader(io.StringIO(text)))
    if not records:
        raise SyntaxError("CSV results without a header")
    variables = records[0]
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not record and len(variables) <= 1:
            record = [""] * len(variables)  # an empty line: one unbound variable, or none at all
        if len(record) != len(variables):
            raise SyntaxError(f"CSV line {number} has {len(record)} cells for {len(variables)} variables")
        rows.append({name: _csv_term(cell) for name, cell in zip(variables, record, strict=True) if cell != ""})
    return replace(solutions_answer(variables, rows), csv=True)


def _csv_term(cell: str) -> Term:
    """One non-empty CSV cell as a term: a blank node for ``_:label``, else a simple literal."""
    return BNode(cell[2:]) if cell.startswith("_:") else Literal(cell)


def result_set_answer(graph: Graph) -> Answer:
    """The answer an RDF graph in the DAWG result-set vocabulary (``rs:ResultSet``) encodes.

    ``rs:boolean`` gives a boolean; otherwise ``rs:resultVariable`` the variables and each
    ``rs:solution`` a row of ``rs:binding [rs:variable; rs:value]``. The rows are ordered by
    ``rs:index`` when every solution has one, and the answer is then marked ``ordered``.
    """
    result_sets = list(graph.subjects(RDF.type, RS.ResultSet))
    if len(result_sets) != 1:
        raise ValueError(f"expected one rs:ResultSet, found {len(result_sets)}")
    result_set = result_sets[0]
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return boolean_answer(str(boolean).strip() in ("true", "1"))
    variables = sorted(str(v) for v in graph.objects(result_set, RS.resultVariable))
    solutions: list[tuple[int | None, Row]] = []
    for solution in graph.objects(result_set, RS.solution):
        row: Row = {}
        for binding in graph.objects(solution, RS.binding):
            name, value = graph.value(binding, RS.variable), graph.value(binding, RS.value)
            if name is None or value is None:
                raise ValueError(f"incomplete rs:binding {binding}")
            row[str(name)] = typing.cast(Term, value)
        index = graph.value(solution, RS["index"])  # RS.index would be str.index
        solutions.append((None if index is None else int(index), row))
    ordered = bool(solutions) and all(index is not None for index, _ in solutions)
    if ordered:
        solutions.sort(key=lambda pair: typing.cast(int, pair[0]))
    return solutions_answer(variables, (row for _, row in solutions), ordered=ordered)


def csv_view(answer: Answer) -> Answer:
    """What CSV can say of solutions: IRIs and literals as simple literals of their text, blank
    nodes kept, empty strings unbound. Idempotent; booleans and graphs are returned as they are.
    """
    if answer.kind != "solutions" or answer.csv:
        return answer
    rows = []
    for row in answer.rows:
        view: Row = {}
        for name, term in row.items():
            if isinstance(term, BNode):
                view[name] = term
            elif str(term) != "":
                view[name] = Literal(str(term))
        rows.append(view)
    return replace(answer, rows=tuple(rows), csv=True)


# ---------------------------------------------------------------------------------------------
# Comparing answers

#: Dates and times, whose zero time-zone offset may be written "Z", "+00:00" or "-00:00".
_DATE_TIME_TYPES = frozenset(
    XSD + name
    for name in ("dateTime", "dateTimeStamp", "date", "time", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay")
)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_FLOATING = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")


def canonical(term: Term) -> Term:
    """The term that stands for ``term`` when comparing: numeric and boolean literals in one
    lexical form per value (within their datatype), a zero time-zone offset of dates and times
    as "Z", language tags in lower case, xsd:string as a simple literal. Ill-formed literals,
    IRIs and blank nodes are returned as they are."""
    if not isinstance(term, Literal):
        return term
    if term.language:
        return Literal(str(term), lang=term.language.lower(), normalize=False)
    datatype = None if term.datatype is None else str(term.datatype)
    if datatype is None or datatype == XSD + "string":
        return Literal(str(term), normalize=False)
    lexical = _canonical_lexical(str(term).strip(), datatype)
    return term if lexical is None else Literal(lexical, datatype=term.datatype, normalize=False)


def _canonical_lexical(text: str, datatype: str) -> str | None:
    """One lexical form per value of a numeric or boolean literal; None when not applicable."""
    try:
        if datatype in INTEGER_TYPES and _INTEGER.fullmatch(text):
            return str(int(text))
        if datatype == XSD + "decimal" and _DECIMAL.fullmatch(text):
            value = Decimal(text)
            return "0.0" if value == 0 else f"{value.normalize():f}"
        if datatype in (XSD + "double", XSD + "float") and _FLOATING.fullmatch(text):
            number = float(text.replace("INF", "inf"))
            if datatype == XSD + "float":
                number = struct.unpack("f", struct.pack("f", number))[0]
            return "NaN" if number != number else repr(number)
        if datatype == XSD + "boolean" and text in ("true", "false", "1", "0"):
            return "true" if text in ("true", "1") else "false"
        if datatype in _DATE_TIME_TYPES and text.endswith(("+00:00", "-00:00")):
            return text[:-6] + "Z"
    except (InvalidOperation, OverflowError, ValueError):
        return None
    return None


def compare(
    expected: Answer,
    actual: Answer,
    ordered: bool = False,
    *,
    keys: Sequence[str] | None = None,
    lax: bool = False,
) -> str | None:
    """None when ``actual`` matches ``expected`` under the suite's rules, else a short reason.

    ``ordered``: the rows must come in the expected order; with ``keys`` (the ORDER BY
    variables, all among the answer's variables), rows equal on the keys (any blank node equal
    to any other) may come in any order among themselves. ``lax``: REDUCED's cardinality, each
    expected row between once and as often as expected (order is then ignored). A .csv side turns the other into its
    :func:`csv_view`. See the module docstring for how terms are compared.
    """
    if expected.kind != actual.kind:
        return f"expected a {expected.kind} answer, got a {actual.kind} one"
    if expected.kind == "boolean":
        return None if expected.boolean == actual.boolean else f"expected {expected.boolean}, got {actual.boolean}"
    if expected.kind == "graph":
        return _compare_graphs(typing.cast(Graph, expected.graph), typing.cast(Graph, actual.graph))
    if expected.csv or actual.csv:
        expected, actual = csv_view(expected), csv_view(actual)
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {_vars(expected.variables)}, got {_vars(actual.variables)}"
    wanted = [_canonical_row(row) for row in expected.rows]
    got = [_canonical_row(row) for row in actual.rows]
    if lax:
        return _compare_lax(wanted, got)
    if len(wanted) != len(got):
        return f"expected {len(wanted)} rows, got {len(got)}" + _bag_diff(wanted, got)
    if not _rows_match([(0, r) for r in wanted], [(0, r) for r in got]):
        diff = _bag_diff(wanted, got)
        return ("rows differ" + diff) if diff else "rows differ in how their blank nodes are shared"
    if not ordered:
        return None
    usable = keys is not None and set(keys) <= set(expected.variables)
    positions = _order_positions(wanted, keys if usable else None)
    if _rows_match(list(zip(positions, wanted, strict=True)), list(zip(positions, got, strict=True))):
        return None
    return _order_diff(positions, wanted, got)


def check(test: Test, expected: Answer, actual: Answer) -> str | None:
    """:func:`compare` with the test's own settings: order when the query has a top-level
    ORDER BY and the expected document states an order, its ORDER BY keys, REDUCED's laxity."""
    ordered = test.order_by and expected.ordered and not test.lax_cardinality
    return compare(expected, actual, ordered, keys=test.order_keys, lax=test.lax_cardinality)


FrozenRow = frozenset[tuple[str, Term]]


def _canonical_row(row: Mapping[str, Term]) -> FrozenRow:
    """A row as a hashable set of (variable, canonical term)."""
    return frozenset((name, canonical(term)) for name, term in row.items())


def _has_bnode(row: FrozenRow) -> bool:
    return any(isinstance(term, BNode) for _, term in row)


def _shape(row: FrozenRow) -> FrozenRow:
    """A row with every blank node replaced by one placeholder: what must match before any
    bijection of blank nodes is sought."""
    return frozenset((name, _ANY_BNODE if isinstance(term, BNode) else term) for name, term in row)


_ANY_BNODE = BNode("any")
_POSITION = URIRef("urn:x-w3c-suite:position")
_COUNT = URIRef("urn:x-w3c-suite:count")


def _rows_match(wanted: Sequence[tuple[int, FrozenRow]], got: Sequence[tuple[int, FrozenRow]]) -> bool:
    """Whether two bags of (position, row) are equal up to one renaming of blank nodes.

    Rows without blank nodes are counted directly; the others are encoded as a graph (one node
    per distinct row, with its position and count) and compared by graph isomorphism, so the
    renaming holds across all rows at once.
    """
    plain_wanted = Counter(pair for pair in wanted if not _has_bnode(pair[1]))
    plain_got = Counter(pair for pair in got if not _has_bnode(pair[1]))
    if plain_wanted != plain_got:
        return False
    blank_wanted = Counter(pair for pair in wanted if _has_bnode(pair[1]))
    blank_got = Counter(pair for pair in got if _has_bnode(pair[1]))
    if Counter((p, _shape(r)) for p, r in blank_wanted.elements()) != Counter(
        (p, _shape(r)) for p, r in blank_got.elements()
    ):
        return False
    return not blank_wanted or isomorphic(_rows_graph(blank_wanted), _rows_graph(blank_got))


def _rows_graph(rows: Counter[tuple[int, FrozenRow]]) -> Graph:
    """Distinct rows as a graph: a fresh node per row, an edge per binding, its position and count."""
    graph = Graph()
    for (position, row), count in rows.items():
        node = BNode()
        graph.add((node, _POSITION, Literal(position)))
        graph.add((node, _COUNT, Literal(count)))
        for name, term in row:
            graph.add((node, URIRef("urn:x-w3c-suite:var:" + name), term))
    return graph


def _order_positions(rows: Sequence[FrozenRow], keys: Sequence[str] | None) -> list[int]:
    """For each expected row, the index of its run of ties: rows in one run may be permuted.

    Without keys every row is its own run. Blank nodes all tie with each other.
    """
    if not keys:
        return list(range(len(rows)))
    positions: list[int] = []
    previous: tuple[Term | None, ...] | None = None
    for row in rows:
        bound = dict(row)
        key = tuple(_ANY_BNODE if isinstance(bound.get(k), BNode) else bound.get(k) for k in keys)
        positions.append(0 if previous is None else positions[-1] + (key != previous))
        previous = key
    return positions


def _compare_lax(wanted: Sequence[FrozenRow], got: Sequence[FrozenRow]) -> str | None:
    """REDUCED: the same distinct rows (up to blank-node renaming), none more often than expected."""
    if not _rows_match([(0, r) for r in set(wanted)], [(0, r) for r in set(got)]):
        return "distinct rows differ" + _bag_diff(list(set(wanted)), list(set(got)))
    most = Counter(_shape(r) for r in wanted)
    too_many = [s for s, n in Counter(_shape(r) for r in got).items() if n > most[s]]
    if too_many:
        return "rows more often than without REDUCED: " + "; ".join(_show(s) for s in too_many[:3])
    return None


def _order_diff(positions: Sequence[int], wanted: Sequence[FrozenRow], got: Sequence[FrozenRow]) -> str:
    """Where the first run of ties holds other rows than expected."""
    start = 0
    while start < len(wanted):
        end = start
        while end < len(wanted) and positions[end] == positions[start]:
            end += 1
        if Counter(map(_shape, wanted[start:end])) != Counter(map(_shape, got[start:end])):
            where = f"row {start + 1}" if end == start + 1 else f"rows {start + 1}-{end}"
            return f"order differs at {where}: expected {_show(wanted[start])}, got {_show(got[start])}"
        start = end
    return "order differs in how blank nodes are shared between rows"


def _bag_diff(wanted: Sequence[FrozenRow], got: Sequence[FrozenRow], limit: int = 3) -> str:
    """Rows missing and rows unexpected, blank nodes blurred, as a short text ('' when none)."""
    want, have = Counter(map(_shape, wanted)), Counter(map(_shape, got))
    parts = []
    for label, rows in (("missing", want - have), ("unexpected", have - want)):
        if rows:
            shown = [f"{_show(r)}" + (f" ×{n}" if n > 1 else "") for r, n in list(rows.items())[:limit]]
            more = f" (+{sum(rows.values()) - sum(rows[r] for r, _ in list(rows.items())[:limit])} more)"
            parts.append(f"{label}: " + "; ".join(shown) + (more if len(rows) > limit else ""))
    return (": " + " | ".join(parts)) if parts else ""


def _show(row: FrozenRow) -> str:
    """A row as ``{?a=<iri> ?b="x"}``, variables sorted, blank nodes as ``_:…``."""
    cells = [f"?{n}={'_:…' if isinstance(t, BNode) else t.n3()}" for n, t in sorted(row, key=lambda c: c[0])]
    return "{" + " ".join(cells) + "}"


def _vars(names: Iterable[str]) -> str:
    return " ".join(f"?{n}" for n in sorted(names)) or "(none)"


def _canonical_graph(graph: Graph) -> Graph:
    """A copy of a graph with every term in its :func:`canonical` form."""
    copy = Graph()
    for s, p, o in graph:
        copy.add((s, p, canonical(typing.cast(Term, o))))
    return copy


def _compare_graphs(expected: Graph, actual: Graph, limit: int = 3) -> str | None:
    """None for isomorphic graphs (literals by value), else the triples each side alone has."""
    wanted, got = _canonical_graph(expected), _canonical_graph(actual)
    if isomorphic(wanted, got):
        return None
    _, only_wanted, only_got = graph_diff(to_isomorphic(wanted), to_isomorphic(got))
    parts = [f"expected {len(wanted)} triples, got {len(got)}"]
    for label, part in (("missing", only_wanted), ("unexpected", only_got)):
        triples = sorted(" ".join(t.n3() for t in triple) for triple in part)
        if triples:
            parts.append(f"{label}: " + "; ".join(triples[:limit]) + (" …" if len(triples) > limit else ""))
    return ", ".join(parts)
