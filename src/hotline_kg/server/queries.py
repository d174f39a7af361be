"""The queries the pages run, and how they run them: every read of a page is a SPARQL query to the
engine interface (``engine.Engine``), under its time limit. Graphs come back as N-Triples and
solutions as SPARQL JSON, parsed here (``select``, ``construct``).

Each query names its terms through a prologue made from ``rdf.vocab`` (``prologue``), never
through namespaces typed again. An IRI from a request enters a query only once ``ox.NamedNode``
has accepted it, and is written by pyoxigraph (``term``), never pasted.

Also here: the example queries of ``queries/`` and what the query editor completes (``examples``,
``editor``), which the query page and the endpoint's HTML answer share.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
from hotline_kg.server.engine import Engine

RDF_TYPE = str(RDF.type)
RDFS_LABEL = str(RDFS.label)
SKOS_PREF = str(SKOS.prefLabel)
OBS_VALUE = str(SDMX_MEASURE.obsValue)
UNIT_MEASURE = str(SDMX_ATTRIBUTE.unitMeasure)

# --- a resource's page (views.resource) ----------------------------------------------------------

#: What links to a resource, and its observations, at most this many of each on its page.
INCOMING_LIMIT = 500
OBSERVATION_LIMIT = 1000
#: A resource's description: its triples and the labels of what they name, what links to it and
#: the observations about it (or of it as a period).
DESCRIBE = (
    prologue("rdfs", "hl")
    + """
CONSTRUCT {{
  {iri} ?p ?o . ?o rdfs:label ?ol .
  ?s ?q {iri} . ?s rdfs:label ?sl .
  ?obs ?op ?ov . ?ov rdfs:label ?ovl .
}} WHERE {{
  {{ {iri} ?p ?o . OPTIONAL {{ ?o rdfs:label ?ol }} }}
  UNION {{ SELECT ?s ?q ?sl WHERE {{ ?s ?q {iri} . FILTER (?q != hl:subject && ?q != hl:refPeriod)
           OPTIONAL {{ ?s rdfs:label ?sl }} }} LIMIT {limit} }}
  UNION {{ SELECT ?obs ?op ?ov ?ovl WHERE {{ {{ ?obs hl:subject {iri} }} UNION {{ ?obs hl:refPeriod {iri} }}
           ?obs ?op ?ov . FILTER (?op != hl:quote) OPTIONAL {{ ?ov rdfs:label ?ovl }} }} LIMIT {limit} }}
}}"""
)
#: The observations of a page: about the resource, of its period, or about a level of a district
#: (``AROUND``); an observation's page: itself (the IRI in place of ?obs: no VALUES in a UNION, which
#: Virtuoso answers with nothing).
OBSERVATIONS = (
    prologue("sdmx-measure", "sdmx-attribute", "hl")
    + """
SELECT DISTINCT ?obs ?subject ?period ?measure ?value ?unit ?shareOf ?level WHERE {{
  {scope}
  {obs} hl:subject ?subject ; hl:refPeriod ?period ; hl:measure ?measure ; sdmx-measure:obsValue ?value .
  OPTIONAL {{ {obs} sdmx-attribute:unitMeasure ?unit }}
  OPTIONAL {{ {obs} hl:shareOf ?shareOf }}
  OPTIONAL {{ ?subject hl:level ?level }}
}} LIMIT {limit}"""
)
AROUND = """{{ ?obs hl:subject {iri} }} UNION {{ ?obs hl:refPeriod {iri} }}
  UNION {{ ?part hl:district {iri} . ?obs hl:subject ?part }}"""
#: Labels and notations of the terms a page names (predicates, units, periods …).
LABELS = (
    prologue("rdfs", "skos")
    + """
SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {iris} }} VALUES ?p {{ rdfs:label skos:prefLabel skos:notation }} ?x ?p ?l }}"""
)
#: The report text an observation came from.
SOURCE_FILE = (
    prologue("dct", "hl")
    + """
SELECT ?file WHERE {{ {iri} hl:report ?report . ?report dct:identifier ?file }}"""
)
#: A named graph whole (the ontology's, for ``/def/hotline`` and the JSON-LD context).
GRAPH = "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"

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
#: subject), one row each: their labels, codes and types as "property TAB language TAB value" lines;
#: a page of ``page`` resources from ``offset``. Its cost grows with the codes, not the observations.
CODES = (
    prologue("qb", "rdfs", "skos", "prov", "org")
    + """
SELECT ?s (GROUP_CONCAT(DISTINCT CONCAT(STR(?p), "\\t", IF(isLiteral(?o), LANG(?o), ""), "\\t", STR(?o));
                        separator="\\n") AS ?values)
WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{
      VALUES ?type {{ {types} }}
      ?s a ?type .
      FILTER (isIRI(?s) && STRSTARTS(STR(?s), {data}))
  }} ORDER BY ?s LIMIT {page} OFFSET {offset} }}
  VALUES ?p {{ {properties} }}
  ?s ?p ?o .
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


async def triples(engine: Engine, iri: str, base: str) -> list[ox.Triple]:
    """The description of an IRI; the IRI is checked first (``ox.NamedNode`` refuses "<", ">", spaces…)."""
    if iri == str(ONTOLOGY):
        return await graph(engine, str(Site(base).graph("ontology")))
    return await construct(engine, DESCRIBE.format(iri=term(iri), limit=INCOMING_LIMIT))


async def observation_rows(engine: Engine, iri: str, found: list[ox.Triple]) -> list[dict[str, str]]:
    """The observations about ``iri`` (or of it as a period, or about a level of it as a district;
    ``iri`` itself if it is an observation, as its description ``found`` says): observation, subject,
    period, measure, value, unit, shareOf and level IRIs (value: its lexical form)."""
    itself = any(t.subject.value == iri and t.predicate.value == OBS_VALUE for t in found)
    scope = "" if itself else AROUND.format(iri=term(iri))
    query = OBSERVATIONS.format(scope=scope, obs=term(iri) if itself else "?obs", limit=OBSERVATION_LIMIT)
    found_rows = [{k: v["value"] for k, v in row.items()} for row in await select(engine, query)]
    return [{**row, "obs": iri} for row in found_rows] if itself else found_rows


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


def examples(folder: Path, base: str) -> list[dict[str, str]]:
    """The example queries of queries/, with the default base replaced by this server's (read
    once, at start-up, into ``app.state.examples``)."""
    out = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = Site(base).rebase(path.read_text(encoding="utf-8"))
        title = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else path.stem
        out.append({"name": path.stem, "title": title, "text": text})
    return out
