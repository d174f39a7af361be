"""The graphs as download files, byte for byte the same for the same graphs.

rdflib writes each format; lines of N-Triples and N-Quads are sorted, JSON-LD
keys and nodes are sorted, and gzip carries no timestamp, so a rebuild from
the same inputs gives identical files (and identical SHA256SUMS).
"""

from __future__ import annotations

import gzip
import hashlib
import json

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF

from hotline_kg import formats
from hotline_kg.rdf.vocab import HL, Site

#: dump file → (media type, compression media type or ""), from the format registry
MEDIA_TYPES = {suffix: formats.file_media(suffix) for suffix in (".ttl", ".nt.gz", ".nq.gz", ".jsonld")}


def media_type(name: str) -> tuple[str, str]:
    for suffix, types in MEDIA_TYPES.items():
        if name.endswith(suffix):
            return types  # type: ignore[return-value]
    return (formats.TEXT, "")


def union(site: Site, graphs: dict[URIRef, Graph]) -> Graph:
    whole = Graph()
    site.bind(whole)
    for graph in graphs.values():
        whole += graph
    return whole


def turtle(site: Site, graph: Graph) -> bytes:
    """Turtle grouped by subject, sorted, with the project's prefixes (rdflib's longturtle)."""
    out = Graph()
    site.bind(out)
    out += graph
    return out.serialize(format="longturtle").encode("utf-8")


def ntriples_lines(graph: Graph) -> list[str]:
    return sorted({line for line in graph.serialize(format="nt").splitlines() if line.strip()})


def nquads(graphs: dict[URIRef, Graph]) -> bytes:
    lines = []
    for name, graph in graphs.items():
        for line in ntriples_lines(graph):
            lines.append(f"{line[: line.rstrip().rfind('.')].rstrip()} <{name}> .")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def jsonld_context(site: Site, ontology: Graph) -> dict[str, object]:
    """The JSON-LD context: the project's prefixes, and a term for each property of the
    vocabulary ("refPeriod", "quote" …), IRI-valued where the ontology says so. A property
    whose name is also a prefix ("district") keeps its prefixed name (hl:district)."""
    context: dict[str, object] = dict(site.prefixes())
    for kind, is_iri in ((OWL.ObjectProperty, True), (OWL.DatatypeProperty, False)):
        for prop in sorted(set(ontology.subjects(RDF.type, kind)), key=str):
            name = str(prop).removeprefix(str(HL))
            if str(prop).startswith(str(HL)) and name not in context:
                context[name] = {"@id": f"hl:{name}", "@type": "@id"} if is_iri else {"@id": f"hl:{name}"}
    return context


def jsonld(site: Site, graphs: dict[URIRef, Graph], context: dict[str, object]) -> bytes:
    """One JSON-LD document of named graphs, compacted with the project's context."""
    dataset = Dataset()
    site.bind(dataset)
    for name, graph in graphs.items():
        named = dataset.graph(name)
        for triple in graph:
            named.add(triple)
    return jsonld_bytes(dataset.serialize(format="json-ld", context=context))


def graph_jsonld(graph: Graph, context: dict[str, object]) -> bytes:
    """One graph (a resource description) as JSON-LD with the project's context."""
    return jsonld_bytes(graph.serialize(format="json-ld", context=context))


def jsonld_bytes(text: str) -> bytes:
    return (json.dumps(_sorted(json.loads(text)), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _sorted(node: object) -> object:
    """Sort every list of the JSON-LD document, so its text does not depend on store order."""
    if isinstance(node, dict):
        return {k: _sorted(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sorted(v) for v in node]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return node


def sha256sums(files: dict[str, bytes]) -> bytes:
    """The `sha256sum` format: "<hex>  <name>" per file, sorted by name."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())).encode()
