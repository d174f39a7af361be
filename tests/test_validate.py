"""SHACL shapes: the built graph conforms; every kind of bad data is caught with the
expected message and severity; the shapes themselves are valid SHACL."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, RDFS, SKOS, XSD

from conftest import HL, ROOT, SITE
from hotline_kg import validate
from hotline_kg.rdf.vocab import PROV, SDMX_ATTRIBUTE, SDMX_MEASURE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report_unit(built) -> Graph:
    """Ontology + reference + the 2024 report: what validation sees for one report."""
    result, _ = built
    units = dict(validate.built_units(SITE, result.graphs, None))
    return units["report/2024"]


@pytest.fixture(scope="module")
def tops(built) -> Graph:
    """Ontology + reference + the 2022 report (it has the topic handlers)."""
    result, _ = built
    return dict(validate.built_units(SITE, result.graphs, None))["report/2022"]


def validate_changed(
    shapes: list[Graph], graph: Graph, change: Callable[[Graph], None], only: str | None = None
) -> list[validate.Result]:
    """The results of validating ``graph`` with ``change`` made; with ``only``, the results of
    that shapes file alone (each file is applied on its own, so they are the same as its part
    of the whole validation: a test that looks for one file's message need not wait for the
    others)."""
    copy = Graph()
    copy += graph
    change(copy)
    chosen = [s for s in shapes if only is None or getattr(s, "name", None) == only]
    assert chosen, f"no shapes file {only}"
    return validate.validate_units([("test", copy)], chosen).results


#: The shapes files: the structure of each resource, and the figures' consistency (SHACL-SPARQL).
CORE, CONSISTENCY = "core.ttl", "consistency.ttl"


def found(results: list[validate.Result], severity: str, text: str) -> bool:
    return any(r.severity == severity and text in r.message for r in results)


def obs(subject: str, measure: str, period: str, year: str = "2024") -> URIRef:
    return SITE.id(f"obs/{year}/{subject}/{measure}/{period}")


def set_figure(g: Graph, node: URIRef, printed: str) -> None:
    """Change a figure everywhere the graph states it, as if the report had printed it so."""
    old = str(g.value(node, HL.printedValue))
    sign = -1 if g.value(node, SDMX_MEASURE.obsValue).toPython() < 0 else 1
    g.set((node, HL.printedValue, Literal(printed)))
    g.set((node, SDMX_MEASURE.obsValue, Literal(Decimal(printed) * sign, datatype=XSD.decimal)))
    k = g.value(g.value(node, SDMX_ATTRIBUTE.unitMeasure), HL.casesPerUnit)
    if k is not None and g.value(node, HL.cases) is not None:
        g.set((node, HL.cases, Literal(Decimal(printed) * k.toPython(), datatype=XSD.decimal)))
    for quote in list(g.objects(node, HL.quote)):
        g.remove((node, HL.quote, quote))
        g.add((node, HL.quote, Literal(str(quote).replace(old, printed), lang="zh")))


# --- the real graph -------------------------------------------------------------------------------


def test_the_built_graph_conforms(built, shapes):
    result, out = built
    metadata = Graph().parse(out / "void.ttl")
    report = validate.validate_units(validate.built_units(SITE, result.graphs, metadata), shapes)
    assert report.conforms, validate.summary(report)
    assert set(report.timings) == {"reference", "report/2022", "report/2024", "metadata"}
    for warning in report.results:
        assert warning.severity == "Warning" and any(ch.isdigit() for ch in warning.message)


def test_shapes_are_valid_shacl():
    meta = Graph().parse(Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl")
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        conforms, _, text = pyshacl.validate(Graph().parse(path, publicID=SITE.base), shacl_graph=meta)
        assert conforms, f"{path.name}:\n{text}"


def test_every_shape_has_a_message_and_every_targeting_shape_a_label(shapes):
    from rdflib.namespace import SH

    whole = validate.merged(shapes)
    inner = set(whole.objects(None, SH.property)) | set(whole.objects(None, SH["not"]))
    inner |= set(whole.objects(None, SH.qualifiedValueShape)) | set(whole.objects(None, SH.sparql))
    for members in whole.objects(None, SH["or"]):
        inner |= set(whole.items(members))
    node_shapes = set(whole.subjects(RDF.type, SH.NodeShape))
    for shape in inner | node_shapes:
        messages = set(whole.objects(shape, SH.message))
        if not messages and shape in node_shapes:
            # a node shape speaks through its property shapes and constraints
            assert list(whole.objects(shape, SH.property)) or list(whole.objects(shape, SH.sparql)), shape
            continue
        assert messages, shape
    for shape in node_shapes:
        targets = [p for p in (SH.targetClass, SH.targetObjectsOf, SH.targetNode) if whole.value(shape, p)]
        if targets:
            assert whole.value(shape, RDFS.label) is not None, shape


# --- structure (sh:Violation) ---------------------------------------------------------------------

CATEGORY = SITE.id("category/market-management")
REQUESTS = obs("category/market-management", "requests", "2024")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g.remove((CATEGORY, RDFS.label, Literal("市场管理", lang="zh"))), "Needs a Chinese label"),
        (lambda g: g.remove((CATEGORY, RDFS.label, None)), "Needs an English label"),
        (
            lambda g: g.set((REQUESTS, SDMX_MEASURE.obsValue, Literal(445.2, datatype=XSD.double))),
            "an xsd:decimal — never a float",
        ),
        (lambda g: g.remove((REQUESTS, SDMX_ATTRIBUTE.unitMeasure, None)), "exactly one unit"),
        (lambda g: g.remove((REQUESTS, HL.sourceLine, None)), "names the line(s) of the report text"),
        (lambda g: g.remove((REQUESTS, PROV.wasDerivedFrom, None)), "names the report it was derived from"),
        (lambda g: g.remove((REQUESTS, HL.quote, None)), "quotes the sentence"),
        (lambda g: g.add((REQUESTS, HL.subject, SITE.id("district/110101"))), "exactly one subject"),
        (lambda g: g.remove((REQUESTS, HL.refPeriod, None)), "exactly one period"),
        (lambda g: g.set((REQUESTS, HL.printedValue, Literal("445,2"))), "keeps the figure exactly as printed"),
        (
            lambda g: g.set((SITE.id("district/110101"), HL.gbCode, Literal("11010X"))),
            "GB/T 2260 code: six digits",
        ),
        (
            lambda g: g.add((SITE.id("district/110102"), SKOS.exactMatch, URIRef("https://www.wikidata.org/wiki/Q1"))),
            "at most one Wikidata item IRI",
        ),
        (
            lambda g: g.remove((SITE.id("category/market-management/online-trading"), SKOS.broader, None)),
            "exactly one broader concept",
        ),
        (lambda g: g.remove((SITE.id("month/2024-11"), HL.year, None)), "A month belongs to exactly one year"),
        (lambda g: g.remove((SITE.id("district/110101"), SKOS.inScheme, None)), "belongs to a code list"),
    ],
    ids=[
        "no-zh-label",
        "no-en-label",
        "float-value",
        "no-unit",
        "no-source-line",
        "no-provenance",
        "no-quote",
        "two-subjects",
        "no-period",
        "bad-printed-value",
        "bad-gb-code",
        "bad-wikidata-link",
        "subcategory-orphan",
        "month-without-year",
        "code-without-scheme",
    ],
)
def test_structure_violations(shapes, report_unit, change, message):
    results = validate_changed(shapes, report_unit, change, only=CORE)
    assert found(results, "Violation", message), [r.message for r in results]


def test_share_of_140_percent(shapes, report_unit):
    share = obs("district/110101", "share", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, share, "140.0"), only=CORE)
    assert found(results, "Violation", "A share or rate must lie within 0 … 100 %")


def test_negative_count(shapes, report_unit):
    results = validate_changed(
        shapes, report_unit, lambda g: g.set((REQUESTS, SDMX_MEASURE.obsValue, Literal(Decimal("-445.2")))), only=CORE
    )
    assert found(results, "Violation", "is never negative")


def test_fall_of_more_than_100_percent(shapes, report_unit):
    yoy = obs("category/private-training-institutions", "yoy-change", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, yoy, "150.8"), only=CORE)
    assert found(results, "Violation", "cannot fall by more than 100 %")


def test_metadata_distribution_without_size(built, shapes):
    _, out = built
    metadata = Graph().parse(out / "void.ttl")
    dist = next(metadata.objects(SITE.id("dataset/hotline"), DCAT.distribution))
    results = validate_changed(shapes, metadata, lambda g: g.remove((dist, DCAT.byteSize, None)))
    assert found(results, "Violation", "exactly one size in bytes")


# --- figure integrity (sh:Violation): a figure changed in the graph ------------------------------------


def test_changed_value(shapes, report_unit):
    results = validate_changed(
        shapes,
        report_unit,
        lambda g: g.set((REQUESTS, SDMX_MEASURE.obsValue, Literal(Decimal("445.3")))),
        only=CONSISTENCY,
    )
    assert found(results, "Violation", "the value 445.3 is not the printed figure 445.2")


def test_changed_value_and_printed_figure(shapes, report_unit):
    def change(g: Graph) -> None:
        g.set((REQUESTS, SDMX_MEASURE.obsValue, Literal(Decimal("545.2"))))
        g.set((REQUESTS, HL.printedValue, Literal("545.2")))

    results = validate_changed(shapes, report_unit, change, only=CONSISTENCY)
    assert found(results, "Violation", "the printed figure 545.2 does not occur in any sentence")


def test_cases_that_do_not_follow_the_unit(shapes, report_unit):
    results = validate_changed(
        shapes, report_unit, lambda g: g.set((REQUESTS, HL.cases, Literal(Decimal(445)))), only=CONSISTENCY
    )
    assert found(results, "Violation", "445 cases, but the value 445.2 in its unit makes")


# --- the report's arithmetic (sh:Warning) ---------------------------------------------------------------


def test_subcategory_larger_than_its_category(shapes, report_unit):
    sub = obs("category/market-management/online-trading", "requests", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, sub, "500.0"))
    assert found(results, "Warning", "网络交易 (500.0 万件) exceeds its category 市场管理 (445.2 万件)")
    assert not found(results, "Violation", "")


def test_district_parts_that_do_not_add_up(shapes, report_unit):
    part = obs("district/110101/district-level-departments", "requests", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, part, "31.0"), only=CONSISTENCY)
    assert found(results, "Warning", "东城区 2024年: the district-level and street/township parts add up to 341000")


def test_districts_that_do_not_add_up_to_the_sixteen(shapes, report_unit):
    district = obs("district/110101", "requests", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, district, "43.1"), only=CONSISTENCY)
    assert found(results, "Warning", "十六区 2024年: its districts (16) add up to")


def test_channels_that_do_not_add_up(shapes, report_unit):
    phone = obs("channel/telephone-channel", "requests", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, phone, "2000.0"), only=CONSISTENCY)
    assert found(results, "Warning", "its channels (2) add up to")


def test_monthly_topics_that_do_not_add_up(shapes, report_unit):
    topic = SITE.id("obs/2024/topic/2024/standardising-property-services/requests/2024")
    assert (topic, None, None) in report_unit, "the topic's observation (see data/reference/topics.csv)"
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, topic, "396193"), only=CONSISTENCY)
    assert found(results, "Warning", "its monthly topics (13) add up to")


def test_top_handlers_exceeding_their_topic(shapes, tops):
    handling = sorted(tops.subjects(RDF.type, HL.TopicHandling))[0]
    topic_total = next(tops.subjects(HL.subject, tops.value(handling, HL.topic)))
    handled = next(tops.subjects(HL.subject, handling))
    twice = str(int(tops.value(topic_total, SDMX_MEASURE.obsValue).toPython()) * 2)
    results = validate_changed(shapes, tops, lambda g: set_figure(g, handled, twice), only=CONSISTENCY)
    assert found(results, "Warning", "its listed handlers handled")


def test_share_that_disagrees_with_the_counts(shapes, report_unit):
    share = obs("district/110101", "share", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, share, "9.6"), only=CONSISTENCY)
    assert found(results, "Warning", "东城区 2024年: stated share 9.6% of 十六区, but 33.1 ÷ 720.4 =")


def test_shares_that_do_not_add_up_to_100(shapes, report_unit):
    share = obs("channel/online-channel", "share", "2024")
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, share, "23.3"), only=CONSISTENCY)
    assert found(results, "Warning", "the shares of its channels add up to 110%, not 100%")


# --- corruptions that keep the figure printed somewhere -------------------------------------------------


def test_sign_flipped_against_the_printed_direction(shapes, report_unit):
    yoy = obs("category/market-management", "yoy-change", "2024")
    results = validate_changed(
        shapes, report_unit, lambda g: g.set((yoy, SDMX_MEASURE.obsValue, Literal(Decimal("-21.7")))), only=CONSISTENCY
    )
    assert found(results, "Violation", "has the wrong sign for the printed direction 上升")


def test_printed_figure_must_stand_as_a_whole_number_in_the_quote(shapes, report_unit):
    share = obs("district/110101", "share", "2024")
    results = validate_changed(
        shapes,
        report_unit,
        lambda g: (
            g.set((share, HL.printedValue, Literal("4"))),
            g.set((share, SDMX_MEASURE.obsValue, Literal(Decimal("4")))),
        ),
        only=CONSISTENCY,
    )
    assert found(results, "Violation", "the printed figure 4 does not occur in any sentence")


def test_unit_that_does_not_fit_the_measure(shapes, report_unit):
    results = validate_changed(
        shapes,
        report_unit,
        lambda g: g.set((REQUESTS, SDMX_ATTRIBUTE.unitMeasure, SITE.id("unit/percent"))),
        only=CONSISTENCY,
    )
    assert found(results, "Violation", "does not fit the measure")


def test_two_observations_for_one_key(shapes, report_unit):
    other = obs("district/110102", "requests", "2024")
    results = validate_changed(
        shapes, report_unit, lambda g: g.set((other, HL.subject, SITE.id("district/110101"))), only=CONSISTENCY
    )
    assert found(results, "Violation", "another observation of this data set has the same period, subject and measure")


def test_observation_moved_to_another_report(shapes, report_unit):
    results = validate_changed(
        shapes,
        report_unit,
        lambda g: (
            g.set((REQUESTS, HL.report, SITE.id("report/2022"))),
            g.set((REQUESTS, PROV.wasDerivedFrom, SITE.id("report/2022"))),
        ),
        only=CONSISTENCY,
    )
    assert found(results, "Violation", "but its data set is derived from")


def test_a_source_page_is_optional_and_an_integer_of_1_or_more(shapes, report_unit):
    page = Literal(7, datatype=XSD.integer)
    results = validate_changed(shapes, report_unit, lambda g: g.add((REQUESTS, HL.sourcePage, page)))
    assert not [r.message for r in results if r.severity == "Violation"]
    for bad in (Literal("0", datatype=XSD.integer), Literal("7"), Literal(7, datatype=XSD.positiveInteger)):
        results = validate_changed(
            shapes, report_unit, lambda g, bad=bad: g.add((REQUESTS, HL.sourcePage, bad)), only=CORE
        )
        assert found(results, "Violation", "(hl:sourcePage; optional, at most one per source line)"), bad


def test_more_source_pages_than_source_lines(shapes, report_unit):
    def two_pages(g: Graph) -> None:
        g.add((REQUESTS, HL.sourcePage, Literal(7, datatype=XSD.integer)))
        g.add((REQUESTS, HL.sourcePage, Literal(8, datatype=XSD.integer)))

    assert len(set(report_unit.objects(REQUESTS, HL.sourceLine))) == 1
    results = validate_changed(shapes, report_unit, two_pages, only=CONSISTENCY)
    assert found(results, "Violation", "市场管理 2024年 诉求量: 2 source pages for 1 source line(s)"), [
        r.message for r in results
    ]


def test_category_replaced_by_another_figure_of_its_sentence(shapes, report_unit):
    results = validate_changed(shapes, report_unit, lambda g: set_figure(g, REQUESTS, "285.5"), only=CONSISTENCY)
    assert found(results, "Warning", "市场管理 2024年: its listed subcategories add up to")


# --- the remaining core shapes -----------------------------------------------------------------------------------

REPORT = SITE.id("report/2024")
DATASET = SITE.id("dataset/2024")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g.remove((REPORT, URIRef("http://purl.org/dc/terms/publisher"), None)), "names its publisher"),
        (lambda g: g.remove((REPORT, HL.year, None)), "A report covers exactly one year"),
        (
            lambda g: g.remove((DATASET, URIRef("http://purl.org/linked-data/cube#structure"), None)),
            "exactly one structure",
        ),
        (
            lambda g: g.remove((REQUESTS, URIRef("http://purl.org/linked-data/cube#dataSet"), None)),
            "exactly one data set",
        ),
        (lambda g: g.remove((REQUESTS, HL.measure, None)), "exactly one measure"),
        (lambda g: g.add((REQUESTS, HL.cases, Literal(Decimal(-1)))), "never negative"),
        (
            lambda g: g.set((SITE.id("unit/cases"), HL.casesPerUnit, Literal(Decimal(0)))),
            "positive decimal number of cases",
        ),
        (
            lambda g: g.remove((SITE.id("district/110101/district-level-departments"), HL.level, None)),
            "exactly one administrative level",
        ),
        (
            lambda g: g.remove((SITE.id("year/2024"), URIRef("http://www.w3.org/2002/07/owl#sameAs"), None)),
            "reference.data.gov.uk year",
        ),
    ],
    ids=[
        "report-publisher",
        "report-year",
        "dataset-structure",
        "obs-dataset",
        "obs-measure",
        "negative-cases",
        "unit-zero",
        "body-level",
        "year-link",
    ],
)
def test_more_structure_violations(shapes, report_unit, change, message):
    results = validate_changed(shapes, report_unit, change, only=CORE)
    assert found(results, "Violation", message), [r.message for r in results]


def test_topic_handling_without_its_topic(shapes, tops):
    handling = sorted(tops.subjects(RDF.type, HL.TopicHandling))[0]
    results = validate_changed(shapes, tops, lambda g: g.remove((handling, HL.topic, None)), only=CORE)
    assert found(results, "Violation", "names exactly one monthly topic")


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        (DCAT.downloadURL, "exactly one download URL"),
        (DCAT.mediaType, "exactly one media type"),
        (URIRef("http://spdx.org/rdf/terms#checksum"), "SHA-256 checksum"),
    ],
)
def test_metadata_distribution_parts(built, shapes, prop, message):
    _, out = built
    metadata = Graph().parse(out / "void.ttl")
    dist = sorted(metadata.objects(SITE.id("dataset/hotline"), DCAT.distribution))[0]
    results = validate_changed(shapes, metadata, lambda g: g.remove((dist, prop, None)))
    assert found(results, "Violation", message)


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        (URIRef("http://purl.org/dc/terms/license"), "names its licence"),
        (URIRef("http://rdfs.org/ns/void#sparqlEndpoint"), "names its SPARQL endpoint"),
        (URIRef("http://purl.org/dc/terms/issued"), "one issue date"),
        (URIRef("http://purl.org/dc/terms/source"), "names the reports it comes from"),
    ],
)
def test_metadata_dataset_parts(built, shapes, prop, message):
    _, out = built
    metadata = Graph().parse(out / "void.ttl")
    results = validate_changed(shapes, metadata, lambda g: g.remove((SITE.id("dataset/hotline"), prop, None)))
    assert found(results, "Violation", message)
