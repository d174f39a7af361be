"""Dataset metadata in VoID and DCAT: what the dataset is, where it comes from, how big it is,
and where to get it (every file of the build with its size and checksum, the SPARQL endpoint).

The catalogue description conforms to the European application profile DCAT-AP 3.0.1, whose
shapes (shapes/dcat-ap-3.0.1/) every build checks it against: file types, languages, licence,
access rights, frequency, themes and availability come from the controlled vocabularies of the
EU Publications Office, media types from IANA, and every resource the description points to
carries the class the profile's range shapes ask for (a licence is a dct:LicenseDocument, a
media type a dct:MediaType …). The VoID description stands beside it, unchanged.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, GEO

from hotline_kg import formats
from hotline_kg.rdf.graphs import Source, labelled, publisher_path
from hotline_kg.rdf.vocab import (
    DCAT,
    DCTERMS,
    IANA_MEDIA,
    NAMESPACES,
    PROV,
    QB,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VOID,
    WIKIDATA,
    XSD,
    Site,
)

VCARD = Namespace(NAMESPACES["vcard"])
DCATAP = Namespace("http://data.europa.eu/r5r/")
#: The authority tables (controlled vocabularies) of the EU Publications Office.
EU = "http://publications.europa.eu/resource/authority/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"

#: First publication of this edition.
ISSUED = dt.date(2026, 11, 22)
TITLE = (
    "北京12345市民服务热线年度报告数据（关联开放数据版）",
    "Beijing 12345 citizen-service hotline annual reports as linked open data",
)
DESCRIPTION = (
    "北京12345市民服务热线年度报告中陈述的每一项数据：受理总量、渠道、办理方式、"
    "诉求分类及子类、各区及承办单位、“每月一题”、解决率与满意率、同比变化。"
    "每项数据均为 RDF Data Cube 观测值，注明出处报告、行号与原文。",
    "Every figure stated in the annual reports of Beijing's 12345 citizen-service hotline: requests received, "
    "channels, dispositions, categories and subcategories, districts and handling bodies, the monthly topics "
    "(每月一题), resolution and satisfaction rates, and year-on-year changes. Each figure is an RDF Data Cube "
    "observation that names its report, line and quoted sentence.",
)
CATALOGUE = ("hotline-kg 数据目录", "hotline-kg catalogue")
CATALOGUE_DESCRIPTION = (
    "hotline-kg 发布的数据集、其下载文件与 SPARQL 查询服务。",
    "The dataset hotline-kg publishes, its downloads and its SPARQL query service.",
)
SERVICE = ("SPARQL 查询服务", "SPARQL endpoint")
SERVICE_DESCRIPTION = (
    "只读 SPARQL 1.1 查询服务，提供本数据集的全部命名图；不带查询的请求返回其服务描述。",
    "A read-only SPARQL 1.1 query service over every named graph of the dataset; "
    "a request without a query returns its service description.",
)
RIGHTS = (
    Literal(
        "The figures come from the published reports of the Beijing 12345 hotline; "
        "this edition's modelling, code lists and links are CC BY 4.0.",
        lang="en",
    ),
    Literal(
        "数据来源于北京12345市民服务热线公开发布的年度报告；本版本的建模、代码表与链接以 CC BY 4.0 许可发布。",
        lang="zh",
    ),
)
KEYWORDS = ("12345", "citizen service hotline", "Beijing", "市民服务热线", "接诉即办")
REPORT_KEYWORDS = ("12345", "annual report", "Beijing", "市民服务热线", "年度报告")
SERVICE_KEYWORDS = ("SPARQL", "12345", "Beijing", "市民服务热线")

#: CC BY 4.0 as the EU licence table names it, and the licence's own page.
LICENSE = URIRef(EU + "licence/CC_BY_4_0")
LICENSE_DEED = URIRef("https://creativecommons.org/licenses/by/4.0/")
PUBLIC = URIRef(EU + "access-right/PUBLIC")
ANNUAL = URIRef(EU + "frequency/ANNUAL")
AVAILABLE = URIRef(EU + "planned-availability/AVAILABLE")
LANGUAGES = {
    URIRef(EU + "language/ZHO"): ("中文", "Chinese"),
    URIRef(EU + "language/ENG"): ("英文", "English"),
}
#: Themes of the EU data-theme table: the city's public service, and what its residents ask of it.
THEMES = (URIRef(EU + "data-theme/GOVE"), URIRef(EU + "data-theme/SOCI"))
#: The project publishes the edition; the hotline publishes the reports it is read from.
PROJECT_TYPE = URIRef(ADMS_PUBLISHER_TYPE + "NonProfitOrganisation")
REPORT_PUBLISHER_TYPE = URIRef(ADMS_PUBLISHER_TYPE + "RegionalAuthority")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")

#: Code lists the concepts used here come from: scheme → (zh, en) title.
SCHEMES = {
    URIRef(EU + "data-theme"): ("数据主题（欧盟出版局）", "Data theme (EU Publications Office)"),
    URIRef(EU + "planned-availability"): ("计划可用性（欧盟出版局）", "Planned availability (EU Publications Office)"),
    URIRef(ADMS_LICENCE_TYPE + "1.1"): ("ADMS 许可类型", "ADMS licence type"),
    URIRef(ADMS_PUBLISHER_TYPE + "1.0"): ("ADMS 发布者类型", "ADMS publisher type"),
}
#: concept → (scheme, zh, en)
CONCEPTS = {
    THEMES[0]: (URIRef(EU + "data-theme"), "政府和公共部门", "Government and public sector"),
    THEMES[1]: (URIRef(EU + "data-theme"), "人口和社会", "Population and society"),
    AVAILABLE: (URIRef(EU + "planned-availability"), "可用", "available"),
    URIRef(ADMS_LICENCE_TYPE + "Attribution"): (URIRef(ADMS_LICENCE_TYPE + "1.1"), "署名", "Attribution"),
    PROJECT_TYPE: (URIRef(ADMS_PUBLISHER_TYPE + "1.0"), "非营利组织", "Non-Profit Organisation"),
    REPORT_PUBLISHER_TYPE: (URIRef(ADMS_PUBLISHER_TYPE + "1.0"), "地区政府机构", "Regional authority"),
}

BEIJING = WIKIDATA["Q956"]
#: Beijing Municipality in WKT (longitude first): its extent, 39°26′–41°03′ N and 115°25′–117°30′ E, and
#: its centre, 39°54′20″ N 116°25′29″ E, as published descriptions of the municipality give them.
BEIJING_BBOX = "POLYGON((115.4167 39.4333, 117.5 39.4333, 117.5 41.05, 115.4167 41.05, 115.4167 39.4333))"
BEIJING_CENTROID = "POINT(116.4247 39.9056)"

VOCABULARIES = tuple(NAMESPACES[p] for p in ("qb", "skos", "prov", "dcat", "dct", "org", "time", "sdmx-attribute"))


@dataclass(frozen=True)
class FileType:
    """A kind of file: its IANA media type, its code in the EU file-type table, and its name."""

    media: str
    eu: str
    name: str


#: The EU file type and the name of each kind of file, by the end of its name; its media type is
#: the format registry's (``hotline_kg.formats.FILE_TYPES``).
EU_FILE_TYPES = {
    ".ttl": ("RDF_TURTLE", "Turtle"),
    ".nt": ("RDF_N_TRIPLES", "N-Triples"),
    ".nq": ("RDF_N_QUADS", "N-Quads"),
    ".trig": ("RDF_TRIG", "TriG"),
    ".jsonld": ("JSON_LD", "JSON-LD"),
    ".rdf": ("RDF_XML", "RDF/XML"),
    ".csv": ("CSV", "CSV"),
    ".xlsx": ("XLSX", "Excel (XLSX)"),
    ".json": ("JSON", "JSON"),
    ".txt": ("TXT", "text"),
    "SHA256SUMS": ("TXT", "text (sha256sum)"),
}
#: Kinds of file by the end of their name (a ".gz" after it is the compression).
FILE_TYPES = {ending: FileType(formats.FILE_TYPES[ending], eu, name) for ending, (eu, name) in EU_FILE_TYPES.items()}
#: EU file type → the name of the format it stands for.
EU_FILE_TYPE_NAMES = {kind.eu: kind.name for kind in reversed(FILE_TYPES.values())}
#: A JSON file whose @context is CSV on the Web's: a table's CSVW metadata.
CSVW_METADATA = FileType(formats.CSVW_JSON, "JSON", "CSVW JSON")
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
#: Formats that keep the named graphs.
WITH_GRAPHS = ("RDF_N_QUADS", "RDF_TRIG", "JSON_LD")


def file_type(name: str, data: bytes) -> tuple[FileType, str]:
    """The kind of a file of the build and its compression media type (or ""), from its name
    (and, for JSON, whether it is CSV on the Web metadata). An unknown kind is an error: a file
    is never published under a guessed media type."""
    if found := formats.file_ending(name, FILE_TYPES):
        ending, compression = found
        kind = FILE_TYPES[ending]
        if kind.eu == "JSON" and _is_csvw(gzip.decompress(data) if compression else data):
            return CSVW_METADATA, compression
        return kind, compression
    raise ValueError(
        f"{name}: no media type known for this kind of file (known: {', '.join(FILE_TYPES)}, optionally .gz); "
        "add it to FILE_TYPES in hotline_kg/formats.py and EU_FILE_TYPES in hotline_kg/rdf/metadata.py"
    )


def _is_csvw(data: bytes) -> bool:
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    context = doc.get("@context") if isinstance(doc, dict) else None
    contexts = context if isinstance(context, list) else [context]
    return CSVW_CONTEXT in contexts


def metadata_graph(
    site: Site,
    graphs: dict[URIRef, Graph],
    whole: Graph,
    files: dict[str, bytes],
    sources: Iterable[Source],
    modified: dt.date,
    examples: Iterable[URIRef],
) -> Graph:
    """VoID and DCAT (DCAT-AP 3.0.1) for the dataset, the reports it is read from, every file
    of ``files`` (described by its name) and the SPARQL service."""
    g = Graph()
    sources = list(sources)
    dataset = site.id("dataset/hotline")
    service = site.id("service/sparql")
    project = site.id("project/hotline-kg")
    contact = site.id("project/hotline-kg/contact")
    home = site.at("")
    dates = (
        Literal(ISSUED.isoformat(), datatype=XSD.date),
        Literal(max(modified, ISSUED).isoformat(), datatype=XSD.date),
    )
    _vocabularies(g)
    _agent(g, project, "hotline-kg 项目", "hotline-kg project", PROJECT_TYPE)
    g.add((project, RDF.type, PROV.SoftwareAgent))
    _contact(g, contact, "hotline-kg", "hotline-kg")
    g.add((contact, VCARD.hasURL, home))
    g.add((home, RDF.type, FOAF.Document))
    labelled(g, home, "hotline-kg 主页", "hotline-kg home page")
    _catalogue(g, site.id("catalog"), dataset, service, project, home, dates)

    for node_type in (DCAT.Dataset, VOID.Dataset):
        g.add((dataset, RDF.type, node_type))
    labelled(g, dataset, *TITLE, DCTERMS.title)
    _described(g, dataset, *DESCRIPTION)
    _findable(g, dataset, project, contact, KEYWORDS)
    g.add((dataset, DCTERMS.creator, project))
    g.add((dataset, DCAT.landingPage, home))
    g.add((dataset, DCTERMS.license, LICENSE))
    g.add((dataset, DCTERMS.accrualPeriodicity, ANNUAL))
    for text in RIGHTS:
        g.add((dataset, DCTERMS.rights, text))
    g.add((dataset, DCTERMS.issued, dates[0]))
    g.add((dataset, DCTERMS.modified, dates[1]))
    g.add((dataset, DCTERMS.spatial, BEIJING))
    for language in LANGUAGES:
        g.add((dataset, DCTERMS.language, language))
    for source in sources:
        report = site.id(f"report/{source.year}")
        g.add((dataset, DCTERMS.source, report))
        g.add((dataset, PROV.wasDerivedFrom, report))
        g.add((dataset, DCTERMS.temporal, _year(g, site, source.year)))
    _void(g, site, dataset, graphs, whole, examples)
    distributions = {name: _distribution(g, site, dataset, name, data) for name, data in sorted(files.items())}
    for source in sources:
        own = [dist for name, dist in distributions.items() if _year_of(name) == source.year]
        _report(g, site, source, own)
    _service(g, site, service, dataset, project, contact)
    return g


def _catalogue(
    g: Graph,
    catalog: URIRef,
    dataset: URIRef,
    service: URIRef,
    project: URIRef,
    home: URIRef,
    dates: tuple[Literal, Literal],
) -> None:
    g.add((catalog, RDF.type, DCAT.Catalog))
    labelled(g, catalog, *CATALOGUE, DCTERMS.title)
    _described(g, catalog, *CATALOGUE_DESCRIPTION)
    g.add((catalog, DCTERMS.publisher, project))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, FOAF.homepage, home))
    g.add((catalog, DCTERMS.issued, dates[0]))
    g.add((catalog, DCTERMS.modified, dates[1]))
    g.add((catalog, DCTERMS.license, LICENSE))
    g.add((catalog, DCTERMS.spatial, BEIJING))
    g.add((catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme")))
    for language in LANGUAGES:
        g.add((catalog, DCTERMS.language, language))


def _findable(g: Graph, node: URIRef, publisher: URIRef, contact: URIRef, keywords: Iterable[str]) -> None:
    """What DCAT-AP recommends for finding a dataset or service: publisher, contact point,
    themes, keywords; and its access rights (public)."""
    g.add((node, DCTERMS.publisher, publisher))
    g.add((node, DCAT.contactPoint, contact))
    g.add((node, DCTERMS.accessRights, PUBLIC))
    for theme in THEMES:
        g.add((node, DCAT.theme, theme))
    for word in keywords:
        g.add((node, DCAT.keyword, Literal(word)))


def _void(
    g: Graph, site: Site, dataset: URIRef, graphs: dict[URIRef, Graph], whole: Graph, examples: Iterable[URIRef]
) -> None:
    """VoID: the endpoint, the URI space, vocabularies, examples, statistics and one subset per report."""
    g.add((dataset, VOID.sparqlEndpoint, site.at("sparql")))
    g.add((dataset, VOID.uriSpace, Literal(site.base + "id/")))
    g.add((dataset, VOID.rootResource, site.id("scheme/subjects")))
    for vocab in VOCABULARIES:
        g.add((dataset, VOID.vocabulary, URIRef(vocab)))
    g.add((dataset, VOID.vocabulary, URIRef(str(site.hl))))
    for example in examples:
        g.add((dataset, VOID.exampleResource, example))
    _statistics(g, site, dataset, whole)
    for name, graph in graphs.items():
        if (year := str(name).rsplit("/", 1)[-1]).isdigit():
            subset = site.id(f"dataset/{year}")
            g.add((dataset, VOID.subset, subset))
            g.add((subset, RDF.type, VOID.Dataset))
            g.add((subset, VOID.triples, Literal(len(graph))))
            g.add((subset, VOID.entities, Literal(len(set(graph.subjects(RDF.type, QB.Observation))))))
            g.add((subset, VOID.dataDump, site.at(f"dumps/report-{year}.ttl")))
            labelled(g, subset, f"{year}年报告数据", f"Figures of the {year} report", DCTERMS.title)


def _service(g: Graph, site: Site, service: URIRef, dataset: URIRef, project: URIRef, contact: URIRef) -> None:
    g.add((service, RDF.type, DCAT.DataService))
    labelled(g, service, *SERVICE, DCTERMS.title)
    _described(g, service, *SERVICE_DESCRIPTION)
    _findable(g, service, project, contact, SERVICE_KEYWORDS)
    g.add((service, DCAT.endpointURL, site.at("sparql")))
    g.add((service, DCAT.endpointDescription, site.at("sparql")))  # GET without a query: its service description
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    labelled(g, SPARQL_PROTOCOL, "SPARQL 1.1 协议", "SPARQL 1.1 Protocol")
    g.add((service, DCTERMS.license, LICENSE))


def _vocabularies(g: Graph) -> None:
    """The controlled-vocabulary values the description uses, with the classes DCAT-AP gives them."""
    for scheme, (zh, en) in SCHEMES.items():
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        labelled(g, scheme, zh, en, DCTERMS.title)
    for concept, (scheme, zh, en) in CONCEPTS.items():
        g.add((concept, RDF.type, SKOS.Concept))
        labelled(g, concept, zh, en, SKOS.prefLabel)
        g.add((concept, SKOS.inScheme, scheme))
    g.add((LICENSE, RDF.type, DCTERMS.LicenseDocument))
    labelled(g, LICENSE, "知识共享署名 4.0 国际许可协议（CC BY 4.0）", "Creative Commons Attribution 4.0 International")
    g.add((LICENSE, DCTERMS.type, URIRef(ADMS_LICENCE_TYPE + "Attribution")))
    g.add((LICENSE, FOAF.page, LICENSE_DEED))
    g.add((PUBLIC, RDF.type, DCTERMS.RightsStatement))
    labelled(g, PUBLIC, "公开", "public")
    g.add((ANNUAL, RDF.type, DCTERMS.Frequency))
    labelled(g, ANNUAL, "每年", "annual")
    for language, (zh, en) in LANGUAGES.items():
        g.add((language, RDF.type, DCTERMS.LinguisticSystem))
        labelled(g, language, zh, en)
    g.add((BEIJING, RDF.type, DCTERMS.Location))
    labelled(g, BEIJING, "北京市", "Beijing")
    g.add((BEIJING, DCAT.bbox, Literal(BEIJING_BBOX, datatype=GEO.wktLiteral)))
    g.add((BEIJING, DCAT.centroid, Literal(BEIJING_CENTROID, datatype=GEO.wktLiteral)))


def _described(g: Graph, node: URIRef, zh: str, en: str) -> None:
    """A description in Chinese and English (dct:description; not a label)."""
    g.add((node, DCTERMS.description, Literal(zh, lang="zh")))
    g.add((node, DCTERMS.description, Literal(en, lang="en")))


def _agent(g: Graph, node: URIRef, zh: str, en: str, kind: URIRef) -> None:
    for node_type in (FOAF.Agent, PROV.Agent):
        g.add((node, RDF.type, node_type))
    labelled(g, node, zh, en, FOAF.name)
    g.add((node, DCTERMS.type, kind))


def _contact(g: Graph, node: URIRef, zh: str, en: str) -> None:
    for node_type in (VCARD.Kind, VCARD.Organization):
        g.add((node, RDF.type, node_type))
    labelled(g, node, zh, en, VCARD.fn)


def _year(g: Graph, site: Site, year: int) -> URIRef:
    """A report's year as a dct:PeriodOfTime with its first and last day."""
    node = site.id(f"year/{year}")
    g.add((node, RDF.type, DCTERMS.PeriodOfTime))
    labelled(g, node, f"{year}年", str(year))
    g.add((node, DCAT.startDate, Literal(f"{year}-01-01", datatype=XSD.date)))
    g.add((node, DCAT.endDate, Literal(f"{year}-12-31", datatype=XSD.date)))
    return node


def _report(g: Graph, site: Site, source: Source, distributions: list[URIRef]) -> None:
    """A report the dataset is read from (its dct:source), as its publisher's dataset; its
    distributions are the files of the build that hold its figures."""
    report = site.id(f"report/{source.year}")
    publisher = site.id(publisher_path(source))
    contact = site.id(f"{publisher_path(source)}/contact")
    g.add((report, RDF.type, DCAT.Dataset))
    labelled(g, report, source.title_zh, source.title_en, DCTERMS.title)
    _described(
        g,
        report,
        f"{source.publisher_zh}发布的{source.year}年度报告；hotline-kg 的数据摘自该报告，每项注明行号与原文。",
        f"The {source.year} annual report of {source.publisher_en}, the source of hotline-kg's figures "
        f"for {source.year}; each figure cites its line and sentence.",
    )
    _agent(g, publisher, source.publisher_zh, source.publisher_en, REPORT_PUBLISHER_TYPE)
    g.add((publisher, RDF.type, PROV.Organization))
    _contact(g, contact, source.publisher_zh, source.publisher_en)
    _findable(g, report, publisher, contact, REPORT_KEYWORDS)
    g.add((report, DCTERMS.spatial, BEIJING))
    g.add((report, DCTERMS.temporal, _year(g, site, source.year)))
    g.add((report, DCTERMS.language, URIRef(EU + "language/ZHO")))
    for dist in distributions:
        g.add((report, DCAT.distribution, dist))


def _statistics(g: Graph, site: Site, dataset: URIRef, whole: Graph) -> None:
    subjects = {s for s in whole.subjects() if isinstance(s, URIRef)}
    entities = {s for s in subjects if str(s).startswith(site.base + "id/")}
    g.add((dataset, VOID.triples, Literal(len(whole))))
    g.add((dataset, VOID.entities, Literal(len(entities))))
    g.add((dataset, VOID.distinctSubjects, Literal(len(subjects))))
    g.add((dataset, VOID.properties, Literal(len(set(whole.predicates())))))
    classes = Counter(o for s, o in whole.subject_objects(RDF.type) if s in entities)
    for cls, count in sorted(classes.items()):
        if not str(cls).startswith(str(site.hl)):
            continue
        part = site.id(f"dataset/hotline/class/{str(cls).rsplit('#', 1)[-1]}")
        g.add((dataset, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(count)))
        name = str(cls).rsplit("#", 1)[-1]
        labelled(g, part, f"类：{name}", f"class partition: {name}")


def _media_type(g: Graph, node: URIRef, media: str) -> None:
    g.add((node, RDF.type, DCTERMS.MediaType))
    g.add((node, RDFS.label, Literal(media)))


def _year_of(name: str) -> int | None:
    """The report year a file's name carries (report-2024.ttl, observations-2024.csv), if any."""
    found = re.search(r"(?<!\d)(\d{4})(?!\d)", name)
    return int(found.group(1)) if found else None


def _content(name: str, kind: FileType) -> tuple[str, str]:
    """What a file of the build holds, read from its name: (zh, en)."""
    year = _year_of(name)
    of_zh, of_en = (f"{year}年度报告", f"the {year} report") if year else ("全部年度报告", "all reports")
    if kind is FILE_TYPES["SHA256SUMS"]:
        return "本次构建各文件的 SHA-256 校验和（可用 sha256sum -c 校验）", (
            "SHA-256 checksums of the files of this build (check them with sha256sum -c)"
        )
    if kind is CSVW_METADATA:
        table = name.removesuffix("-metadata.json")
        return f"{table} 的 CSV on the Web 元数据：各列、数据类型与观测值 IRI 模板", (
            f"CSV on the Web metadata of {table}: its columns, their datatypes and the template of the observation IRIs"
        )
    if kind.eu in ("CSV", "XLSX"):
        return f"{of_zh}的观测值表格，每行一个观测值", (
            f"the observations of {of_en} as a table, one row per observation"
        )
    if name.startswith("ontology."):
        return "本体：本数据集所用的类与属性", "the ontology: the classes and properties of the dataset"
    if year:
        return f"{of_zh}的数据：其数据集与全部观测值", f"the figures of {of_en}: its data set and every observation"
    if name.startswith("hotline."):
        return "全部数据：本体、代码表与各年度报告的观测值", (
            "the whole dataset: the ontology, the code lists and the observations of every report"
        )
    return "本数据集的下载文件", "a download of this dataset"


def _distribution(g: Graph, site: Site, dataset: URIRef, name: str, data: bytes) -> URIRef:
    kind, compression = file_type(name, data)
    dist = site.id(f"dataset/hotline/distribution/{name.replace('.', '-')}")
    url = site.at(f"dumps/{name}")
    g.add((dataset, DCAT.distribution, dist))
    if name.startswith("hotline."):
        g.add((dataset, VOID.dataDump, url))
    g.add((dist, RDF.type, DCAT.Distribution))
    labelled(g, dist, f"下载文件 {name}", f"download {name}")
    g.add((dist, DCTERMS.title, Literal(name)))
    what_zh, what_en = _content(name, kind)
    graphs_zh, graphs_en = ("，含命名图", ", with its named graphs") if kind.eu in WITH_GRAPHS else ("", "")
    packed_zh, packed_en = ("，gzip 压缩", ", gzip-compressed") if compression else ("", "")
    _described(
        g, dist, f"{what_zh}（{kind.name}{graphs_zh}{packed_zh}）", f"{what_en} ({kind.name}{graphs_en}{packed_en})"
    )
    g.add((dist, DCAT.downloadURL, url))
    g.add((dist, DCAT.accessURL, url))
    media = URIRef(IANA_MEDIA + kind.media)
    g.add((dist, DCAT.mediaType, media))
    _media_type(g, media, kind.media)
    fmt = URIRef(f"{EU}file-type/{kind.eu}")
    g.add((dist, DCTERMS.format, fmt))
    g.add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
    g.add((fmt, RDFS.label, Literal(EU_FILE_TYPE_NAMES[kind.eu], lang="en")))
    if compression:
        packing = URIRef(IANA_MEDIA + compression)
        g.add((dist, DCAT.compressFormat, packing))
        _media_type(g, packing, compression)
    g.add((dist, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
    g.add((dist, DCTERMS.license, LICENSE))
    g.add((dist, DCATAP.availability, AVAILABLE))
    checksum = URIRef(f"{dist}/sha256")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary)))
    labelled(g, checksum, f"{name} 的 SHA-256", f"SHA-256 of {name}")
    return dist
