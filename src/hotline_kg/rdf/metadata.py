"""Dataset metadata in VoID and DCAT: what the dataset is, where it comes from,
how big it is, and where to get it (dumps with sizes and checksums, the SPARQL endpoint)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef

from hotline_kg.rdf.dumps import media_type
from hotline_kg.rdf.graphs import Source, labelled
from hotline_kg.rdf.vocab import (
    DCAT,
    DCTERMS,
    IANA_MEDIA,
    PROV,
    QB,
    RDF,
    SPDX,
    VOID,
    WIKIDATA,
    XSD,
    Site,
)

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
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
BEIJING = WIKIDATA["Q956"]
VOCABULARIES = (
    "http://purl.org/linked-data/cube#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/ns/dcat#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/2006/time#",
    "http://purl.org/linked-data/sdmx/2009/attribute#",
)


def metadata_graph(
    site: Site,
    graphs: dict[URIRef, Graph],
    whole: Graph,
    files: dict[str, bytes],
    sources: Iterable[Source],
    modified: dt.date,
    examples: Iterable[URIRef],
) -> Graph:
    g = Graph()
    hl = site.hl
    dataset = site.id("dataset/hotline")
    catalog = site.id("catalog")
    project = site.id("project/hotline-kg")
    g.add((catalog, RDF.type, DCAT.Catalog))
    labelled(g, catalog, "hotline-kg 数据目录", "hotline-kg catalogue", DCTERMS.title)
    g.add((catalog, DCTERMS.publisher, project))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, site.id("service/sparql")))

    for node_type in (DCAT.Dataset, VOID.Dataset):
        g.add((dataset, RDF.type, node_type))
    labelled(g, dataset, *TITLE, DCTERMS.title)
    g.add((dataset, DCTERMS.description, Literal(DESCRIPTION[0], lang="zh")))
    g.add((dataset, DCTERMS.description, Literal(DESCRIPTION[1], lang="en")))
    g.add((dataset, DCTERMS.publisher, project))
    g.add((dataset, DCTERMS.creator, project))
    g.add((project, RDF.type, PROV.SoftwareAgent))
    g.add((project, RDF.type, PROV.Agent))
    labelled(g, project, "hotline-kg 项目", "hotline-kg project")
    g.add((dataset, DCTERMS.license, LICENSE))
    for text in RIGHTS:
        g.add((dataset, DCTERMS.rights, text))
    g.add((dataset, DCTERMS.issued, Literal(ISSUED.isoformat(), datatype=XSD.date)))
    g.add((dataset, DCTERMS.modified, Literal(max(modified, ISSUED).isoformat(), datatype=XSD.date)))
    g.add((dataset, DCTERMS.spatial, BEIJING))
    g.add((dataset, DCTERMS.language, Literal("zh")))
    g.add((dataset, DCTERMS.language, Literal("en")))
    for word in ("12345", "citizen service hotline", "Beijing", "市民服务热线", "接诉即办"):
        g.add((dataset, DCAT.keyword, Literal(word)))
    for source in sources:
        report = site.id(f"report/{source.year}")
        g.add((dataset, DCTERMS.source, report))
        g.add((dataset, PROV.wasDerivedFrom, report))
        g.add((dataset, DCTERMS.temporal, site.id(f"year/{source.year}")))
        labelled(g, report, source.title_zh, source.title_en)
    g.add((dataset, VOID.sparqlEndpoint, site.at("sparql")))
    g.add((dataset, VOID.uriSpace, Literal(site.base + "id/")))
    g.add((dataset, VOID.rootResource, site.id("scheme/subjects")))
    for vocab in VOCABULARIES:
        g.add((dataset, VOID.vocabulary, URIRef(vocab)))
    g.add((dataset, VOID.vocabulary, URIRef(str(hl))))
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
    for name, data in sorted(files.items()):
        _distribution(g, site, dataset, name, data)
    service = site.id("service/sparql")
    g.add((service, RDF.type, DCAT.DataService))
    labelled(g, service, "SPARQL 查询服务", "SPARQL endpoint")
    g.add((service, DCAT.endpointURL, site.at("sparql")))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    return g


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


def _distribution(g: Graph, site: Site, dataset: URIRef, name: str, data: bytes) -> None:
    media, compression = media_type(name)
    dist = site.id(f"dataset/hotline/distribution/{name.replace('.', '-')}")
    url = site.at(f"dumps/{name}")
    g.add((dataset, DCAT.distribution, dist))
    if name.startswith("hotline."):
        g.add((dataset, VOID.dataDump, url))
    g.add((dist, RDF.type, DCAT.Distribution))
    labelled(g, dist, f"下载文件 {name}", f"download {name}")
    g.add((dist, DCTERMS.title, Literal(name)))
    g.add((dist, DCAT.downloadURL, url))
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA + media)))
    if compression:
        g.add((dist, DCAT.compressFormat, URIRef(IANA_MEDIA + compression)))
    g.add((dist, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
    g.add((dist, DCTERMS.license, LICENSE))
    checksum = URIRef(f"{dist}/sha256")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary)))
    labelled(g, checksum, f"{name} 的 SHA-256", f"SHA-256 of {name}")
