"""The queries the pages run, and how they run them: every read of a page from the graph is a SPARQL
query to the engine interface (``engine.Engine``), under its time limit (which observations a page
lists or sums up comes from ``server.observation_index``). Graphs come back as N-Triples and
solutions as SPARQL JSON, parsed here (``select``, ``construct``).

Each query names its terms through a prologue made from ``rdf.vocab`` (``prologue``), never
through namespaces typed again. An IRI from a request enters a query only once ``ox.NamedNode``
has accepted it, and is written by pyoxigraph (``term``), never pasted.

Also here: the example queries of ``queries/`` and what the query editor completes (``examples``,
``editor``), which the query page and the endpoint's HTML answer share.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from hotline_kg import formats
from hotline_kg.rdf.vocab import (
    CANONICAL_BASE,
    ONTOLOGY,
    RDF,
    RDFS,
    SDMX,
    SDMX_ATTRIBUTE,
    SDMX_MEASURE,
    SKOS,
    Site,
    prologue,
)
from hotline_kg.server import federation
from hotline_kg.server.engine import Engine

RDF_TYPE = str(RDF.type)
RDFS_LABEL = str(RDFS.label)
SKOS_PREF = str(SKOS.prefLabel)
OBS_VALUE = str(SDMX_MEASURE.obsValue)
UNIT_MEASURE = str(SDMX_ATTRIBUTE.unitMeasure)

# --- a resource's page (views.resource) ----------------------------------------------------------

#: How an observation links to what it is about, when and where it comes from: the links a
#: resource's description leaves out (its observations are reached from its page's list instead).
ROLES = (
    "hl:subject hl:refPeriod hl:basePeriod hl:measure sdmx-attribute:unitMeasure qb:dataSet hl:report hl:shareOf "
    "hl:periodSource prov:wasDerivedFrom"
)
#: What may link to a resource, besides the object properties the data declares (``LINKS``).
STANDARD_LINKS = (
    "skos:broader skos:narrower skos:inScheme skos:hasTopConcept skos:topConceptOf skos:related skos:member "
    "skos:exactMatch skos:closeMatch qb:structure qb:component qb:dimension qb:measure qb:attribute qb:codeList "
    "dct:isPartOf dct:hasPart dct:publisher dct:creator dct:source prov:wasAttributedTo prov:wasGeneratedBy "
    "prov:used org:subOrganizationOf org:hasSubOrganization owl:sameAs rdfs:seeAlso"
)
#: The properties that may link one resource to another, observations' links (``ROLES``) left out:
#: read once at start-up. A description looks each up on its own, so that the links of thousands of
#: observations to a measure or a year are never read to find the few others.
LINKS = (
    prologue("owl", "rdfs", "skos", "qb", "dct", "prov", "org", "sdmx-attribute", "hl")
    + f"""
SELECT DISTINCT ?p WHERE {{
  {{ ?p a owl:ObjectProperty }} UNION {{ VALUES ?p {{ {STANDARD_LINKS} }} }}
  FILTER (isIRI(?p) && ?p NOT IN ({", ".join(ROLES.split())}))
}}"""
)
#: A resource's own triples, what links to it and the observations of its page, at most this many.
OWN_LIMIT = 1000
INCOMING_LIMIT = 200
#: A resource's description: its triples and the labels of what they name, and what links to it
#: by ``links`` (the properties of ``LINKS``), with their labels. Its cost grows with what it shows.
DESCRIBE = (
    prologue("rdfs", "hl")
    + """
CONSTRUCT {{
  {iri} ?p ?o . ?o rdfs:label ?ol .
  ?s ?q {iri} . ?s rdfs:label ?sl .
}} WHERE {{
  {{ SELECT ?p ?o ?ol WHERE {{ {iri} ?p ?o . OPTIONAL {{ ?o rdfs:label ?ol }} }} LIMIT {own} }}
  UNION {{ SELECT ?s ?q ?sl WHERE {{ VALUES ?q {{ {links} }} ?s ?q {iri} . OPTIONAL {{ ?s rdfs:label ?sl }} }}
           LIMIT {limit} }}
}}"""
)
#: The rows of the observations a page shows (``{obs}``: their IRIs, as the terms of a VALUES; which
#: observations a page shows is for ``observation_index`` to say): one look-up of each fact of each.
ROWS = (
    prologue("sdmx-measure", "sdmx-attribute", "hl")
    + """
SELECT ?obs ?subject ?period ?measure ?value ?unit ?shareOf ?level WHERE {{
  VALUES ?obs {{ {obs} }}
  ?obs hl:subject ?subject ; hl:refPeriod ?period ; hl:measure ?measure ; sdmx-measure:obsValue ?value .
  OPTIONAL {{ ?obs sdmx-attribute:unitMeasure ?unit }}
  OPTIONAL {{ ?obs hl:shareOf ?shareOf }}
  OPTIONAL {{ ?subject hl:level ?level }}
}}"""
)
#: Observations whose rows ``ROWS`` reads at once.
ROWS_AT_ONCE = 500


#: Labels and notations of the terms a page names (predicates, units, periods …): each term's own
#: triples, read from the term (a VALUES of the properties makes Oxigraph read every label of the
#: data, those of a million observations too: 1.9 s, where this takes 50 ms).
LABELS = (
    prologue("rdfs", "skos")
    + """
SELECT ?x ?p ?l WHERE {{
  VALUES ?x {{ {iris} }} ?x ?p ?l FILTER (?p IN (rdfs:label, skos:prefLabel, skos:notation))
}}"""
)
#: The report text an observation came from.
SOURCE_FILE = (
    prologue("dct", "hl")
    + """
SELECT ?file WHERE {{ {iri} hl:report ?report . ?report dct:identifier ?file }}"""
)
#: A named graph whole (the ontology's, for ``/def/hotline`` and the JSON-LD context).
GRAPH = "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
#: Whether an IRI is a version IRI of the vocabulary (its page is the vocabulary's).
VERSION = "ASK {{ {ontology} <http://www.w3.org/2002/07/owl#versionIRI> {iri} }}"

# --- the home page (views.home) ------------------------------------------------------------------

#: The reports, their titles and files, and how many observations each gave.
REPORTS = (
    prologue("dct", "qb", "hl")
    + """
SELECT ?report ?zh ?en ?file (COUNT(DISTINCT ?obs) AS ?observations) WHERE {{
  ?report a hl:Report .
  OPTIONAL {{ ?report dct:title ?zh . FILTER (lang(?zh) = "zh") }}
  OPTIONAL {{ ?report dct:title ?en . FILTER (lang(?en) = "en") }}
  OPTIONAL {{ ?report dct:identifier ?file }}
  OPTIONAL {{ ?obs hl:report ?report ; a qb:Observation }}
}} GROUP BY ?report ?zh ?en ?file ORDER BY ?report"""
)
#: The figures of each report for its own year: about the hotline, its dispositions, categories and
#: districts; by measure (its notation, as the ontology gives it).
FIGURES = (
    prologue("skos", "sdmx-measure", "sdmx-attribute", "hl")
    + """
SELECT DISTINCT ?report ?period ?kind ?subject ?measure ?m ?obs ?value ?unit WHERE {{
  ?report a hl:Report ; hl:year ?period .
  ?obs hl:report ?report ; hl:refPeriod ?period ; hl:subject ?subject ; hl:measure ?measure ;
       sdmx-measure:obsValue ?value .
  ?measure skos:notation ?m .
  FILTER (STR(?m) IN ({measures}))
  ?subject a ?kind .
  FILTER (?kind IN ({kinds}))
  OPTIONAL {{ ?obs sdmx-attribute:unitMeasure ?unit }}
}}"""
)

# --- search (views.search) -----------------------------------------------------------------------

#: The kinds of resource the search index holds, besides the classes the vocabulary declares
#: (``CLASSES``): the code lists' concepts and schemes, the data sets and their structure, the agents.
INDEXED_TYPES = (
    "skos:Concept skos:ConceptScheme qb:DataSet qb:DataStructureDefinition qb:ComponentSpecification "
    "prov:Organization prov:SoftwareAgent org:Organization"
)
#: The classes the data declares (owl:Class), but observations': a few dozen, whatever the data's size.
#: (No rdfs:subClassOf*: Virtuoso refuses a path of unbound start.)
CLASSES = (
    prologue("owl", "rdfs", "qb")
    + """
SELECT DISTINCT ?class WHERE {{
  ?class a owl:Class . FILTER (isIRI(?class) && ?class != qb:Observation)
  FILTER NOT EXISTS {{ ?class rdfs:subClassOf qb:Observation }}
}}"""
)
#: The resources of the data of the kinds ``types`` (never observations: they are reached from their
#: subject), a page of ``page`` from ``offset``, in IRI order. Its cost grows with the codes, not the
#: observations: a resource's types are read from ``types``.
CODES = (
    prologue("rdf", "qb", "rdfs", "skos", "prov", "org")
    + """
SELECT DISTINCT ?s WHERE {{
  VALUES ?type {{ {types} }}
  ?s a ?type .
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), {data}))
}} ORDER BY ?s LIMIT {page} OFFSET {offset}"""
)
#: What the search index reads of each of the resources ``{codes}`` (a page of ``CODES``): its
#: ``properties`` (labels, codes) and those of its types that are ``types``, as "property TAB
#: language TAB value" lines. Each resource's own triples are read from it (a VALUES of the
#: properties would make Oxigraph read every label of the data, the observations' too).
CODE_VALUES = (
    prologue("rdf", "qb", "rdfs", "skos", "prov", "org")
    + """
SELECT ?s (GROUP_CONCAT(DISTINCT CONCAT(STR(?p), "\\t", COALESCE(LANG(?o), ""), "\\t", STR(?o));
                        separator="\\n") AS ?values)
WHERE {{
  VALUES ?s {{ {codes} }}
  ?s ?p ?o
  FILTER (?p IN ({properties}) || (?p = rdf:type && ?o IN ({types})))
}} GROUP BY ?s"""
)


# --- running them --------------------------------------------------------------------------------


def term(iri: str) -> str:
    """An IRI as a query term, ``<…>``, once pyoxigraph has accepted it (ValueError if not)."""
    return str(ox.NamedNode(iri))


async def select(engine: Engine, query: str) -> list[dict[str, dict[str, str]]]:
    """The solutions of a SELECT query, as SPARQL JSON bindings."""
    answer = await engine.query(query, [], [], formats.SPARQL_JSON.media)
    return json.loads(answer.body)["results"]["bindings"]  # type: ignore[no-any-return]


async def construct(engine: Engine, query: str) -> list[ox.Triple]:
    """The triples of a CONSTRUCT query."""
    answer = await engine.query(query, [], [], formats.N_TRIPLES.media)
    return [quad.triple for quad in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]


async def graph(engine: Engine, name: str) -> list[ox.Triple]:
    """The triples of one named graph."""
    return await construct(engine, GRAPH.format(graph=term(name)))


async def is_version(engine: Engine, iri: str) -> bool:
    """Whether ``iri`` is a version IRI of the vocabulary (``owl:versionIRI``)."""
    answer = await engine.query(
        VERSION.format(ontology=term(str(ONTOLOGY)), iri=term(iri)), [], [], formats.SPARQL_JSON.media
    )
    return bool(json.loads(answer.body)["boolean"])


async def link_predicates(engine: Engine) -> str:
    """The properties of ``LINKS``, as the terms of a VALUES (read once, at start-up)."""
    return " ".join(term(row["p"]["value"]) for row in await select(engine, LINKS))


async def triples(engine: Engine, iri: str, base: str, links: str) -> list[ox.Triple]:
    """The description of an IRI (``links``: ``link_predicates``); the IRI is checked first
    (``ox.NamedNode`` refuses "<", ">", spaces…)."""
    if iri == str(ONTOLOGY):
        return await graph(engine, str(Site(base).graph("ontology")))
    known = links or "<urn:hotline-kg:none>"
    return await construct(engine, DESCRIBE.format(iri=term(iri), own=OWN_LIMIT, links=known, limit=INCOMING_LIMIT))


def _rows(bindings: list[dict[str, dict[str, str]]]) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in row.items()} for row in bindings]


async def observation_rows(engine: Engine, iris: Sequence[str]) -> list[dict[str, str]]:
    """The rows of these observations, in IRI order: observation, subject, period, measure,
    value, unit, shareOf and level (one row each: the first of several)."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(iris), ROWS_AT_ONCE):
        values = " ".join(term(i) for i in iris[start : start + ROWS_AT_ONCE])
        for row in _rows(await select(engine, ROWS.format(obs=values))):
            found.setdefault(row["obs"], row)
    return [found[iri] for iri in sorted(found)]


async def term_labels(engine: Engine, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """zh / en labels ("zh", "en") and notation ("notation") of each IRI (rdfs:label before
    skos:prefLabel, then the first in order)."""
    terms = sorted({i for i in iris if i})
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(terms), 400):
        values = " ".join(term(i) for i in terms[start : start + 400])
        rows = await select(engine, LABELS.format(iris=values))
        rows.sort(key=lambda r: (r["p"]["value"] != RDFS_LABEL, r["l"]["value"]))
        for row in rows:
            label = row["l"]
            key = "notation" if row["p"]["value"].endswith("notation") else label.get("xml:lang", "")
            found.setdefault(row["x"]["value"], {}).setdefault(key, label["value"])
    return found


async def source_file(engine: Engine, iri: str) -> str:
    """The file name of the report text an observation came from, or ""."""
    rows = await select(engine, SOURCE_FILE.format(iri=term(iri)))
    return rows[0]["file"]["value"] if rows else ""


# --- the query editor ----------------------------------------------------------------------------


def editor(base: str) -> dict[str, str]:
    """What the page's editor (static/query.js) reads from the form's data attributes: the base
    (this dataset's IRIs link to their local paths) and the prefixes it completes."""
    prefixes = {**Site(base).prefixes(), "sdmx": str(SDMX)}
    return {"base": base, "vocab": str(ONTOLOGY), "canonical": CANONICAL_BASE, "prefixes": json.dumps(prefixes)}


def query_form(query: str, examples: list[dict[str, str]], base: str, allowed: list[str]) -> dict[str, object]:
    """What the query page (``/query``, and ``/sparql`` opened in a browser) shows: the query, the
    examples (``allowed``: the endpoints a SERVICE may reach, which an example may need) and the
    editor's data attributes."""
    return {"query": query, "examples": examples, "allowed": allowed, **editor(base)}


def examples(folder: Path, base: str) -> list[dict[str, str]]:
    """The example queries of queries/, with the default base replaced by this server's (read
    once, at start-up, into ``app.state.examples``); ``services``: the endpoints an example's
    SERVICE calls (it runs only where they are allowed), space-separated."""
    out = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = Site(base).rebase(path.read_text(encoding="utf-8"))
        title = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else path.stem
        services = " ".join(dict.fromkeys(call.endpoint for call in federation.calls(text, federation.spans(text))))
        out.append({"name": path.stem, "title": title, "text": text, "services": services})
    return out
