"""Triples: the ontology graph, the reference graph (code lists, periods, reports,
units) and one graph per report (its qb:DataSet and observations).

Pure functions from parsed inputs to rdflib graphs; every URI is a function of
keys (codes, years, measures), so the same inputs always give the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from hotline_kg.rdf.observations import Observation, kebab, period_path
from hotline_kg.rdf.reference import Code
from hotline_kg.rdf.vocab import (
    DCTERMS,
    ORG,
    OWL,
    PROV,
    QB,
    RDF,
    RDFS,
    REF_MONTH,
    REF_YEAR,
    SDMX_ATTRIBUTE,
    SDMX_MEASURE,
    SKOS,
    TIME,
    WIKIDATA,
    WIKIDATA_DIRECT,
    XSD,
    Site,
)
from hotline_kg.schema import UNITS

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: Code lists (skos:ConceptScheme): slug → (zh, en) labels.
SCHEMES = {
    "subjects": ("统计对象代码表", "Subjects of the hotline figures"),
    "categories": ("诉求分类", "Request categories and subcategories"),
    "districts": ("北京市各区", "Districts of Beijing"),
    "handlers": ("承办单位", "Handling bodies"),
    "topics": ("每月一题问题", "Monthly topics (每月一题)"),
    "channels": ("受理渠道", "Channels"),
    "levels": ("行政层级", "Administrative levels"),
    "units": ("计量单位", "Units"),
}
QUDT_PERCENT = URIRef("http://qudt.org/vocab/unit/PERCENT")
#: P442 "China administrative division code": how Wikidata gives a GB/T 2260 code (a plain string)
WIKIDATA_GB_CODE = WIKIDATA_DIRECT["P442"]


def gb_code_note(code: str) -> dict[str, str]:
    """The note on a district (en, zh) that names the property its GB/T 2260 code is given with."""
    return {
        "en": f"{code} is this district's GB/T 2260 administrative division code, given as hl:gbCode, skos:notation "
        f"and wdt:P442: Wikidata's property P442, “China administrative division code” ({WIKIDATA_GB_CODE}). "
        f"The code is also the last segment of this URI.",
        "zh": f"{code} 是本区的 GB/T 2260 行政区划代码，以 hl:gbCode、skos:notation 和 wdt:P442 给出；"
        f"wdt:P442 即 Wikidata 的属性 P442（中国行政区划代码，{WIKIDATA_GB_CODE}）。该代码也是本 URI 的最后一段。",
    }


@dataclass(frozen=True)
class Source:
    """One report as data/raw/sources.csv describes it."""

    year: int
    file: str
    sha256: str
    title_zh: str
    title_en: str
    publisher_zh: str
    publisher_en: str


def ontology_graph(site: Site, path: Path) -> Graph:
    """The ontology: its terms in the fixed vocabulary namespace, its data IRIs under the base URI."""
    graph = Graph()
    graph.parse(data=site.rebase(path.read_text(encoding="utf-8")), format="turtle", publicID=site.base)
    return graph


def labelled(graph: Graph, node: URIRef, zh: str, en: str, *also: URIRef) -> None:
    """Chinese and English labels, under rdfs:label and each further property given (skos:prefLabel, dct:title)."""
    for prop in (RDFS.label, *also):
        graph.add((node, prop, Literal(zh, lang="zh")))
        graph.add((node, prop, Literal(en, lang="en")))


def reference_graph(
    site: Site,
    codes: Iterable[Code],
    close_matches: Iterable[tuple[str, str]],
    periods: Iterable[str],
    sources: Iterable[Source],
) -> Graph:
    """Code lists, periods, reports and units."""
    g = Graph()
    hl = site.hl
    for slug, (zh, en) in SCHEMES.items():
        scheme = site.id(f"scheme/{slug}")
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        labelled(g, scheme, zh, en, SKOS.prefLabel)
    for code in codes:
        _code(g, site, code)
    for a, b in close_matches:
        g.add((site.id(a), SKOS.closeMatch, site.id(b)))
    for period in periods:
        _period(g, site, period)
    for source in sources:
        _report(g, site, source)
    for unit in UNITS.values():
        node = site.id(f"unit/{unit.slug}")
        g.add((node, RDF.type, hl.Unit))
        g.add((node, RDF.type, SKOS.Concept))
        labelled(g, node, unit.label_zh, unit.label_en, SKOS.prefLabel)
        g.add((node, SKOS.inScheme, site.id("scheme/units")))
        g.add((node, SKOS.notation, Literal(unit.label_zh)))
        if unit.cases is not None:
            g.add((node, hl.casesPerUnit, Literal(Decimal(unit.cases), datatype=XSD.decimal)))
        if unit.slug == "percent":
            g.add((node, SKOS.exactMatch, QUDT_PERCENT))
    return g


def _code(g: Graph, site: Site, code: Code) -> None:
    hl = site.hl
    node = site.id(code.path)
    g.add((node, RDF.type, hl[code.kind]))
    g.add((node, RDF.type, SKOS.Concept))
    labelled(g, node, code.label_zh, code.label_en, SKOS.prefLabel)
    for alt in code.alt_zh:
        g.add((node, SKOS.altLabel, Literal(alt, lang="zh")))
    g.add((node, SKOS.inScheme, site.id(f"scheme/{code.scheme}")))
    if code.scheme != "levels":
        g.add((node, SKOS.inScheme, site.id("scheme/subjects")))
    if code.kind == "Category":
        g.add((node, SKOS.topConceptOf, site.id("scheme/categories")))
        g.add((site.id("scheme/categories"), SKOS.hasTopConcept, node))
    if code.broader:
        g.add((node, SKOS.broader, site.id(code.broader)))
        g.add((site.id(code.broader), SKOS.narrower, node))
    if code.note_en:
        g.add((node, SKOS.scopeNote, Literal(code.note_en, lang="en")))
    if code.note_zh:
        g.add((node, SKOS.scopeNote, Literal(code.note_zh, lang="zh")))
    links = code.links
    if "gbCode" in links:
        gb = links["gbCode"]
        g.add((node, hl.gbCode, Literal(gb)))
        g.add((node, SKOS.notation, Literal(gb)))
        g.add((node, WIKIDATA_GB_CODE, Literal(gb)))
        for lang, note in gb_code_note(gb).items():
            g.add((node, SKOS.note, Literal(note, lang=lang)))
    if "wikidata" in links:
        g.add((node, SKOS.exactMatch, WIKIDATA[links["wikidata"]]))
    for prop in ("district", "level", "topic", "handler"):
        if prop in links:
            g.add((node, hl[prop], site.id(links[prop])))
    if code.kind in ("CityDepartment", "StateOwnedEnterprise", "DistrictBody"):
        g.add((node, RDF.type, hl.Handler))
        g.add((node, RDF.type, ORG.Organization))
    if code.kind == "MonthlyTopic":
        g.add((node, hl.year, site.id(f"year/{code.path.split('/')[1]}")))


def _period(g: Graph, site: Site, period: str) -> None:
    hl = site.hl
    node = site.id(period_path(period))
    g.add((node, RDF.type, TIME.Interval))
    if len(period) == 4:
        g.add((node, RDF.type, hl.Year))
        labelled(g, node, f"{period}年", period)
        g.add((node, OWL.sameAs, URIRef(REF_YEAR + period)))
        g.add((node, TIME.hasXSDDuration, Literal("P1Y", datatype=XSD.duration)))
        return
    year, month = period.split("-")
    g.add((node, RDF.type, hl.Month))
    labelled(g, node, f"{year}年{int(month)}月", f"{MONTHS_EN[int(month) - 1]} {year}")
    g.add((node, OWL.sameAs, URIRef(REF_MONTH + period)))
    g.add((node, TIME.hasXSDDuration, Literal("P1M", datatype=XSD.duration)))
    g.add((node, hl.year, site.id(f"year/{year}")))
    g.add((node, DCTERMS.isPartOf, site.id(f"year/{year}")))


def publisher_path(source: Source) -> str:
    return "agent/" + "-".join(source.publisher_en.lower().split())


def _report(g: Graph, site: Site, source: Source) -> None:
    hl = site.hl
    node = site.id(f"report/{source.year}")
    g.add((node, RDF.type, hl.Report))
    g.add((node, RDF.type, PROV.Entity))
    labelled(g, node, source.title_zh, source.title_en, DCTERMS.title)
    g.add((node, hl.year, site.id(f"year/{source.year}")))
    publisher = site.id(publisher_path(source))
    g.add((node, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, PROV.Organization))
    g.add((publisher, RDF.type, PROV.Agent))
    labelled(g, publisher, source.publisher_zh, source.publisher_en)
    g.add((node, DCTERMS.identifier, Literal(f"data/raw/{source.file}")))


def report_graph(site: Site, ontology: Graph, source: Source, obs: Iterable[Observation]) -> Graph:
    """The qb:DataSet of one report and its observations."""
    g = Graph()
    hl = site.hl
    dataset = site.id(f"dataset/{source.year}")
    report = site.id(f"report/{source.year}")
    g.add((dataset, RDF.type, QB.DataSet))
    g.add((dataset, RDF.type, PROV.Entity))
    labelled(g, dataset, f"{source.title_zh}数据", f"Figures of the {source.title_en}", DCTERMS.title)
    g.add((dataset, QB.structure, site.id("structure/hotline")))
    g.add((dataset, hl.report, report))
    g.add((dataset, PROV.wasDerivedFrom, report))
    g.add((dataset, DCTERMS.temporal, site.id(f"year/{source.year}")))
    for o in obs:
        _observation(g, site, ontology, dataset, report, o)
    return g


def _observation(g: Graph, site: Site, ontology: Graph, dataset: URIRef, report: URIRef, o: Observation) -> None:
    hl = site.hl
    node = site.id(o.path)
    measure = site.id(f"measure/{kebab(o.measure)}")
    g.add((node, RDF.type, QB.Observation))
    g.add((node, RDF.type, hl.Observation))
    g.add((node, QB.dataSet, dataset))
    g.add((node, hl.refPeriod, site.id(period_path(o.period))))
    for source in o.period_sources:
        g.add((node, hl.periodSource, site.id(f"period-source/{source}")))
    g.add((node, hl.subject, site.id(o.subject.path)))
    g.add((node, hl.measure, measure))
    g.add((node, SDMX_MEASURE.obsValue, Literal(o.value, datatype=XSD.decimal)))
    g.add((node, SDMX_ATTRIBUTE.unitMeasure, site.id(f"unit/{o.unit.slug}")))
    g.add((node, hl.printedValue, Literal(o.printed)))
    if o.cases is not None:
        g.add((node, hl.cases, Literal(_plain(o.cases), datatype=XSD.decimal)))
    if o.approximate:
        g.add((node, hl.approximate, Literal(True)))
    if o.share_of:
        g.add((node, hl.shareOf, site.id(o.share_of)))
    if o.base_period:
        g.add((node, hl.basePeriod, site.id(period_path(o.base_period))))
    for q in o.qualifiers:
        g.add((node, hl.qualifier, Literal(q, lang="zh")))
    g.add((node, PROV.wasDerivedFrom, report))
    g.add((node, hl.report, report))
    for line, page, quote in o.sources:
        # xsd:integer, not xsd:positiveInteger: Oxigraph stores a derived type as xsd:integer, and the
        # endpoint must answer the terms the dumps hold (the shapes ask for 1 or more)
        g.add((node, hl.sourceLine, Literal(line, datatype=XSD.integer)))
        if page is not None:
            g.add((node, hl.sourcePage, Literal(page, datatype=XSD.integer)))
        g.add((node, hl.quote, Literal(quote, lang="zh")))
    label = {}
    for lit in ontology.objects(measure, RDFS.label):
        label[lit.language or ""] = str(lit)
    period_zh = f"{o.period[:4]}年" + (f"{int(o.period[5:])}月" if len(o.period) > 4 else "")
    period_en = o.period
    labelled(
        g,
        node,
        f"{o.subject.label_zh} {period_zh} {label['zh']}",
        f"{o.subject.label_en}, {period_en}, {label['en']}",
    )


def _plain(value: Decimal) -> Decimal:
    """A whole count as an integer decimal, never in exponent form (1.4E+6)."""
    return Decimal(int(value)) if value == value.to_integral_value() else value
