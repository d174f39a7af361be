"""Namespaces, and the default of the one setting every URI depends on: the base URI (read from
``$HOTLINE_KG_BASE_URI`` by ``hotline_kg.server.settings``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, VOID, XSD

DEFAULT_HOST = "127.0.0.1"
#: The persistent namespace every IRI of the data lives in, whatever host serves it; w3id.org
#: redirects it to the server that publishes the data (README, "Canonical IRIs").
CANONICAL_BASE = "https://w3id.org/hotline-kg/"
DEFAULT_BASE = CANONICAL_BASE
#: The vocabulary: one fixed namespace, whatever base the data uses.
HL = Namespace(CANONICAL_BASE + "def/hotline#")
ONTOLOGY = URIRef(CANONICAL_BASE + "def/hotline")
#: URI paths under id/ with a prefix of their own in Turtle, JSON-LD and example queries
#: ("district:110108"), so that no local name needs an escape.
ID_PREFIXES = (
    "category",
    "channel",
    "dataset",
    "disposition",
    "district",
    "district-group",
    "handler",
    "level",
    "measure",
    "month",
    "obs",
    "programme",
    "report",
    "scheme",
    "theme",
    "topic",
    "unit",
    "year",
)

QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
ORG = Namespace("http://www.w3.org/ns/org#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
WIKIDATA_DIRECT = Namespace("http://www.wikidata.org/prop/direct/")
#: Standard URIs for calendar years and months (data.gov.uk reference intervals).
REF_YEAR = "http://reference.data.gov.uk/id/year/"
REF_MONTH = "http://reference.data.gov.uk/id/month/"
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"

#: The namespaces of the vocabularies the data uses, by prefix: the same whatever the base URI.
NAMESPACES = {
    "qb": str(QB),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "prov": str(PROV),
    "dcat": str(DCAT),
    "void": str(VOID),
    "org": str(ORG),
    "time": str(TIME),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "wd": str(WIKIDATA),
    "wdt": str(WIKIDATA_DIRECT),
    "sdmx-attribute": str(SDMX_ATTRIBUTE),
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "spdx": str(SPDX),
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
}
#: The SPARQL 1.1 Service Description vocabulary (the endpoint describes itself with it).
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: The SDMX concepts (sdmx:…), which the query editor completes too.
SDMX = Namespace("http://purl.org/linked-data/sdmx#")


def prologue(*names: str) -> str:
    """The SPARQL PREFIX lines of these prefixes (``hl`` or one of ``NAMESPACES``)."""
    known = {"hl": str(HL), **NAMESPACES}
    return "".join(f"PREFIX {name}: <{known[name]}>\n" for name in names)


__all__ = [
    "DCAT",
    "DCTERMS",
    "NAMESPACES",
    "ORG",
    "OWL",
    "PROV",
    "QB",
    "RDF",
    "RDFS",
    "SD",
    "SDMX",
    "SDMX_ATTRIBUTE",
    "SDMX_DIMENSION",
    "SDMX_MEASURE",
    "SKOS",
    "SPDX",
    "TIME",
    "VOID",
    "WIKIDATA",
    "WIKIDATA_DIRECT",
    "XSD",
    "Site",
    "prologue",
]


@dataclass(frozen=True)
class Site:
    """URIs of one deployment: everything is ``base`` + a path."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.startswith(("http://", "https://")) or not self.base.endswith("/"):
            raise ValueError(f"base URI must be an http(s) URI ending in '/': {self.base!r}")

    @property
    def hl(self) -> Namespace:
        return HL

    @property
    def ontology(self) -> URIRef:
        return ONTOLOGY

    def rebase(self, text: str) -> str:
        """Turtle or SPARQL written against the canonical base (the ontology, shapes, example
        queries), for this base: data IRIs move to this base, relative ones ("<id/…>") included;
        the vocabulary ("<def/…>") stays in its fixed namespace."""
        text = text.replace("<def/", f"<{CANONICAL_BASE}def/")
        if self.base == CANONICAL_BASE:
            return text
        return re.sub(re.escape(CANONICAL_BASE) + r"(?!def/)", self.base, text)

    def local(self, iri: str) -> str:
        """The path this server answers an IRI of the data (or the vocabulary) at, or the IRI itself."""
        if iri.startswith(self.base):
            return "/" + iri[len(self.base) :]
        if iri.startswith(str(ONTOLOGY)):
            return "/" + iri[len(CANONICAL_BASE) :]
        return iri

    def curie(self, iri: str) -> str:
        """The IRI as a prefixed name ("skos:prefLabel", "district:110108") where a prefix fits, else the IRI."""
        best = ""
        for prefix, namespace in self.prefixes().items():
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", local) and len(namespace) > len(best):
                best, found = namespace, f"{prefix}:{local}"
        return found if best else iri

    def prefixes(self) -> dict[str, str]:
        """Prefix → namespace, for every serialisation and example query."""
        return {
            "hl": str(HL),
            **{p: f"{self.base}id/{p}/" for p in ID_PREFIXES},
            "id": self.base + "id/",
            **NAMESPACES,
        }

    def id(self, path: str) -> URIRef:
        return URIRef(f"{self.base}id/{path}")

    def graph(self, path: str) -> URIRef:
        return URIRef(f"{self.base}graph/{path}")

    def at(self, path: str) -> URIRef:
        return URIRef(self.base + path)

    def bind(self, graph) -> None:  # type: ignore[no-untyped-def]
        """Bind the prefixes the dumps use."""
        for prefix, ns in self.prefixes().items():
            graph.bind(prefix, Namespace(ns), override=True, replace=True)
