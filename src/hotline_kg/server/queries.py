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
#: How an observation is one of a page's: the resource is its subject, period, report or data set,
#: or (a district) the district of its subject. ``ROLES_OF`` finds which hold for a resource; the
#: queries of its page then join only those, each in a branch of its own (Oxigraph evaluates a
#: UNION joined to more patterns by reading those patterns whole).
SCOPES = {
    "subject": "?obs hl:subject {iri} .",
    "refPeriod": "?obs hl:refPeriod {iri} .",
    "report": "?obs hl:report {iri} .",
    "dataSet": "?obs qb:dataSet {iri} .",
    "district": "?part hl:district {iri} . ?obs hl:subject ?part .",
}
#: How ``ROLES_OF`` tells that a scope holds: a look-up of its first pattern (a district: that it has parts).
PROBES = {role: pattern.split(" . ")[0].rstrip(" .") for role, pattern in SCOPES.items()}
ROLES_OF = prologue("hl", "qb") + "SELECT ?role WHERE {{ {branches} }}"
#: The observations a page lists (``{within}``: the scopes' branches, each with the filters, a
#: year, a measure, a report), ordered by their IRI, from after ``{after}`` (keyset pagination: no
#: OFFSET), one more than a page, to know whether there is a next.
OBSERVATIONS = (
    prologue("sdmx-measure", "sdmx-attribute", "hl", "qb")
    + """
SELECT ?obs ?subject ?period ?measure ?value ?unit ?shareOf ?level WHERE {{
  {{ SELECT DISTINCT ?obs WHERE {{ {within} FILTER (STR(?obs) > {after}) }} ORDER BY STR(?obs) LIMIT {limit} }}
  ?obs hl:subject ?subject ; hl:refPeriod ?period ; hl:measure ?measure ; sdmx-measure:obsValue ?value .
  OPTIONAL {{ ?obs sdmx-attribute:unitMeasure ?unit }}
  OPTIONAL {{ ?obs hl:shareOf ?shareOf }}
  OPTIONAL {{ ?subject hl:level ?level }}
}} ORDER BY STR(?obs)"""
)
#: An observation's own row (its page: the IRI in place of ?obs; no VALUES in a UNION, which
#: Virtuoso answers with nothing).
OBSERVATION = (
    prologue("sdmx-measure", "sdmx-attribute", "hl")
    + """
SELECT ?subject ?period ?measure ?value ?unit ?shareOf ?level WHERE {{
  {obs} hl:subject ?subject ; hl:refPeriod ?period ; hl:measure ?measure ; sdmx-measure:obsValue ?value .
  OPTIONAL {{ {obs} sdmx-attribute:unitMeasure ?unit }}
  OPTIONAL {{ {obs} hl:shareOf ?shareOf }}
  OPTIONAL {{ ?subject hl:level ?level }}
}} LIMIT 10"""
)
#: A page's summary of its observations: how many per measure, and per period (the latest
#: ``{periods}``), by aggregates in the engine (``{within}``: the scopes' branches, each with
#: ``?obs hl:measure ?measure`` or ``?obs hl:refPeriod ?period``).
PER_MEASURE = (
    prologue("hl", "qb")
    + """
SELECT ?measure (COUNT(DISTINCT ?obs) AS ?n) WHERE {{ {within} }} GROUP BY ?measure"""
)
PER_PERIOD = (
    prologue("hl", "qb")
    + """
SELECT ?period (COUNT(DISTINCT ?obs) AS ?n) WHERE {{ {within} }}
GROUP BY ?period ORDER BY DESC(STR(?period)) LIMIT {periods}"""
)
#: The figures the charts draw: the resource's own (it is their subject) and its levels' shares of
#: it, in the periods given (the latest of ``PER_PERIOD``).
CHARTED = (
    prologue("sdmx-measure", "sdmx-attribute", "hl")
    + """
SELECT ?obs ?subject ?period ?measure ?value ?unit ?shareOf ?level WHERE {{
  {{ ?obs hl:subject {iri} ; hl:refPeriod ?period FILTER (?period IN ({periods})) {rest} }}
  UNION {{ ?part hl:district {iri} . ?obs hl:subject ?part ; hl:shareOf {iri} ; hl:refPeriod ?period
          FILTER (?period IN ({periods})) {rest} }}
}} LIMIT 5000"""
)
#: What ``CHARTED`` reads of each observation, in each branch (Oxigraph reads a UNION joined to
#: more patterns by reading those whole).
CHARTED_REST = """?obs hl:subject ?subject ; hl:measure ?measure ; sdmx-measure:obsValue ?value .
    OPTIONAL {{ ?obs sdmx-attribute:unitMeasure ?unit }} OPTIONAL {{ ?obs hl:shareOf ?shareOf }}
    OPTIONAL {{ ?subject hl:level ?level }}"""


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
#: subject), one row each: their ``properties`` (labels, codes) and those of their types that are
#: ``types``, as "property TAB language TAB value" lines; a page of ``page`` resources from
#: ``offset``. Its cost grows with the codes, not the observations: a resource's types are read
#: from ``types`` (all types of all resources would be every observation's too).
CODES = (
    prologue("rdf", "qb", "rdfs", "skos", "prov", "org")
    + """
SELECT ?s (GROUP_CONCAT(DISTINCT CONCAT(STR(?p), "\\t", COALESCE(LANG(?o), ""), "\\t", STR(?o));
                        separator="\\n") AS ?values)
WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{
      VALUES ?type {{ {types} }}
      ?s a ?type .
      FILTER (isIRI(?s) && STRSTARTS(STR(?s), {data}))
  }} ORDER BY ?s LIMIT {page} OFFSET {offset} }}
  {{ VALUES ?o {{ {types} }} ?s a ?o BIND (rdf:type AS ?p) }}
  UNION {{ VALUES ?p {{ {properties} }} ?s ?p ?o }}
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


async def own_observation(engine: Engine, iri: str) -> list[dict[str, str]]:
    """An observation's own row: subject, period, measure, value, unit, shareOf and level."""
    found = _rows(await select(engine, OBSERVATION.format(obs=term(iri))))
    return [{**row, "obs": iri} for row in found[:1]]


async def roles(engine: Engine, iri: str) -> list[str]:
    """Which of ``SCOPES`` hold for a resource (one look-up each, in one query)."""
    branches = " UNION ".join(
        f'{{ BIND("{role}" AS ?role) FILTER EXISTS {{ {pattern.format(iri=term(iri))} }} }}'
        for role, pattern in PROBES.items()
    )
    return [row["role"]["value"] for row in await select(engine, ROLES_OF.format(branches=branches))]


def _within(iri: str, held: Sequence[str], extra: str) -> str:
    """The branches of a page's observations (``SCOPES`` that hold), each followed by ``extra``."""
    return " UNION ".join(f"{{ {SCOPES[role].format(iri=term(iri))} {extra} }}" for role in held)


async def observation_page(
    engine: Engine, iri: str, held: Sequence[str], filters: dict[str, str], after: str, size: int
) -> list[dict[str, str]]:
    """Up to ``size`` + 1 observations of a page (``held``: its ``roles``), ordered by IRI, after
    ``after`` (an IRI, or "" from the start), narrowed by ``filters`` (``hl`` property name → IRI:
    refPeriod, measure, report): observation, subject, period, measure, value, unit, shareOf, level."""
    if not held:
        return []
    narrowed = " ".join(f"?obs hl:{name} {term(value)} ." for name, value in sorted(filters.items()))
    narrowed += " ?obs sdmx-measure:obsValue [] ."  # an observation (a data set has a report too)
    query = OBSERVATIONS.format(within=_within(iri, held, narrowed), after=str(ox.Literal(after)), limit=size + 1)
    return _rows(await select(engine, query))


async def observation_summary(
    engine: Engine, iri: str, held: Sequence[str], periods: int
) -> tuple[dict[str, int], dict[str, int]]:
    """How many observations a page has per measure, and per period (the latest ``periods``)."""
    if not held:
        return {}, {}
    measures = await select(engine, PER_MEASURE.format(within=_within(iri, held, "?obs hl:measure ?measure .")))
    query = PER_PERIOD.format(within=_within(iri, held, "?obs hl:refPeriod ?period ."), periods=periods)
    latest = await select(engine, query)
    return (
        {row["measure"]["value"]: int(row["n"]["value"]) for row in measures},
        {row["period"]["value"]: int(row["n"]["value"]) for row in latest},
    )


async def charted(engine: Engine, iri: str, periods: Iterable[str]) -> list[dict[str, str]]:
    """The figures a page's charts draw in these periods (``CHARTED``)."""
    values = ", ".join(term(p) for p in periods)
    if not values:
        return []
    return _rows(await select(engine, CHARTED.format(iri=term(iri), periods=values, rest=CHARTED_REST.format())))


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
