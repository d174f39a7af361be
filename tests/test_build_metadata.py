"""VoID and DCAT describe the dumps truthfully: counts, sizes, checksums, media types."""

import hashlib

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from conftest import SITE
from hotline_kg.rdf.metadata import EU, file_type
from hotline_kg.rdf.vocab import IANA_MEDIA, SPDX


def test_void_and_dcat_match_the_files(built, whole_graph):
    _, out = built
    meta = Graph().parse(out / "void.ttl")
    dataset = SITE.id("dataset/hotline")
    assert (dataset, RDF.type, DCAT.Dataset) in meta and (dataset, RDF.type, VOID.Dataset) in meta
    assert meta.value(dataset, VOID.triples).toPython() == len(whole_graph)
    assert meta.value(dataset, VOID.sparqlEndpoint) == SITE.at("sparql")
    assert {lit.language for lit in meta.objects(dataset, DCTERMS.description)} == {"zh", "en"}
    assert meta.value(dataset, DCTERMS.issued) is not None and meta.value(dataset, DCTERMS.modified) is not None
    assert set(meta.objects(dataset, DCTERMS.source)) == {SITE.id(f"report/{y}") for y in (2022, 2024)}
    assert list(meta.objects(dataset, VOID.exampleResource))
    files = {p.name for p in out.iterdir()} - {"void.ttl", "SHA256SUMS", "shapes.ttl", "validation-report.ttl"}
    described = {}
    for dist in meta.objects(dataset, DCAT.distribution):
        name = str(meta.value(dist, DCTERMS.title))
        described[name] = dist
        data = (out / name).read_bytes()
        assert meta.value(dist, DCAT.byteSize).toPython() == len(data)
        checksum = meta.value(dist, SPDX.checksum)
        assert str(meta.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert meta.value(dist, DCAT.downloadURL) == SITE.at(f"dumps/{name}")
    assert set(described) == files
    media = {name: str(meta.value(d, DCAT.mediaType)).rsplit("media-types/", 1)[-1] for name, d in described.items()}
    assert media["hotline.ttl"] == "text/turtle"
    assert media["hotline.nt.gz"] == "application/n-triples"
    assert media["hotline.nq.gz"] == "application/n-quads"
    assert media["hotline.jsonld"] == "application/ld+json"
    assert meta.value(described["hotline.nt.gz"], DCAT.compressFormat) == URIRef(
        "http://www.iana.org/assignments/media-types/application/gzip"
    )


def test_every_file_has_the_media_type_and_eu_file_type_of_its_name(built):
    """Whatever files the build makes (dumps, tables, their CSVW metadata …): each distribution's
    media type and EU file type follow from its name, and the reports' files are theirs too."""
    _, out = built
    meta = Graph().parse(out / "void.ttl")
    dataset = SITE.id("dataset/hotline")
    for dist in meta.objects(dataset, DCAT.distribution):
        name = str(meta.value(dist, DCTERMS.title))
        kind, compression = file_type(name, (out / name).read_bytes())
        assert meta.value(dist, DCAT.mediaType) == URIRef(IANA_MEDIA + kind.media), name
        assert meta.value(dist, DCTERMS.format) == URIRef(EU + "file-type/" + kind.eu), name
        assert meta.value(dist, DCAT.compressFormat) == (URIRef(IANA_MEDIA + compression) if compression else None)
        assert meta.value(dist, DCAT.accessURL) == meta.value(dist, DCAT.downloadURL) == SITE.at(f"dumps/{name}")
    for year in (2022, 2024):
        report = SITE.id(f"report/{year}")
        assert (dataset, DCTERMS.source, report) in meta and (report, RDF.type, DCAT.Dataset) in meta
        files = {str(meta.value(d, DCTERMS.title)) for d in meta.objects(report, DCAT.distribution)}
        assert f"report-{year}.ttl" in files and all(str(year) in name for name in files)
