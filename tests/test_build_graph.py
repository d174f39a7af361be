"""The built graph: every fact in it, well-formed as a Data Cube, labelled, linked."""

import csv
import gzip

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from conftest import FACTS, HL, SITE
from hotline_kg.rdf.integrity import check, store_of
from hotline_kg.rdf.vocab import SDMX_MEASURE


def test_named_graphs_one_per_report(built):
    result, _ = built
    names = {str(n).removeprefix(SITE.base) for n in result.graphs}
    reports = {f"graph/report/{p.stem}" for p in FACTS.glob("*.csv")}
    assert names == {"graph/ontology", "graph/reference"} | reports


def test_data_cube_integrity_constraints_hold(whole_graph):
    assert check(whole_graph) == []


def test_every_fact_is_an_observation_findable_by_label_year_and_value(whole_graph):
    store = store_of(whole_graph)
    for table in sorted(FACTS.glob("*.csv")):
        with table.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            name = row["subject"].rsplit("/", 1)[-1]
            period = ("year/" if len(row["period"]) == 4 else "month/") + row["period"]
            value = f"ABS(?v) = {row['value']}" if row["value"][0].isdigit() else f'?printed = "{row["value"]}"'
            query = f"""
                PREFIX hl: <{HL}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
                ASK {{ ?obs hl:report <{SITE.id("report/" + row["year"])}> ;
                         hl:refPeriod <{SITE.id(period)}> ; hl:sourceLine {row["source_line"]} ;
                         hl:printedValue ?printed ; <{SDMX_MEASURE.obsValue}> ?v ; hl:subject ?s .
                       ?s skos:prefLabel|skos:altLabel ?label .
                       FILTER (lang(?label) = "zh" && CONTAINS(STR(?label), "{name}") && {value}) }}"""
            assert store.query(query), f"{table.name}: {row}"


def test_values_are_decimals_and_cases_are_summable(whole_graph):
    graph = whole_graph
    values = list(graph.subject_objects(SDMX_MEASURE.obsValue))
    assert values and all(v.datatype == XSD.decimal for _, v in values)
    per_unit = {u: v.toPython() for u, v in graph.subject_objects(HL.casesPerUnit)}
    unit_of = dict(graph.subject_objects(URIRef("http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure")))
    with_cases = dict(graph.subject_objects(HL.cases))
    assert with_cases
    for obs, cases in with_cases.items():
        value = graph.value(obs, SDMX_MEASURE.obsValue).toPython()
        assert cases.toPython() == value * per_unit[unit_of[obs]]
        assert graph.value(obs, HL.printedValue) is not None


def test_falls_are_negative(whole_graph):
    graph = whole_graph
    yoy = SITE.id("measure/yoy-change")
    quotes_of_falls = [
        graph.value(obs, HL.quote)
        for obs in graph.subjects(HL.measure, yoy)
        if graph.value(obs, SDMX_MEASURE.obsValue).toPython() < 0
    ]
    assert quotes_of_falls and all("下降" in str(q) or "减少" in str(q) for q in quotes_of_falls)


def test_every_resource_has_chinese_and_english_labels(whole_graph):
    graph = whole_graph
    ours = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(SITE.base)}
    missing = [
        s
        for s in ours
        if {lit.language for lit in graph.objects(s, RDFS.label) if isinstance(lit, Literal)} < {"zh", "en"}
    ]
    assert missing == []


def test_no_blank_nodes(built):
    result, _ = built
    for graph in result.graphs.values():
        assert not any(isinstance(term, BNode) for triple in graph for term in triple)


def test_districts_link_to_codes_and_verified_wikidata_items(whole_graph):
    graph = whole_graph
    research = {}
    with (FACTS.parents[1] / "data" / "reference" / "districts.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            research[row["code"]] = row["wikidata"]
    for code, qid in research.items():
        node = SITE.id(f"district/{code}")
        assert str(graph.value(node, HL.gbCode)) == code
        links = {str(o) for o in graph.objects(node, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"))}
        assert links == ({f"http://www.wikidata.org/entity/{qid}"} if qid else set())


def test_renamed_concepts_are_distinct_and_close_matches(whole_graph):
    graph = whole_graph
    close = URIRef("http://www.w3.org/2004/02/skos/core#closeMatch")
    order, management = SITE.id("category/social-order"), SITE.id("category/social-management")
    assert (order, close, management) in graph and (management, close, order) in graph
    body = [
        s
        for s in graph.subjects(
            URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), Literal("开发区管委会", lang="zh")
        )
    ]
    assert (
        len(body) == 1
        and (body[0], URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("经开区管委会", lang="zh"))
        in graph
    )


@pytest.mark.parametrize("name", ["hotline.ttl", "report-2022.ttl", "report-2024.ttl", "ontology.ttl", "void.ttl"])
def test_turtle_dumps_parse_in_a_second_parser(built, name):
    _, out = built
    store = ox.Store()
    store.load((out / name).read_bytes(), format=ox.RdfFormat.TURTLE)
    reference = Graph().parse(out / name, format="turtle")
    assert len(store) == len(reference) > 0


def test_ntriples_nquads_and_jsonld_hold_the_same_triples(built, whole_graph):
    result, out = built
    expected = len(whole_graph)
    nt = ox.Store()
    nt.load(gzip.decompress((out / "hotline.nt.gz").read_bytes()), format=ox.RdfFormat.N_TRIPLES)
    assert len(nt) == expected
    nq = ox.Store()
    nq.load(gzip.decompress((out / "hotline.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    assert len(nq) == sum(len(g) for g in result.graphs.values())
    assert {str(g.value) for g in nq.named_graphs()} == {str(n) for n in result.graphs}
    jsonld = ox.Store()
    jsonld.load((out / "hotline.jsonld").read_bytes(), format=ox.RdfFormat.JSON_LD)
    assert len(jsonld) == len(nq)
