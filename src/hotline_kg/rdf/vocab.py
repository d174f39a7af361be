"""Namespaces, and the one setting every URI depends on: the base URI."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, VOID, XSD

DEFAULT_HOST = "127.0.0.1"
DEFAULT_BASE = f"http://{DEFAULT_HOST}:8000/"
BASE_ENV = "HOTLINE_KG_BASE_URI"

QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
ORG = Namespace("http://www.w3.org/ns/org#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
#: Standard URIs for calendar years and months (data.gov.uk reference intervals).
REF_YEAR = "http://reference.data.gov.uk/id/year/"
REF_MONTH = "http://reference.data.gov.uk/id/month/"
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"

__all__ = [
    "DCAT",
    "DCTERMS",
    "ORG",
    "OWL",
    "PROV",
    "QB",
    "RDF",
    "RDFS",
    "SDMX_ATTRIBUTE",
    "SDMX_DIMENSION",
    "SDMX_MEASURE",
    "SKOS",
    "SPDX",
    "TIME",
    "VOID",
    "WIKIDATA",
    "XSD",
    "Site",
]


def default_base() -> str:
    return os.environ.get(BASE_ENV, DEFAULT_BASE)


@dataclass(frozen=True)
class Site:
    """URIs of one deployment: everything is ``base`` + a path."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.startswith(("http://", "https://")) or not self.base.endswith("/"):
            raise ValueError(f"base URI must be an http(s) URI ending in '/': {self.base!r}")

    @property
    def hl(self) -> Namespace:
        return Namespace(self.base + "def/hotline#")

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "def/hotline")

    def id(self, path: str) -> URIRef:
        return URIRef(f"{self.base}id/{path}")

    def graph(self, path: str) -> URIRef:
        return URIRef(f"{self.base}graph/{path}")

    def at(self, path: str) -> URIRef:
        return URIRef(self.base + path)

    def bind(self, graph) -> None:  # type: ignore[no-untyped-def]
        """Bind the prefixes the dumps use."""
        for prefix, ns in (
            ("hl", self.hl),
            ("id", Namespace(self.base + "id/")),
            ("qb", QB),
            ("skos", SKOS),
            ("dct", DCTERMS),
            ("prov", PROV),
            ("dcat", DCAT),
            ("void", VOID),
            ("org", ORG),
            ("time", TIME),
            ("owl", OWL),
            ("xsd", XSD),
            ("wd", WIKIDATA),
            ("sdmx-attribute", SDMX_ATTRIBUTE),
            ("sdmx-dimension", SDMX_DIMENSION),
            ("sdmx-measure", SDMX_MEASURE),
            ("spdx", SPDX),
        ):
            graph.bind(prefix, ns, override=True)
