"""The engine-independent half of the W3C SPARQL test-suite runner (bench/w3c_suite.py), on the
real suite kept beside this checkout in ../shared/w3c/rdf-tests-sparql.

Expected numbers come from reading the manifests and result files (and counting with grep),
not from the module's output. The suite missing fails these tests; it is never skipped.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from conftest import ROOT

SUITE = ROOT.parent / "shared" / "w3c" / "rdf-tests-sparql"
BASE = "https://w3c.github.io/rdf-tests/sparql/"
XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://example/"


def _load_module() -> ModuleType:
    """bench/ is no package: load bench/w3c_suite.py by path, under the name the runner uses."""
    spec = importlib.util.spec_from_file_location("w3c_suite", ROOT / "bench" / "w3c_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["w3c_suite"] = module
    spec.loader.exec_module(module)
    return module


w3c = _load_module()


@pytest.fixture(scope="module")
def tests() -> list:
    return w3c.read_tests(SUITE)


@pytest.fixture(scope="module")
def by_id(tests) -> dict:
    return {t.id: t for t in tests}


@pytest.fixture(scope="module")
def expected(tests) -> dict:
    """Every evaluation test's expected answer, by test id."""
    return {t.id: w3c.expected_answer(t) for t in tests if t.kind == "evaluation"}


def r10(folder: str, name: str) -> str:
    return f"http://www.w3.org/2001/sw/DataAccess/tests/data-r2/{folder}/manifest#{name}"


def r11(folder: str, name: str) -> str:
    return f"http://www.w3.org/2009/sparql/docs/tests/data-sparql11/{folder}/manifest#{name}"


def rows(*pairs: dict) -> list[dict]:
    return list(pairs)


def select(variables: str, *bindings: dict) -> object:
    return w3c.solutions_answer(variables.split(), bindings)


def rename_bnodes(answer):
    """The same answer with every blank node relabelled consistently (one new label per old one)."""
    fresh: dict[BNode, BNode] = {}

    def new(term):
        return fresh.setdefault(term, BNode()) if isinstance(term, BNode) else term

    if answer.kind == "graph":
        graph = Graph()
        for s, p, o in answer.graph:
            graph.add((new(s), p, new(o)))
        return w3c.graph_answer(graph)
    return replace(answer, rows=tuple({k: new(v) for k, v in row.items()} for row in answer.rows))


# ---------------------------------------------------------------------------------------------
# Reading the manifests


def test_the_suite_is_there():
    """Missing reference material fails the tests; it is never skipped."""
    for name in ("sparql10/manifest.ttl", "sparql11/manifest.ttl", "sparql11/manifest-sparql11-query.ttl"):
        assert (SUITE / name).is_file(), f"W3C SPARQL test suite not found at {SUITE}"


def test_counts_per_suite_and_kind(tests):
    # grep of the reached manifests: sparql10 defines 284 QueryEvaluationTests of which one
    # (optional-filter-005-simplified) is commented out of mf:entries; 149 PositiveSyntaxTest and
    # 50 NegativeSyntaxTest. sparql11's query and result-format folders: 232 QueryEvaluationTest
    # + 3 CSVResultFormatTest, and 63 + 48 syntax tests (syntax-fed's 3 are not reached).
    counts = Counter((t.folder.split("/")[0], t.kind) for t in tests)
    assert counts == {
        ("sparql10", "evaluation"): 283,
        ("sparql10", "positive-syntax"): 149,
        ("sparql10", "negative-syntax"): 50,
        ("sparql11", "evaluation"): 235,
        ("sparql11", "positive-syntax"): 63,
        ("sparql11", "negative-syntax"): 48,
    }
    assert len({t.id for t in tests}) == len(tests)


@pytest.mark.parametrize(
    ("folder", "kinds"),
    [
        ("sparql11/aggregates", {"evaluation": 42, "negative-syntax": 5}),  # agg08 to agg12 are syntax
        ("sparql11/syntax-query", {"positive-syntax": 63, "negative-syntax": 31}),
        ("sparql11/csv-tsv-res", {"evaluation": 6}),
        ("sparql11/json-res", {"evaluation": 4}),
        ("sparql10/dataset", {"evaluation": 12}),
        ("sparql10/sort", {"evaluation": 14}),  # sort-11 lives in extended-manifest.ttl, not reached
        ("sparql10/syntax-sparql1", {"positive-syntax": 81}),
        ("sparql10/construct", {"evaluation": 5}),  # a manifest whose subject is a blank node
        ("sparql10/optional-filter", {"evaluation": 5}),  # six described, one commented out of mf:entries
    ],
)
def test_counts_of_some_folders(tests, folder, kinds):
    assert Counter(t.kind for t in tests if t.folder == folder) == kinds


def test_only_query_tests_are_read(tests):
    folders = {t.folder for t in tests}
    for left_out in ("sparql11/add", "sparql11/basic-update", "sparql11/entailment", "sparql11/service"):
        assert left_out not in folders
    assert {t.query.suffix for t in tests if t.folder == "sparql11/delete-insert"} == {".ru"}
    assert {t.type for t in tests} == {
        "QueryEvaluationTest",
        "CSVResultFormatTest",
        "PositiveSyntaxTest",
        "NegativeSyntaxTest",
        "PositiveSyntaxTest11",
        "NegativeSyntaxTest11",
    }
    assert r10("optional-filter", "dawg-optional-filter-005-simplified") not in {t.id for t in tests}


def test_every_referenced_file_exists(tests):
    missing = []
    for t in tests:
        files = [t.query, *t.data, *(p for _, p in t.graph_data), *(p for _, p in t.query_graphs)]
        files += [t.result] if t.result else []
        missing += [f"{t.id}: {f}" for f in files if not f.is_file()]
    assert not missing
    assert all(t.result is not None for t in tests if t.kind == "evaluation")
    assert all(t.result is None and not t.data for t in tests if t.kind != "evaluation")


def test_an_evaluation_test(by_id):
    t = by_id[r11("aggregates", "agg02")]
    assert (t.name, t.kind, t.folder, t.approval) == ("COUNT 2", "evaluation", "sparql11/aggregates", "Approved")
    folder = SUITE / "sparql11" / "aggregates"
    assert (t.query, t.data, t.result) == (folder / "agg02.rq", (folder / "agg01.ttl",), folder / "agg02.srx")
    assert t.query_iri == BASE + "sparql11/aggregates/agg02.rq"
    assert t.data_iris == (BASE + "sparql11/aggregates/agg01.ttl",)
    assert t.result_iri == BASE + "sparql11/aggregates/agg02.srx"
    assert (t.graph_data, t.query_graphs, t.order_by, t.lax_cardinality) == ((), (), False, False)


def test_syntax_tests(by_id):
    t = by_id[r11("aggregates", "agg08")]
    assert (t.kind, t.type, t.query.name, t.result) == ("negative-syntax", "NegativeSyntaxTest11", "agg08.rq", None)
    t = by_id[r10("syntax-sparql1", "syntax-basic-01")]
    assert (t.kind, t.type, t.query.name) == ("positive-syntax", "PositiveSyntaxTest", "syntax-basic-01.rq")


def test_named_graphs_are_named_by_their_files(by_id):
    t = by_id[r11("aggregates", "agg-empty-group-count-graph")]
    folder = SUITE / "sparql11" / "aggregates"
    assert sorted(t.graph_data) == [
        (BASE + "sparql11/aggregates/pair.ttl", folder / "pair.ttl"),
        (BASE + "sparql11/aggregates/singleton.ttl", folder / "singleton.ttl"),
    ]
    assert t.data == (folder / "empty.ttl",)


def test_from_and_from_named_point_at_suite_files(by_id):
    t = by_id[r10("dataset", "dawg-dataset-12b")]
    folder = SUITE / "sparql10" / "dataset"
    names = ["data-g1-dup.ttl", "data-g2-dup.ttl", "data-g3-dup.ttl", "data-g4-dup.ttl"]
    names += ["data-g1.ttl", "data-g2.ttl", "data-g3.ttl", "data-g4.ttl"]
    assert t.query_graphs == tuple((BASE + "sparql10/dataset/" + n, folder / n) for n in names)
    assert (t.data, t.graph_data, t.unknown_query_graphs) == ((), (), ())
    # dataset-11 names data-g1.ttl both FROM and FROM NAMED: one graph to load
    assert [iri for iri, _ in by_id[r10("dataset", "dawg-dataset-11")].query_graphs].count(
        BASE + "sparql10/dataset/data-g1.ttl"
    ) == 1
    # CONSTRUCT WHERE with FROM, in sparql11
    assert by_id[r11("construct", "constructwhere04")].query_graphs == (
        (BASE + "sparql11/construct/data.ttl", SUITE / "sparql11" / "construct" / "data.ttl"),
    )


def test_order_by(by_id):
    sort5 = by_id[r10("sort", "dawg-sort-5")]  # ORDER BY ?name DESC(?emp)
    assert (sort5.order_by, sort5.order_keys) == (True, ("name", "emp"))
    numbers = by_id[r10("sort", "dawg-sort-numbers")]  # ORDER BY (?o1 + ?o2)
    assert (numbers.order_by, numbers.order_keys) == (True, None)
    sq11 = by_id[r11("subquery", "subquery11")]  # ORDER BY in the subquery and outside it
    assert (sq11.order_by, sq11.order_keys) == (True, ("L",))
    sq14 = by_id[r11("subquery", "subquery14")]  # a CONSTRUCT whose only ORDER BY is in a subquery
    assert (sq14.order_by, sq14.order_keys) == (False, None)
    agg02 = by_id[r11("aggregates", "agg02")]
    assert (agg02.order_by, agg02.order_keys) == (False, None)


def test_a_query_rdflib_cannot_parse_is_searched_as_text(tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("SELECT * FROM <data.ttl> FROM NAMED <http://x/g> { ?s ?p ?o } ORDER BY ?s NOT-SPARQL(")
    assert w3c._query_shape(query, BASE + "sparql10/x/q.rq") == (
        True,
        None,
        (BASE + "sparql10/x/data.ttl", "http://x/g"),
    )


def test_manifest_annotations(by_id):
    assert by_id[r10("reduced", "reduced-1")].lax_cardinality
    assert by_id[r10("reduced", "reduced-2")].lax_cardinality
    assert by_id[r10("open-world", "date-1")].requires == ("XsdDateOperations",)
    assert by_id[r10("open-world", "open-eq-07")].requires == ("LangTagAwareness", "StringSimpleLiteralCmp")
    assert by_id[r11("cast", "cast-bool")].approval == "Proposed"
    assert by_id[r11("aggregates", "agg-empty-group-max-1")].approval is None


def test_only_update_requests_typed_as_query_syntax_tests_are_skipped(tests):
    # sparql11/delete-insert: eight .ru actions typed mf:NegativeSyntaxTest11
    names = ["03", "03b", "05", "06", "07", "07b", "08", "09"]
    skipped = {t.id: w3c.skip_reason(t) for t in tests if w3c.skip_reason(t)}
    assert sorted(skipped) == sorted(r11("delete-insert", f"dawg-delete-insert-{n}") for n in names)
    assert all("update request" in reason for reason in skipped.values())


def test_skip_reasons(by_id):
    t = by_id[r11("aggregates", "agg01")]
    assert w3c.skip_reason(t) is None
    assert "Withdrawn" in w3c.skip_reason(replace(t, approval="Withdrawn"))
    assert w3c.skip_reason(replace(t, approval="NotClassified")) is None
    assert "serviceData" in w3c.skip_reason(replace(t, service_data=(("http://example.org/sparql", t.data[0]),)))
    assert "entailment" in w3c.skip_reason(replace(t, entailment="http://www.w3.org/ns/entailment/RDFS"))
    assert "http://elsewhere/g" in w3c.skip_reason(replace(t, unknown_query_graphs=("http://elsewhere/g",)))
    assert "result" in w3c.skip_reason(replace(t, result=None))


def test_query_text_carries_the_base(by_id):
    t = by_id[r10("dataset", "dawg-dataset-01")]
    text = w3c.query_text(t)
    assert text.startswith(f"BASE <{BASE}sparql10/dataset/dataset-01.rq>\n")
    assert "FROM <data-g1.ttl>" in text


def test_file_iris_round_trip():
    path = SUITE / "sparql10" / "dataset" / "data-g1.ttl"
    assert w3c.file_iri(path, SUITE) == BASE + "sparql10/dataset/data-g1.ttl"
    assert w3c.file_of(BASE + "sparql10/dataset/data-g1.ttl", SUITE) == path
    assert w3c.file_of("http://example.org/data.ttl", SUITE) is None
    other = SUITE.as_uri() + "/"
    assert w3c.file_iri(path, SUITE, other) == path.as_uri()


# ---------------------------------------------------------------------------------------------
# Expected results


def _kind_by_text(path: Path) -> str:
    """An answer's kind told from the file's text alone, to check the parsers against."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".srx":
        return "boolean" if "<boolean>" in text else "solutions"
    if path.suffix == ".srj":
        return "boolean" if '"boolean"' in text else "solutions"
    if path.suffix in (".csv", ".tsv"):
        return "solutions"
    if "ResultSet" not in text:
        return "graph"
    return "boolean" if ("rs:boolean" in text or "result-set#boolean" in text) else "solutions"


def test_every_expected_result_parses(tests, expected):
    evaluation = [t for t in tests if t.kind == "evaluation"]
    assert len(expected) == len(evaluation) == 518
    for t in evaluation:
        assert expected[t.id].kind == _kind_by_text(t.result), t.id
    # grep of mf:result in the reached manifests (less optional-filter's commented-out test)
    assert Counter(t.result.suffix for t in evaluation) == {
        ".srx": 340,
        ".ttl": 156,
        ".rdf": 10,
        ".srj": 6,
        ".csv": 3,
        ".tsv": 3,
    }


def test_agg02_srx(expected):
    answer = expected[r11("aggregates", "agg02")]
    assert (answer.kind, answer.variables, answer.ordered, answer.csv) == ("solutions", ("P", "C"), True, False)
    integer = URIRef(XSD + "integer")
    assert list(answer.rows) == [
        {"P": URIRef("http://www.example.org/p1"), "C": Literal("3", datatype=integer)},
        {"P": URIRef("http://www.example.org/p2"), "C": Literal("2", datatype=integer)},
    ]


def test_result_set_with_index(expected):
    answer = expected[r10("sort", "dawg-sort-1")]  # result-sort-1.rdf, rs:index 1 to 4
    assert answer.ordered
    assert answer.variables == ("name",)
    assert [str(r["name"]) for r in answer.rows] == ["Alice", "Bob", "Eve", "Fred"]


def test_result_set_without_index_is_unordered(expected):
    answer = expected[r10("dataset", "dawg-dataset-01")]  # dataset-01.ttl
    assert (answer.kind, answer.ordered, set(answer.variables)) == ("solutions", False, {"s", "p", "o"})
    integer = URIRef(XSD + "integer")
    assert sorted(answer.rows, key=lambda r: str(r["s"])) == [
        {"s": URIRef(EX + "a"), "p": URIRef(EX + "p"), "o": Literal("9", datatype=integer)},
        {"s": URIRef(EX + "x"), "p": URIRef(EX + "p"), "o": Literal("1", datatype=integer)},
    ]


def test_relative_iris_in_results_name_the_graphs(by_id, expected):
    # bindings/graph.ttl binds ?g to <data01.ttl> and <data02.ttl>, the test's qt:graphData
    t = by_id[r11("bindings", "graph")]
    answer = expected[t.id]
    graphs = {iri for iri, _ in t.graph_data}
    assert graphs == {BASE + "sparql11/bindings/data01.ttl", BASE + "sparql11/bindings/data02.ttl"}
    assert sorted((str(r["g"]), str(r["t"])) for r in answer.rows) == [
        (BASE + "sparql11/bindings/data01.ttl", "bar"),
        (BASE + "sparql11/bindings/data01.ttl", "foo"),
        (BASE + "sparql11/bindings/data02.ttl", "foo"),
    ]


def test_booleans(expected):
    assert expected[r11("json-res", "jsonres03")] == w3c.boolean_answer(True)
    assert expected[r11("json-res", "jsonres04")] == w3c.boolean_answer(False)


def test_construct_expectation_is_a_graph(expected):
    answer = expected[r10("construct", "construct-3")]  # result-reif.ttl: 8 reified triples
    assert answer.kind == "graph"
    assert len(answer.graph) == 8 * 3


def test_rs_result_set_and_srx_of_sibling_tests_agree(expected):
    # isLiteral-1 (result-isliteral-1.ttl, rs:ResultSet) and datatype-2 (result-datatype-2.srx)
    # both run over data-builtin-2.ttl and return ?x = x1 … x5, in another order.
    rs_answer = expected[r10("expr-builtin", "dawg-isLiteral-1")]
    srx_answer = expected[r10("expr-builtin", "dawg-datatype-2")]
    assert {str(r["x"]) for r in rs_answer.rows} == {f"{EX}x{i}" for i in range(1, 6)}
    assert w3c.compare(rs_answer, srx_answer) is None
    assert w3c.compare(srx_answer, rs_answer) is None


# A small result in every format the suite uses, written by hand: a shared blank node, a
# language tag, a typed literal, a bare number in TSV and an unbound variable.
SMALL_TTL = """
@prefix rs: <http://www.w3.org/2001/sw/DataAccess/tests/result-set#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a rs:ResultSet ; rs:resultVariable "s", "o" ;
   rs:solution [ rs:index 1 ; rs:binding [ rs:variable "s" ; rs:value _:b ] ,
                                         [ rs:variable "o" ; rs:value "chat"@FR ] ] ;
   rs:solution [ rs:index 2 ; rs:binding [ rs:variable "s" ; rs:value _:b ] ,
                                         [ rs:variable "o" ; rs:value "1.50"^^xsd:decimal ] ] ;
   rs:solution [ rs:index 3 ; rs:binding [ rs:variable "s" ; rs:value <http://example/c> ] ] .
"""
SMALL_SRX = """<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#">
  <head><variable name="s"/><variable name="o"/></head>
  <results>
    <result><binding name="s"><bnode>x</bnode></binding>
            <binding name="o"><literal xml:lang="fr">chat</literal></binding></result>
    <result><binding name="s"><bnode>x</bnode></binding>
            <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#decimal">1.5</literal></binding></result>
    <result><binding name="s"><uri>http://example/c</uri></binding></result>
  </results>
</sparql>"""
SMALL_SRJ = """{"head": {"vars": ["s", "o"]}, "results": {"bindings": [
  {"s": {"type": "bnode", "value": "q"}, "o": {"type": "literal", "value": "chat", "xml:lang": "fr"}},
  {"s": {"type": "bnode", "value": "q"},
   "o": {"type": "literal", "value": "1.5", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"}},
  {"s": {"type": "uri", "value": "http://example/c"}}]}}"""
SMALL_TSV = '?s\t?o\n_:z\t"chat"@fr\n_:z\t1.5\n<http://example/c>\t\n'
SMALL_CSV = "s,o\r\n_:z,chat\r\n_:z,1.5\r\nhttp://example/c,\r\n"


def test_one_result_in_every_format(tmp_path):
    (tmp_path / "small.ttl").write_text(SMALL_TTL, encoding="utf-8")
    from_ttl = w3c.parse_expected(tmp_path / "small.ttl")
    assert from_ttl.ordered and set(from_ttl.variables) == {"s", "o"}
    assert from_ttl.rows[2] == {"s": URIRef(EX + "c")}
    for media_type, body in [
        ("application/sparql-results+xml", SMALL_SRX),
        ("application/sparql-results+json; charset=utf-8", SMALL_SRJ),
        ("text/tab-separated-values", SMALL_TSV),
    ]:
        answer = w3c.parse_answer(media_type, body.encode())
        assert answer.variables == ("s", "o") and len(answer.rows) == 3, media_type
        assert w3c.compare(from_ttl, answer, ordered=True) is None, media_type
        assert w3c.compare(answer, from_ttl, ordered=True) is None, media_type
    from_csv = w3c.parse_answer("text/csv", SMALL_CSV.encode())
    assert from_csv.csv and from_csv.rows[0] == {"s": BNode("z"), "o": Literal("chat")}
    # CSV keeps only text: "1.50" and "1.5" are two different texts
    assert "1.50" in w3c.compare(from_ttl, from_csv)
    assert w3c.compare(w3c.parse_answer("application/sparql-results+xml", SMALL_SRX.encode()), from_csv) is None


def test_endpoint_graphs_and_booleans():
    turtle = b"@prefix : <http://example/> . :a :p [ :q 1 ] ."
    ntriples = b"<http://example/a> <http://example/p> _:n .\n" + (
        b'_:n <http://example/q> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    )
    rdfxml = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://example/">
      <rdf:Description rdf:about="http://example/a"><e:p rdf:parseType="Resource">
        <e:q rdf:datatype="http://www.w3.org/2001/XMLSchema#integer">01</e:q></e:p></rdf:Description></rdf:RDF>"""
    graphs = [
        w3c.parse_answer("text/turtle", turtle),
        w3c.parse_answer("application/n-triples", ntriples),
        w3c.parse_answer("application/rdf+xml", rdfxml),
    ]
    assert all(g.kind == "graph" and len(g.graph) == 2 for g in graphs)
    assert w3c.compare(graphs[0], graphs[1]) is None
    assert w3c.compare(graphs[0], graphs[2]) is None  # "01" and 1 are one integer
    assert w3c.parse_answer("application/sparql-results+json", b'{"head":{},"boolean":true}').boolean is True
    assert w3c.parse_answer("application/sparql-results+xml", SRX_FALSE).boolean is False
    with pytest.raises(ValueError):
        w3c.parse_answer("text/html", b"<p>no</p>")


SRX_FALSE = b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>false</boolean></sparql>'


# ---------------------------------------------------------------------------------------------
# Comparing


def test_every_expected_result_equals_itself(tests, expected):
    rng = random.Random(12345)
    for t in tests:
        if t.kind != "evaluation":
            continue
        answer = expected[t.id]
        assert w3c.check(t, answer, answer) is None, t.id
        assert w3c.check(t, answer, rename_bnodes(answer)) is None, t.id
        if answer.kind == "solutions" and not (t.order_by and answer.ordered):
            shuffled = list(answer.rows)
            rng.shuffle(shuffled)
            assert w3c.check(t, answer, replace(answer, rows=tuple(shuffled))) is None, t.id


def test_a_changed_literal_is_found(expected):
    answer = expected[r11("aggregates", "agg02")]  # ?P p1 ?C 3, ?P p2 ?C 2

    def with_count(count: Literal):
        return replace(answer, rows=({**answer.rows[0], "C": count}, *answer.rows[1:]))

    integer, decimal = URIRef(XSD + "integer"), URIRef(XSD + "decimal")
    message = w3c.compare(answer, with_count(Literal("4", datatype=integer)))
    assert message is not None and '"3"' in message and '"4"' in message
    # other datatype, same digits: not the same literal
    assert w3c.compare(answer, with_count(Literal("3", datatype=decimal))) is not None
    # same value written otherwise: the same literal
    assert w3c.compare(answer, with_count(Literal("03", datatype=integer, normalize=False))) is None


def test_a_missing_row_is_found(expected):
    answer = expected[r11("aggregates", "agg02")]
    message = w3c.compare(answer, replace(answer, rows=answer.rows[:1]))
    assert message is not None and "expected 2 rows, got 1" in message and "p2" in message


def test_rows_are_a_bag(expected):
    answer = expected[r10("reduced", "reduced-1")]  # x1 "abc" twice, x2 "abc" once
    assert Counter(str(r["s"]) for r in answer.rows) == {EX + "x1": 2, EX + "x2": 1}
    once_each = replace(answer, rows=answer.rows[1:])
    twice_x2 = replace(answer, rows=(answer.rows[0], answer.rows[2], answer.rows[2]))
    assert w3c.compare(answer, once_each) is not None
    assert w3c.compare(answer, twice_x2) is not None
    assert w3c.compare(answer, replace(answer, rows=answer.rows + answer.rows[:1])) is not None


def test_reduced_is_lax(by_id, expected):
    t = by_id[r10("reduced", "reduced-1")]
    answer = expected[t.id]
    once_each = replace(answer, rows=answer.rows[1:])
    assert w3c.check(t, answer, once_each) is None
    assert w3c.check(t, answer, answer) is None
    three_x1 = replace(answer, rows=answer.rows + answer.rows[:1])
    assert "more often" in w3c.check(t, answer, three_x1)
    assert w3c.check(t, answer, replace(answer, rows=answer.rows[:2])) is not None  # no x2


def test_order_counts_under_order_by(by_id, expected):
    t = by_id[r10("sort", "dawg-sort-1")]  # ORDER BY ?name: Alice, Bob, Eve, Fred
    answer = expected[t.id]
    reversed_rows = replace(answer, rows=answer.rows[::-1])
    message = w3c.check(t, answer, reversed_rows)
    assert message is not None and "order differs at row 1" in message
    assert w3c.compare(answer, reversed_rows, ordered=False) is None
    # the same rows without ORDER BY: any order
    assert w3c.check(replace(t, order_by=False, order_keys=None), answer, reversed_rows) is None


def test_order_of_srx_results_counts_under_order_by(by_id, expected):
    t = by_id[r11("negation", "full-minuend")]  # order by ?a: a0 then a3
    answer = expected[t.id]
    assert w3c.check(t, answer, replace(answer, rows=answer.rows[::-1])) is not None
    agg02 = by_id[r11("aggregates", "agg02")]  # no ORDER BY
    assert w3c.check(agg02, expected[agg02.id], replace(expected[agg02.id], rows=expected[agg02.id].rows[::-1])) is None


def test_ties_may_come_in_any_order():
    a, b, c = (URIRef(EX + n) for n in "abc")
    one, two = Literal(1), Literal(2)
    wanted = select("k v", {"k": one, "v": a}, {"k": one, "v": b}, {"k": two, "v": c})
    swapped_tie = select("k v", {"k": one, "v": b}, {"k": one, "v": a}, {"k": two, "v": c})
    wrong = select("k v", {"k": two, "v": c}, {"k": one, "v": a}, {"k": one, "v": b})
    assert w3c.compare(wanted, swapped_tie, ordered=True, keys=["k"]) is None
    assert w3c.compare(wanted, swapped_tie, ordered=True) is not None  # without keys: row by row
    assert w3c.compare(wanted, swapped_tie, ordered=True, keys=["k", "v"]) is not None
    assert "order differs at rows 1-2" in w3c.compare(wanted, wrong, ordered=True, keys=["k"])
    # blank nodes tie with each other: SPARQL leaves their relative order to the engine
    x, y = BNode(), BNode()
    wanted = select("k v", {"k": x, "v": a}, {"k": y, "v": b})
    assert w3c.compare(wanted, select("k v", {"k": y, "v": b}, {"k": x, "v": a}), ordered=True, keys=["k"]) is None
    # a key that is not projected: row by row
    assert w3c.compare(wanted, select("k v", {"k": y, "v": b}, {"k": x, "v": a}), ordered=True, keys=["z"]) is not None


def test_blank_nodes_match_across_the_whole_result(expected):
    answer = expected[r10("bnode-coreference", "dawg-bnode-coref-001")]  # A knows B, B knows A, C knows D
    assert len(answer.rows) == 3
    assert w3c.compare(answer, rename_bnodes(answer)) is None
    # each row renamed on its own: right row by row, wrong as a whole
    per_row = replace(answer, rows=tuple(rename_bnodes(replace(answer, rows=(r,))).rows[0] for r in answer.rows))
    assert w3c.compare(answer, per_row) == "rows differ in how their blank nodes are shared"
    # a blank node in place of an IRI is no match
    p, q = BNode(), BNode()
    assert w3c.compare(select("x", {"x": p}), select("x", {"x": URIRef(EX + "p")})) is not None
    assert w3c.compare(select("x y", {"x": p, "y": q}), select("x y", {"x": q, "y": q})) is not None


def test_literal_rules():
    def same(one: Literal, other: Literal) -> bool:
        return w3c.compare(select("v", {"v": one}), select("v", {"v": other})) is None

    integer, decimal, double = (URIRef(XSD + n) for n in ("integer", "decimal", "double"))
    assert same(Literal("01", datatype=integer, normalize=False), Literal("1", datatype=integer))
    assert not same(Literal("1", datatype=integer), Literal("1", datatype=decimal))
    assert same(Literal("1.50", datatype=decimal, normalize=False), Literal("1.5", datatype=decimal))
    assert same(
        Literal("1.0e6", datatype=double, normalize=False), Literal("1000000.0", datatype=double, normalize=False)
    )
    assert same(Literal("x", lang="EN"), Literal("x", lang="en"))
    assert not same(Literal("x", lang="en"), Literal("x"))
    assert same(Literal("x", datatype=URIRef(XSD + "string")), Literal("x"))
    assert same(Literal("true", datatype=URIRef(XSD + "boolean")), Literal("1", datatype=URIRef(XSD + "boolean")))
    date = URIRef(XSD + "date")
    # (rdflib would drop the "Z" of a date it normalises)
    assert same(
        Literal("2006-08-23+00:00", datatype=date, normalize=False),
        Literal("2006-08-23Z", datatype=date, normalize=False),
    )
    assert not same(
        Literal("2006-08-23", datatype=date, normalize=False), Literal("2006-08-23Z", datatype=date, normalize=False)
    )
    assert not same(Literal("xyz", datatype=integer), Literal("XYZ", datatype=integer))  # ill-formed: by text


def test_variables_must_match():
    a = URIRef(EX + "a")
    assert "variables differ" in w3c.compare(select("x y", {"x": a}), select("x", {"x": a}))
    assert w3c.compare(select("x y", {"x": a}), select("y x", {"x": a})) is None


def test_kinds_and_booleans_must_match(expected):
    assert w3c.compare(w3c.boolean_answer(True), w3c.boolean_answer(False)) == "expected True, got False"
    assert "graph" in w3c.compare(expected[r10("construct", "construct-3")], w3c.boolean_answer(True))


def test_graphs(expected):
    answer = expected[r10("construct", "construct-3")]
    assert w3c.compare(answer, rename_bnodes(answer)) is None
    smaller = Graph()
    for triple in list(answer.graph)[1:]:
        smaller.add(triple)
    message = w3c.compare(answer, w3c.graph_answer(smaller))
    assert message is not None and "expected 24 triples, got 23" in message and "missing" in message


def test_csv_expectations_compare_text(by_id, expected):
    t = by_id[r11("csv-tsv-res", "csv03")]  # 1.0E6 in the CSV, "1.0E6"^^xsd:double in the data
    answer = expected[t.id]
    assert answer.csv and answer.variables == ("s", "p", "o")
    assert answer.rows[3]["o"] == Literal("4,4")
    double = URIRef(XSD + "double")
    full = [
        {"s": URIRef(str(r["s"])), "p": URIRef(str(r["p"])), "o": r["o"]} for r in answer.rows
    ]  # the IRIs back as IRIs; literals stay text
    as_json = w3c.solutions_answer(["s", "p", "o"], full)
    assert w3c.check(t, answer, as_json) is None
    full[5] = {**full[5], "o": Literal("1000000", datatype=double, normalize=False)}
    assert w3c.check(t, answer, w3c.solutions_answer(["s", "p", "o"], full)) is not None
    # TSV keeps terms: 1.0e6 there is the double 1.0E6
    tsv = expected[r11("csv-tsv-res", "tsv03")]
    assert tsv.rows[5]["o"] == Literal("1.0e6", datatype=double, normalize=False)
    assert (
        w3c.compare(
            select("o", {"o": tsv.rows[5]["o"]}), select("o", {"o": Literal("1.0E6", datatype=double, normalize=False)})
        )
        is None
    )


def test_accept_for(by_id, expected):
    for name, media_type in [
        (r11("csv-tsv-res", "csv01"), "text/csv"),
        (r11("csv-tsv-res", "tsv01"), "text/tab-separated-values"),
        (r11("json-res", "jsonres01"), "application/sparql-results+json"),
        (r11("aggregates", "agg02"), "application/sparql-results+xml"),
        (r10("construct", "construct-3"), "application/n-triples"),
        (r10("sort", "dawg-sort-1"), "application/sparql-results+json"),
    ]:
        assert w3c.accept_for(by_id[name], expected[name]) == media_type, name


# ---------------------------------------------------------------------------------------------
# End to end, with Oxigraph in this process standing in for an endpoint


_RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "text/csv": ox.QueryResultsFormat.CSV,
}


@pytest.mark.parametrize(
    "test_id",
    [
        r10("dataset", "dawg-dataset-12b"),  # FROM and FROM NAMED on suite files
        r10("graph", "dawg-graph-06"),  # qt:graphData
        r10("sort", "dawg-sort-3"),  # order, unbound key first
        r10("bnode-coreference", "dawg-bnode-coref-001"),
        r10("construct", "construct-3"),  # a graph with blank nodes
        r10("ask", "ask-1"),
        r10("reduced", "reduced-1"),
        r11("csv-tsv-res", "csv01"),
        r11("csv-tsv-res", "tsv02"),
        r11("json-res", "jsonres02"),
        r11("property-path", "pp14"),
    ],
)
def test_oxigraph_passes(by_id, expected, test_id):
    t = by_id[test_id]
    store = ox.Store()
    for path, iri in zip(t.data, t.data_iris, strict=True):
        store.load(path=path, base_iri=iri)
    for graph, path in t.graph_data + t.query_graphs:
        store.load(path=path, base_iri=w3c.file_iri(path, SUITE), to_graph=ox.NamedNode(graph))
    accept = w3c.accept_for(t, expected[t.id])
    result = store.query(w3c.query_text(t))
    if isinstance(result, ox.QueryTriples):
        body = result.serialize(format=ox.RdfFormat.N_TRIPLES)
    else:
        body = result.serialize(format=_RESULTS_FORMATS[accept])
    assert w3c.check(t, expected[t.id], w3c.parse_answer(accept, body)) is None
