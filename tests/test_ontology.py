"""The ontology: valid OWL, documented in both languages, aligned, and covering every term the data uses."""

import pyhornedowl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from conftest import HL, SITE


def ontology(built) -> Graph:
    result, _ = built
    return result.graphs[SITE.graph("ontology")]


def test_parses_as_owl_in_an_owl_parser(built):
    parsed = pyhornedowl.open_ontology_from_string(ontology(built).serialize(format="xml"), "rdf")
    declared = {str(c) for c in ontology(built).subjects(RDF.type, OWL.Class)}
    assert declared and declared <= set(parsed.get_classes())
    props = {str(p) for p in ontology(built).subjects(RDF.type, OWL.ObjectProperty)}
    assert props <= set(parsed.get_object_properties())


def test_ontology_metadata(built):
    g = ontology(built)
    onto = SITE.ontology
    assert (onto, RDF.type, OWL.Ontology) in g
    assert {lit.language for lit in g.objects(onto, DCTERMS.title)} == {"zh", "en"}
    assert g.value(onto, OWL.versionInfo) is not None
    assert g.value(onto, DCTERMS.license) is not None and g.value(onto, DCTERMS.creator) is not None


def test_every_term_has_labels_and_comments_in_both_languages(built):
    g = ontology(built)
    terms = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(HL)}
    assert len(terms) > 30
    for term in terms:
        for prop in (RDFS.label, RDFS.comment):
            langs = {lit.language for lit in g.objects(term, prop) if isinstance(lit, Literal)}
            assert {"zh", "en"} <= langs, (term, prop)


def test_classes_refine_standard_terms(built):
    g = ontology(built)
    for cls in g.subjects(RDF.type, OWL.Class):
        parents = [str(p) for p in g.objects(cls, RDFS.subClassOf)]
        assert parents, cls
    standard = {
        str(p)
        for c in g.subjects(RDF.type, OWL.Class)
        for p in g.objects(c, RDFS.subClassOf)
        if not str(p).startswith(HL)
    }
    assert {
        "http://purl.org/linked-data/cube#Observation",
        "http://www.w3.org/2004/02/skos/core#Concept",
        "http://www.w3.org/ns/prov#Entity",
        "http://www.w3.org/ns/org#Organization",
    } <= standard


def test_the_data_uses_no_undeclared_term(built):
    result, _ = built
    g = ontology(built)
    declared = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(HL)}
    used = set()
    for graph in result.graphs.values():
        for _, p, o in graph:
            used |= {t for t in (p, o) if isinstance(t, URIRef) and str(t).startswith(HL)}
    assert used - declared == set()
