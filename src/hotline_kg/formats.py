"""Every media type and format the project knows, defined once: the registry.

A format is defined here and nowhere else — its IANA media type, its ``?format=`` short name,
the pyoxigraph format that reads and writes it, its W3C format IRI. Every other table is derived
from these definitions:

- the endpoint's result media types (``SOLUTION_TYPES``, ``GRAPH_TYPES``), other names clients
  send for them (``ALIASES``) and ``?format=`` names (``RESULT_PARAM``) — ``server.protocol``,
  ``server.sparql``, ``server.engine``;
- a resource page's alternates (``RESOURCE_TYPES``, ``RESOURCE_PARAM``) — ``server.views.resource``;
- the pyoxigraph format of a media type (``SOLUTION_FORMATS``, ``GRAPH_FORMATS``) and of an
  input file's extension (``INPUT_FORMATS``) — ``server.engine``;
- the media type of a file of the build by the end of its name (``FILE_TYPES``,
  ``COMPRESSIONS``, ``file_media``) — ``rdf.dumps``, ``rdf.metadata`` (which keys its EU
  file types by the same endings) — and the Content-Type ``/dumps/`` serves it with
  (``DUMP_TYPES``) — ``server.views.dumps``.

This module imports nothing of the project: anything may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One format: ``media`` its IANA media type, ``name`` its short name (``?format=``, file
    extension), ``oxigraph`` the pyoxigraph format, ``w3c`` its local name under W3C_FORMATS."""

    media: str
    name: str
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat
    w3c: str


# SPARQL results: solutions (SELECT) and booleans (ASK).
SPARQL_JSON = Format("application/sparql-results+json", "json", ox.QueryResultsFormat.JSON, "SPARQL_Results_JSON")
SPARQL_XML = Format("application/sparql-results+xml", "xml", ox.QueryResultsFormat.XML, "SPARQL_Results_XML")
SPARQL_CSV = Format("text/csv", "csv", ox.QueryResultsFormat.CSV, "SPARQL_Results_CSV")
SPARQL_TSV = Format("text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV, "SPARQL_Results_TSV")
# RDF: graphs (CONSTRUCT, DESCRIBE, resource descriptions, dumps) and datasets.
TURTLE = Format("text/turtle", "ttl", ox.RdfFormat.TURTLE, "Turtle")
N_TRIPLES = Format("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, "N-Triples")
N_QUADS = Format("application/n-quads", "nq", ox.RdfFormat.N_QUADS, "N-Quads")
TRIG = Format("application/trig", "trig", ox.RdfFormat.TRIG, "TriG")
JSON_LD = Format("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "JSON-LD")
RDF_XML = Format("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "RDF_XML")

HTML = "text/html"
TEXT = "text/plain"
GZIP = "application/gzip"
JSON = "application/json"
CSVW_JSON = "application/csvm+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: POST bodies the SPARQL Protocol defines.
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

# --- the SPARQL endpoint -------------------------------------------------------------------------
#: What the endpoint answers a SELECT or ASK with, and a CONSTRUCT or DESCRIBE; the first is the default.
SOLUTIONS = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
GRAPHS = (TURTLE, N_TRIPLES, N_QUADS, JSON_LD, RDF_XML)
SOLUTION_TYPES = tuple(f.media for f in SOLUTIONS)
GRAPH_TYPES = tuple(f.media for f in GRAPHS)
#: pyoxigraph formats by media type.
SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {f.media: f.oxigraph for f in SOLUTIONS}  # type: ignore[misc]
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {f.media: f.oxigraph for f in GRAPHS}  # type: ignore[misc]
#: Other names clients use for the same formats (in Accept).
ALIASES = {
    "application/json": SPARQL_JSON.media,
    "application/xml": SPARQL_XML.media,
    "text/xml": SPARQL_XML.media,
    "application/x-turtle": TURTLE.media,
    "text/plain": N_TRIPLES.media,
    "application/json+ld": JSON_LD.media,
}
#: Other names engines answer graphs with (Virtuoso: text/ntriples for N-Triples).
GRAPH_ALIASES = {"text/ntriples": N_TRIPLES.media, TEXT: N_TRIPLES.media}
#: ``/sparql?format=NAME``: the result media type a name forces (N-Quads has none).
RESULT_PARAM = {f.name: f.media for f in (*SOLUTIONS, TURTLE, N_TRIPLES, JSON_LD, RDF_XML)}
#: Formats the Service Description lists (``sd:resultFormat``), in its order.
SERVICE_RESULT_FORMATS = tuple(W3C_FORMATS + f.w3c for f in (*SOLUTIONS, TURTLE, N_TRIPLES, RDF_XML, JSON_LD))
#: What the Service Description is given as.
SERVICE_DESCRIPTION_TYPES = (TURTLE.media, JSON_LD.media, HTML)

# --- resource pages (/id/…, /def/hotline) ---------------------------------------------------------
#: ``?format=NAME`` of a resource, in the order of its ``Link`` alternates.
RESOURCE_PARAM = {f.name: f.media for f in (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)}
#: ``/id/….ttl`` (``/def/hotline.ttl`` …): the media type an ending of a resource's path forces, as
#: ``?format=`` does; the static site (``hotline_kg.site``) writes its files at these paths.
RESOURCE_ENDINGS = {f".{name}": media for name, media in RESOURCE_PARAM.items()}
#: What a resource is given as, by Accept; the first is the default.
RESOURCE_TYPES = (HTML, TURTLE.media, N_TRIPLES.media, JSON_LD.media, RDF_XML.media)

# --- files ---------------------------------------------------------------------------------------
#: RDF files the embedded store reads, by extension (gzipped or not).
INPUT_FORMATS: dict[str, ox.RdfFormat] = {
    **{f.name: f.oxigraph for f in (TURTLE, N_TRIPLES, N_QUADS, TRIG, JSON_LD, RDF_XML)},  # type: ignore[dict-item]
    "owl": RDF_XML.oxigraph,  # type: ignore[dict-item]
}
#: The media type of a file of the build by the end of its name (a ".gz" after it is the compression).
FILE_TYPES = {
    **{f".{f.name}": f.media for f in (TURTLE, N_TRIPLES, N_QUADS, TRIG, JSON_LD, RDF_XML)},
    ".csv": SPARQL_CSV.media,
    ".xlsx": XLSX,
    ".json": JSON,
    ".txt": TEXT,
    "SHA256SUMS": TEXT,
}
#: Compressions by extension.
COMPRESSIONS = {".gz": GZIP}


def with_charset(media: str) -> str:
    """A textual media type with ``; charset=utf-8`` (the endpoint's answers are UTF-8)."""
    textual = media.startswith("text/") or media.endswith(("json", "+xml"))
    return f"{media}; charset=utf-8" if textual else media


#: The Content-Type ``/dumps/NAME`` serves a file with, by the end of its name; any other file is
#: ``application/octet-stream``. Build files at paths of their own (``/catalog`` …) are Turtle.
DUMP_TYPES = {
    ".ttl": with_charset(TURTLE.media),
    ".nt.gz": GZIP,
    ".nq.gz": GZIP,
    ".jsonld": JSON_LD.media,
    "SHA256SUMS": with_charset(TEXT),
}
BUILD_FILE_TYPE = with_charset(TURTLE.media)
OTHER_FILE_TYPE = "application/octet-stream"


def file_ending(name: str, endings: Iterable[str] = FILE_TYPES) -> tuple[str, str] | None:
    """The ending (of ``endings``, longest first) that names a file's kind, and its compression's
    media type (or ""), from the file's name; None for a kind of file not among them."""
    inner, compression = name, ""
    for suffix, media in COMPRESSIONS.items():
        if name.endswith(suffix):
            inner, compression = name.removesuffix(suffix), media
    for ending in sorted(endings, key=len, reverse=True):
        if inner.endswith(ending):
            return ending, compression
    return None


def file_media(name: str) -> tuple[str, str] | None:
    """The media type of a file of the build and its compression's (or ""), from its name; None
    for a kind of file not in FILE_TYPES."""
    found = file_ending(name)
    return (FILE_TYPES[found[0]], found[1]) if found else None


def dump_type(name: str) -> str:
    """The Content-Type ``/dumps/`` serves the file ``name`` with."""
    return next((t for s, t in DUMP_TYPES.items() if name.endswith(s)), OTHER_FILE_TYPE)
