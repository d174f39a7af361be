"""Links out of the graph: the 16 districts' Wikidata items, checked against the research that
verified them; their GB/T 2260 codes as Wikidata gives them (P442); and a recorded source in
data/reference/link-sources.csv for every IRI the graph links to outside its own namespaces."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, TIME, VOID, XSD

from conftest import HL, ROOT, SITE
from hotline_kg.rdf.errors import BuildError
from hotline_kg.rdf.reference import load
from hotline_kg.rdf.vocab import (
    CANONICAL_BASE,
    ORG,
    PROV,
    QB,
    REF_MONTH,
    REF_YEAR,
    SDMX_ATTRIBUTE,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    SPDX,
    WIKIDATA,
)

#: the research that verified the Wikidata items, beside the repository (never copied into it)
RESEARCH = ROOT.parent / "shared" / "research" / "beijing-districts-links.csv"
DISTRICTS = ROOT / "data" / "reference" / "districts.csv"
LINK_SOURCES = ROOT / "data" / "reference" / "link-sources.csv"
#: Wikidata's direct property P442, "China administrative division code"
P442 = URIRef("http://www.wikidata.org/prop/direct/P442")

#: The 16 districts of Beijing: GB/T 2260 code → (name, Wikidata item).
DISTRICT_LINKS = {
    "110101": ("东城区", "Q394681"),
    "110102": ("西城区", "Q30138"),
    "110105": ("朝阳区", "Q394701"),
    "110106": ("丰台区", "Q393831"),
    "110107": ("石景山区", "Q393475"),
    "110108": ("海淀区", "Q393454"),
    "110109": ("门头沟区", "Q185584"),
    "110111": ("房山区", "Q393462"),
    "110112": ("通州区", "Q393836"),
    "110113": ("顺义区", "Q393482"),
    "110114": ("昌平区", "Q393485"),
    "110115": ("大兴区", "Q393445"),
    "110116": ("怀柔区", "Q121911"),
    "110117": ("平谷区", "Q393469"),
    "110118": ("密云区", "Q1022269"),
    "110119": ("延庆区", "Q596545"),
}

#: Properties that link a resource to another dataset's resource: an object of one of these
#: outside the project's namespaces is an outgoing link and needs a row in link-sources.csv.
LINKING = {
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.seeAlso,
    DCTERMS.spatial,
    DCTERMS.temporal,
    DCTERMS.source,
    DCTERMS.relation,
    PROV.wasDerivedFrom,
    PROV.hadPrimarySource,
    URIRef("http://schema.org/sameAs"),
    URIRef("https://schema.org/sameAs"),
}
#: Standard vocabularies the graph uses as vocabulary (classes, properties, datatypes): their
#: terms are not outgoing links.
VOCABULARIES = tuple(
    str(ns)
    for ns in (
        RDF,
        RDFS,
        OWL,
        XSD,
        SKOS,
        DCTERMS,
        QB,
        SDMX_ATTRIBUTE,
        SDMX_DIMENSION,
        SDMX_MEASURE,
        PROV,
        ORG,
        TIME,
        DCAT,
        VOID,
        SPDX,
    )
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_research() -> dict[str, dict[str, str]]:
    """The research file's rows by GB/T 2260 code; the test fails (never skips) without it."""
    if not RESEARCH.is_file():
        pytest.fail(
            f"research file missing: {RESEARCH} (../shared/research/beijing-districts-links.csv from the "
            "repository root) — the districts' Wikidata links are checked against it and cannot be checked without it"
        )
    rows = {row["gb2260"]: row for row in read_csv(RESEARCH)}
    assert rows, f"{RESEARCH} has no rows"
    return rows


@pytest.fixture(scope="module")
def catalogue(built) -> Graph:
    """The VoID/DCAT description of the build (void.ttl)."""
    result, _ = built
    return Graph().parse(data=result.files["void.ttl"], format="turtle")


@pytest.fixture(scope="module")
def link_sources() -> list[dict[str, str]]:
    return read_csv(LINK_SOURCES)


def own(iri: str) -> bool:
    """An IRI of the project: its data (under the base) or its vocabulary (the canonical namespace)."""
    return iri.startswith((SITE.base, CANONICAL_BASE))


def expand(curie: str) -> URIRef:
    prefixes = {**SITE.prefixes(), "rdf": str(RDF), "schema": "http://schema.org/"}
    prefix, _, local = curie.partition(":")
    assert prefix in prefixes, f"link-sources.csv: unknown prefix in “{curie}”"
    return URIRef(prefixes[prefix] + local)


def covering(rows: list[dict[str, str]], prop: URIRef, target: URIRef) -> list[dict[str, str]]:
    """The rows of link-sources.csv that record the source of a link ``prop`` → ``target``."""
    found = []
    for row in rows:
        if prop not in {expand(p) for p in row["property"].split("|")}:
            continue
        if (row["match"] == "iri" and str(target) == row["target"]) or (
            row["match"] == "namespace" and str(target).startswith(row["target"])
        ):
            found.append(row)
    return found


def outgoing(graph: Graph, properties: set[URIRef] | None = None) -> set[tuple[URIRef, URIRef, URIRef]]:
    """Triples whose object is an IRI outside the project and outside the standard vocabularies
    (of the given properties only, if given)."""
    return {
        (s, p, o)
        for s, p, o in graph
        if isinstance(o, URIRef)
        and not own(str(o))
        and not str(o).startswith(VOCABULARIES)
        and (properties is None or p in properties)
    }


# --- the 16 Wikidata links ------------------------------------------------------------------------


def test_sixteen_districts_are_listed():
    assert len(DISTRICT_LINKS) == 16
    assert len({qid for _, qid in DISTRICT_LINKS.values()}) == 16


@pytest.mark.parametrize("code", sorted(DISTRICT_LINKS))
def test_district_link_agrees_with_the_research(code):
    research = read_research()
    name, qid = DISTRICT_LINKS[code]
    assert code in research, f"{code} {name} is not in {RESEARCH}"
    row = research[code]
    assert (row["name_zh"], row["wikidata"]) == (name, qid), f"{code}: research file says {row}"
    assert row["how_verified"].strip(), f"{code}: the research file gives no evidence for {qid}"


def test_research_has_no_district_we_do_not_link():
    research = read_research()
    districts = {code for code, row in research.items() if row["name_zh"].endswith("区")}
    assert districts == set(DISTRICT_LINKS)


def test_districts_csv_carries_the_verified_items_and_their_evidence():
    research = read_research()
    rows = {row["code"]: row for row in read_csv(DISTRICTS)}
    assert set(rows) == set(DISTRICT_LINKS)
    for code, row in rows.items():
        source = research[code]
        assert (row["name_zh"], row["name_en"], row["wikidata"]) == (
            source["name_zh"],
            source["name_en"],
            source["wikidata"],
        ), code
        assert row["how_verified"] == source["how_verified"], code


@pytest.mark.parametrize("code", sorted(DISTRICT_LINKS))
def test_district_in_the_graph_links_its_item_and_code(whole_graph, code):
    research = read_research()
    node = SITE.id(f"district/{code}")
    assert (node, RDF.type, HL.District) in whole_graph
    matches = set(whole_graph.objects(node, SKOS.exactMatch))
    items = {m for m in matches if str(m).startswith(str(WIKIDATA))}
    assert items == {WIKIDATA[research[code]["wikidata"]]}, f"{code}: {sorted(matches)}"
    assert items == {WIKIDATA[DISTRICT_LINKS[code][1]]}
    assert list(whole_graph.objects(node, P442)) == [Literal(code)]
    assert list(whole_graph.objects(node, HL.gbCode)) == [Literal(code)]
    assert Literal(code) in set(whole_graph.objects(node, SKOS.notation))
    assert str(node).rsplit("/", 1)[1] == code


@pytest.mark.parametrize("code", sorted(DISTRICT_LINKS))
def test_district_note_names_p442_and_the_uri(whole_graph, code):
    notes = {lit.language: str(lit) for lit in whole_graph.objects(SITE.id(f"district/{code}"), SKOS.note)}
    assert set(notes) == {"en", "zh"}
    for text in notes.values():
        assert "P442" in text and str(P442) in text and code in text
    assert "China administrative division code" in notes["en"] and "last segment of this URI" in notes["en"]
    assert "行政区划代码" in notes["zh"] and "URI 的最后一段" in notes["zh"]


def test_only_districts_link_to_wikidata_items_by_exact_match(whole_graph):
    linked = {(s, o) for s, o in whole_graph.subject_objects(SKOS.exactMatch) if str(o).startswith(str(WIKIDATA))}
    assert linked == {(SITE.id(f"district/{c}"), WIKIDATA[q]) for c, (_, q) in DISTRICT_LINKS.items()}


def test_beijing_is_the_research_files_item(catalogue):
    research = read_research()
    beijing = research["110000"]["wikidata"]
    spatial = {o for o in catalogue.objects(None, DCTERMS.spatial) if str(o).startswith(str(WIKIDATA))}
    assert spatial <= {WIKIDATA[beijing]}


def test_a_wikidata_item_without_evidence_is_refused(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(ROOT / "data" / "reference", folder)
    rows = read_csv(folder / "districts.csv")
    rows[0]["how_verified"] = ""
    with (folder / "districts.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(BuildError, match="how_verified"):
        load(folder)


# --- every outgoing link has a recorded source ----------------------------------------------------


def test_link_sources_table_is_complete(link_sources):
    assert link_sources, LINK_SOURCES
    for row in link_sources:
        assert set(row) == {"target", "match", "property", "linked_from", "source", "how_verified"}, row
        assert row["match"] in ("iri", "namespace"), row
        assert row["target"].startswith(("http://", "https://")) and not own(row["target"]), row
        for column in ("property", "linked_from", "source", "how_verified"):
            assert row[column].strip(), (column, row)
        for prop in row["property"].split("|"):
            expand(prop)
    keys = [(row["target"], row["property"]) for row in link_sources]
    assert len(keys) == len(set(keys)), "a target and property recorded twice"


def test_every_link_of_the_graph_and_catalogue_has_a_source(whole_graph, catalogue, link_sources):
    links = outgoing(whole_graph, LINKING) | outgoing(catalogue, LINKING)
    assert links, "no outgoing links found: the check would prove nothing"
    missing = sorted(f"{s} {p} {o}" for s, p, o in links if not covering(link_sources, p, o))
    assert missing == [], "links without a row in data/reference/link-sources.csv:\n" + "\n".join(missing)


def test_every_external_iri_of_the_data_has_a_source(whole_graph, link_sources):
    """Not only the linking properties: any IRI the data (ontology, reference, reports) points to
    outside the project and the standard vocabularies it uses."""
    missing = sorted(f"{s} {p} {o}" for s, p, o in outgoing(whole_graph) if not covering(link_sources, p, o))
    assert missing == [], "IRIs without a row in data/reference/link-sources.csv:\n" + "\n".join(missing)


def test_every_recorded_source_is_used(whole_graph, catalogue, link_sources):
    links = outgoing(whole_graph) | outgoing(catalogue, LINKING)
    unused = [row for row in link_sources if not any(row in covering([row], p, o) for _, p, o in links)]
    assert unused == [], "rows of link-sources.csv that no link of the build uses"


def test_periods_link_to_the_same_reference_interval(whole_graph):
    years = set(whole_graph.subjects(RDF.type, HL.Year))
    months = set(whole_graph.subjects(RDF.type, HL.Month))
    assert years and months
    for node in years | months:
        key = str(node).rsplit("/", 1)[1]
        base = REF_YEAR if node in years else REF_MONTH
        assert set(whole_graph.objects(node, OWL.sameAs)) == {URIRef(base + key)}, node
