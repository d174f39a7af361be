"""The catalogue description (void.ttl) conforms to DCAT-AP 3.0.1: no violation of its mandatory
and range shapes, no warning of its recommended shapes. The shapes are vendored in
shapes/dcat-ap-3.0.1/ (the same bytes as the reference copy in ../shared, when it is there), the
build checks the metadata with them, and a broken description is caught with a message."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from conftest import ROOT, SITE, copy_project
from hotline_kg import validate
from hotline_kg.rdf import build as rdf_build
from hotline_kg.rdf.metadata import file_type, metadata_graph
from hotline_kg.rdf.vocab import IANA_MEDIA, Site

VENDORED = ROOT / "shapes" / "dcat-ap-3.0.1"
#: the reference copy beside the repository (from SEMICeu/DCAT-AP releases/3.0.1/html/shacl/)
REFERENCE = ROOT.parent / "shared" / "w3c" / "dcat-ap-3.0.1"
FILES = ("shapes.ttl", "range.ttl", "shapes_recommended.ttl")
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MODIFIED = dt.date(2026, 11, 22)
#: where the DCAT-AP shapes name their node shapes
DCAT_AP_NAMESPACES = ("https://semiceu.github.io/DCAT-AP/", "http://data.europa.eu/r5r#")


def read_shapes(*names: str) -> Graph:
    """The vendored shape files as one shapes graph; a missing file fails the test."""
    shapes = Graph()
    for name in names:
        path = VENDORED / name
        assert path.is_file(), f"DCAT-AP shapes missing: {path}"
        shapes.parse(path, format="turtle")
    return shapes


def dcat_ap_results(data: Graph) -> dict[str, list[str]]:
    """pyshacl on its own (not the project's validation code): results per shape set."""
    found = {}
    for label, names in (
        ("shapes.ttl + range.ttl", ("shapes.ttl", "range.ttl")),
        ("shapes_recommended.ttl", ("shapes_recommended.ttl",)),
    ):
        _, results, _ = pyshacl.validate(data, shacl_graph=read_shapes(*names), inference="none", advanced=True)
        found[label] = sorted(
            f"{results.value(r, SH.resultSeverity)} {results.value(r, SH.focusNode)} "
            f"{results.value(r, SH.resultPath)}: {results.value(r, SH.resultMessage)}"
            for r in results.subjects(RDF.type, SH.ValidationResult)
        )
    return found


@pytest.fixture(scope="module")
def metadata(built) -> Graph:
    _, out = built
    return Graph().parse(out / "void.ttl")


# --- the vendored shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_the_vendored_shapes_are_there_and_unchanged(name):
    vendored = VENDORED / name
    assert vendored.is_file(), f"{vendored} is missing: the build cannot check the catalogue without it"
    assert len(read_shapes(name)) > 0
    if (REFERENCE / name).is_file():
        assert vendored.read_bytes() == (REFERENCE / name).read_bytes(), f"{vendored} differs from {REFERENCE / name}"


def test_the_licence_of_the_shapes_is_stated():
    notice = (VENDORED / "NOTICE.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "https://creativecommons.org/licenses/by/4.0/" in notice
    assert "European Union" in notice and "SEMICeu/DCAT-AP" in notice


# --- the built description conforms -------------------------------------------------------------------


def test_the_built_metadata_conforms_to_dcat_ap(metadata):
    assert dcat_ap_results(metadata) == {"shapes.ttl + range.ttl": [], "shapes_recommended.ttl": []}


def test_the_build_validation_checks_the_metadata_with_dcat_ap(metadata, shapes):
    """The project's validation, as the build runs it: DCAT-AP shapes on the metadata unit, 0 results."""
    dcat_ap = [s for s in shapes if isinstance(s, validate.UnitShapes)]
    assert sorted(s.source for s in dcat_ap) == sorted(f"DCAT-AP 3.0.1 {name}" for name in FILES)
    report = validate.validate_units([(validate.METADATA_UNIT, metadata)], shapes)
    assert report.results == [] and report.conforms, validate.summary(report)


def test_dcat_ap_checks_the_metadata_unit_only(built, shapes):
    """The data graphs are not catalogue descriptions (their concept schemes have no dct:title):
    the DCAT-AP shapes leave them alone, and dist/shapes.ttl holds the project's shapes only."""
    result, _ = built
    reference = dict(validate.built_units(SITE, result.graphs, None))["reference"]
    report = validate.validate_units([("reference", reference)], shapes)
    assert not any("DCAT-AP" in r.message for r in report.results)
    published = {str(s) for s in validate.merged(shapes).subjects()}
    assert published and not {s for s in published if s.startswith(DCAT_AP_NAMESPACES)}


def test_the_resources_carry_the_classes_of_the_range_shapes(metadata):
    dataset = SITE.id("dataset/hotline")
    expected = {
        DCTERMS.license: DCTERMS.LicenseDocument,
        DCTERMS.language: DCTERMS.LinguisticSystem,
        DCTERMS.spatial: DCTERMS.Location,
        DCTERMS.temporal: DCTERMS.PeriodOfTime,
        DCTERMS.publisher: URIRef("http://xmlns.com/foaf/0.1/Agent"),
        DCTERMS.accessRights: DCTERMS.RightsStatement,
        DCTERMS.accrualPeriodicity: DCTERMS.Frequency,
        DCAT.theme: URIRef("http://www.w3.org/2004/02/skos/core#Concept"),
        DCAT.contactPoint: URIRef("http://www.w3.org/2006/vcard/ns#Kind"),
        DCTERMS.source: DCAT.Dataset,
    }
    for prop, cls in expected.items():
        values = list(metadata.objects(dataset, prop))
        assert values, prop
        for value in values:
            assert (value, RDF.type, cls) in metadata, (prop, value, cls)
    assert set(metadata.objects(dataset, DCTERMS.language)) == {
        URIRef("http://publications.europa.eu/resource/authority/language/ZHO"),
        URIRef("http://publications.europa.eu/resource/authority/language/ENG"),
    }
    licence = URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    for dist in metadata.objects(dataset, DCAT.distribution):
        assert metadata.value(dist, DCTERMS.license) == licence
        assert (metadata.value(dist, DCAT.mediaType), RDF.type, DCTERMS.MediaType) in metadata
        assert (metadata.value(dist, DCTERMS.format), RDF.type, DCTERMS.MediaTypeOrExtent) in metadata
        assert str(metadata.value(dist, DCTERMS.format)).startswith(EU_FILE_TYPE)


# --- any file of the build is described by its name ----------------------------------------------------

CSVW = json.dumps({"@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}], "url": "observations.csv"})
#: file name → (content, media type, EU file type, compression media type or None)
KINDS = {
    "hotline.ttl": (b"", "text/turtle", "RDF_TURTLE", None),
    "report-2022.ttl": (b"", "text/turtle", "RDF_TURTLE", None),
    "hotline.nt.gz": (gzip.compress(b""), "application/n-triples", "RDF_N_TRIPLES", "application/gzip"),
    "hotline.nq.gz": (gzip.compress(b""), "application/n-quads", "RDF_N_QUADS", "application/gzip"),
    "hotline.jsonld": (b"{}", "application/ld+json", "JSON_LD", None),
    "observations.csv": (b"a,b\n", "text/csv", "CSV", None),
    "observations-2024.csv": (b"a,b\n", "text/csv", "CSV", None),
    "observations.csv.gz": (gzip.compress(b"a,b\n"), "text/csv", "CSV", "application/gzip"),
    "observations.xlsx": (
        b"PK",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        None,
    ),
    "observations.csv-metadata.json": (CSVW.encode(), "application/csvm+json", "JSON", None),
    "observations-2024.csv-metadata.json": (CSVW.encode(), "application/csvm+json", "JSON", None),
    "context.json": (b'{"@context": {}}', "application/json", "JSON", None),
    "SHA256SUMS": (b"", "text/plain", "TXT", None),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_file_type_by_name(name):
    data, media, eu, compression = KINDS[name]
    kind, packed = file_type(name, data)
    assert (kind.media, kind.eu, packed or None) == (media, eu, compression)


def test_an_unknown_kind_of_file_stops_the_build():
    with pytest.raises(ValueError, match=r"observations\.parquet: no media type known"):
        file_type("observations.parquet", b"")


@pytest.fixture(scope="module")
def sources():
    found = rdf_build.read_sources(ROOT / "data" / "raw" / "sources.csv")
    return [found[year] for year in sorted(found)]


@pytest.mark.parametrize("base", [SITE.base, "http://example.org/kg/"])
def test_every_kind_of_file_is_described_and_conforms(built, whole_graph, sources, base):
    """A description of files of every kind the build makes or may make, under any base URI,
    conforms to DCAT-AP; each distribution has the media type and EU file type of its name."""
    site = Site(base)
    result, _ = built
    files = {name: content for name, (content, *_) in KINDS.items()}
    meta = metadata_graph(site, result.graphs, whole_graph, files, sources, MODIFIED, [])
    assert dcat_ap_results(meta) == {"shapes.ttl + range.ttl": [], "shapes_recommended.ttl": []}
    described = {
        str(meta.value(d, DCTERMS.title)): d for d in meta.objects(site.id("dataset/hotline"), DCAT.distribution)
    }
    assert set(described) == set(KINDS)
    for name, (_, media, eu, compression) in KINDS.items():
        dist = described[name]
        assert meta.value(dist, DCAT.mediaType) == URIRef(IANA_MEDIA + media), name
        assert meta.value(dist, DCTERMS.format) == URIRef(EU_FILE_TYPE + eu), name
        packed = meta.value(dist, DCAT.compressFormat)
        assert (str(packed).removeprefix(IANA_MEDIA) if packed else None) == compression, name
        assert {lit.language for lit in meta.objects(dist, DCTERMS.description)} == {"zh", "en"}, name
    # a report's own files are its distributions too
    report = site.id("report/2024")
    assert set(meta.objects(site.id("report/2022"), DCAT.distribution)) == {described["report-2022.ttl"]}
    assert set(meta.objects(report, DCAT.distribution)) == {
        described["observations-2024.csv"],
        described["observations-2024.csv-metadata.json"],
    }


# --- a broken description is caught -------------------------------------------------------------------


def first_distribution(g: Graph) -> URIRef:
    return sorted(g.objects(SITE.id("dataset/hotline"), DCAT.distribution))[0]


LICENCE = URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")

BROKEN: dict[str, tuple[Callable[[Graph], None], str, str]] = {
    "distribution-without-access-url": (
        lambda g: g.remove((first_distribution(g), DCAT.accessURL, None)),
        "Violation",
        "DCAT-AP 3.0.1 shapes.ttl: Less than 1 values on",
    ),
    "licence-without-its-class": (
        lambda g: g.remove((LICENCE, RDF.type, DCTERMS.LicenseDocument)),
        "Violation",
        "DCAT-AP 3.0.1 range.ttl: Value does not have class dct:LicenseDocument",
    ),
    "media-type-of-the-wrong-class": (
        lambda g: g.set((first_distribution(g), DCAT.mediaType, LICENCE)),
        "Violation",
        "DCAT-AP 3.0.1 range.ttl: Value does not have class dct:MediaType",
    ),
    "language-as-a-string": (
        lambda g: g.add((SITE.id("dataset/hotline"), DCTERMS.language, Literal("zh"))),
        "Violation",
        "DCAT-AP 3.0.1 shapes.ttl: Value is not of Node Kind sh:BlankNodeOrIRI",
    ),
    "service-without-keywords": (
        lambda g: g.remove((SITE.id("service/sparql"), DCAT.keyword, None)),
        "Warning",
        "DCAT-AP 3.0.1 shapes_recommended.ttl: Less than 1 values on",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_description_is_caught(metadata, shapes, case):
    change, severity, message = BROKEN[case]
    broken = Graph()
    broken += metadata
    change(broken)
    report = validate.validate_units([(validate.METADATA_UNIT, broken)], shapes)
    found = [r for r in report.results if r.severity == severity and message in r.message]
    assert found, validate.summary(report)
    assert all(r.blocking for r in found)
    assert not report.conforms  # a recommended warning stops the build as well
    text = validate.summary(report)
    assert text.startswith("does not conform:") and message in text
    if severity == "Warning":
        assert "(blocks the build)" in text and "1 of them blocking" in text.splitlines()[0]


def test_validate_reads_a_catalogue_file_as_the_metadata_unit(built):
    _, out = built
    ontology = Graph()
    units = validate.units_of_files(SITE, [out / "void.ttl"], ontology)
    assert [name for name, _ in units] == [validate.METADATA_UNIT]


# --- missing shapes are an error, never skipped --------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_a_missing_shape_file_is_an_error(tmp_path, name):
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes")
    (tmp_path / "shapes" / "dcat-ap-3.0.1" / name).unlink()
    with pytest.raises(ValueError, match=rf"dcat-ap-3\.0\.1/{name}: missing"):
        validate.load_shapes(SITE, tmp_path / "shapes")


@pytest.mark.slow
def test_a_missing_shape_file_fails_the_build(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "shapes" / "dcat-ap-3.0.1" / "range.ttl").unlink()
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "build", "--root", str(project), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "range.ttl: missing" in done.stderr and "nothing written" in done.stderr
    assert not out.exists()


def test_validate_without_the_dcat_ap_shapes_fails(tmp_path, built):
    _, out = built
    root = tmp_path / "root"
    shutil.copytree(ROOT / "shapes", root / "shapes")
    shutil.copytree(ROOT / "ontology", root / "ontology")
    shutil.rmtree(root / "shapes" / "dcat-ap-3.0.1")
    done = subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "validate", "--root", str(root), "--dist", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2 and "shapes.ttl: missing" in done.stderr, done.stdout + done.stderr
