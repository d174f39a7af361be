"""Engines checked against each other (bench/differential.py): a few hundred derandomised queries
from ``sparql_strategies`` through `hotline-kg serve` over the embedded store, the Oxigraph
server and Virtuoso, all loaded with the build. No engine may answer 200 with an answer other
than the embedded store's, unless the difference is known and says why; none may fail (5xx).
An engine may refuse (4xx) what another answers: that is a refusal, named, not a wrong answer.
``make fuzz`` runs tens of thousands (bench/results/differential.md)."""

from __future__ import annotations

import sys

import pytest
from rdflib import Literal

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import differential
import w3c_suite as suite

pytestmark = pytest.mark.engine

#: Queries run in make test (the same ones every run: the seed is fixed).
QUERIES = 300


@pytest.fixture(scope="module")
def urls(built, tmp_path_factory):
    _, dist = built
    with differential.endpoints(dist, tmp_path_factory.mktemp("differential")) as running:
        yield running


def test_the_engines_give_the_same_answers(urls):
    tally = differential.Tally()
    differential.compare_all(differential.generated(QUERIES, 0), urls, tally)
    assert tally.queries == QUERIES
    # the run compares answers, not only statuses: most queries are valid and answered everywhere
    assert tally.statuses["memory 200"] > QUERIES / 3
    assert tally.compared["full"] > QUERIES / 10
    wrong = [d for d in tally.differences if d.kind == "failed" or (d.kind == "wrong" and not differential.known(d))]
    assert not wrong, "\n\n".join(f"{d.engine} {d.kind}: {d.detail}\n{d.query}" for d in wrong[:5])


HAND_MADE = [
    # the classes the issue names, over the project's own graph, each answered alike everywhere
    "ASK { GRAPH <urn:nothing> { ?s ?p ?o } }",
    "SELECT (SUM(?v) AS ?s) (AVG(?v) AS ?a) { ?x <urn:nothing> ?v }",
    "SELECT (1/3 AS ?third) (COUNT(*)/7 AS ?c) { ?s a <http://purl.org/linked-data/cube#Observation> }",
    "SELECT ((1 IN (1, 2)) AS ?in) ((1 NOT IN (1)) AS ?out) (sameTerm(1, 1) AS ?same) {}",
    'SELECT (LANG("a") AS ?l) (LANG("b"@zh) AS ?z) {}',
    "SELECT ?s ?d { ?s <http://www.w3.org/2006/time#hasXSDDuration> ?d }",
    "SELECT ?c ?r { ?c <http://purl.org/linked-data/cube#componentRequired> ?r }",
    'CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isLiteral(?o) && LANG(?o) = "") }',
    'SELECT (DATATYPE("a"@en) AS ?d) (DATATYPE("a") AS ?s) {}',
    # a path of zero length from a term the graph does not hold (W3C zero_or_more_set_start)
    "SELECT ?v { <urn:nothing> <urn:p>* ?v }",
    "SELECT ?n { ?n (a)* <urn:nothing> }",
    "ASK { <urn:nothing> (<urn:p>/<urn:q>)? <urn:nothing> }",
    # found by the 20 000-query run: Virtuoso dropped this LIMIT
    "SELECT * { <urn:x> (^<urn:p>)* ?o . BIND ((?s = ?o) AS ?d) } ORDER BY (?s) LIMIT 0",
]


@pytest.mark.parametrize("query", HAND_MADE)
def test_hand_made_queries_answer_alike(urls, query):
    tally = differential.Tally()
    differential.compare_all([query], urls, tally)
    assert tally.statuses["memory 200"] == 1
    assert differential.decided(query) != "status"  # compared in full, or by its rows under a LIMIT
    assert not tally.differences, "\n".join(f"{d.engine} {d.kind}: {d.detail}" for d in tally.differences)


def test_alternative_paths_differ_as_known(urls):
    """Over (^p|q), Oxigraph counts a pair joined by both once, Virtuoso twice (SPARQL's Union):
    a known difference, with its reason; and the only one of that query."""
    skos = "http://www.w3.org/2004/02/skos/core#"
    query = f"SELECT (COUNT(*) AS ?n) {{ ?s (^<{skos}broader>|<{skos}narrower>) ?o }}"
    tally = differential.Tally()
    differential.compare_all([query], urls, tally)
    assert [(d.engine, d.kind) for d in tally.differences] == [("virtuoso", "wrong")]
    assert "Union" in (differential.known(tally.differences[0]) or "")


def test_an_engine_that_ends_is_started_anew(urls):
    """An endpoint found ended after a batch is started anew before the next, and the run says so;
    its answers cut short are counted as not compared, not as differences."""

    class Ending:
        def __init__(self, url: str) -> None:
            self.url, self.restarts, self.checks = url, 0, 0

        def alive(self) -> bool:
            self.checks += 1
            return self.checks != 1  # ended during the first batch only

        def restart(self) -> None:
            self.restarts += 1

    ending = Ending(urls["oxigraph"].url)
    tally = differential.Tally()
    queries = ["ASK {}", "SELECT * {}", "ASK { ?s ?p ?o }", "SELECT (1 AS ?x) {}"]
    differential.compare_all(queries, {"memory": urls["memory"], "oxigraph": ending}, tally, batch=2)
    assert ending.restarts == 1 and ending.checks == 2
    assert tally.ended == {"oxigraph": ["(none unanswered)"]} and tally.queries == 4 and not tally.differences
    assert "oxigraph ended 1× and was started anew" in differential.report(tally, 1, 0)


def test_the_comparison_finds_a_wrong_answer():
    """The comparer itself: a different value, a missing row and a wrong datatype are differences;
    the allowances (derived integer types, 14 significant digits) are not."""
    xsd = "http://www.w3.org/2001/XMLSchema#"

    def reply(*values: Literal) -> differential.Reply:
        return differential.Reply(200, suite.solutions_answer(["v"], [{"v": v} for v in values]))

    third = Literal("0.333333333333333333", datatype=xsd + "decimal")
    query = "SELECT ?v {}"
    assert (
        differential.differ(query, reply(third), reply(Literal("0.333333333333333", datatype=xsd + "decimal")), "x")
        is None
    )
    assert (
        differential.differ(
            query,
            reply(Literal(7, datatype=xsd + "integer")),
            reply(Literal("7", datatype=xsd + "positiveInteger")),
            "x",
        )
        is None
    )
    for other in (Literal("0", datatype=xsd + "integer"), Literal("0.34", datatype=xsd + "decimal")):
        found = differential.differ(query, reply(third), reply(other), "x")
        assert found is not None and found.kind == "wrong"
    found = differential.differ(query, reply(third, third), reply(third), "x")
    assert found is not None and found.kind == "wrong"
    refused = differential.differ(query, reply(third), differential.Reply(400, None, "Virtuoso …"), "x")
    assert refused is not None and refused.kind == "refused"
