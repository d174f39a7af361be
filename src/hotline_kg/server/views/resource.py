"""The resource pages: what a URI of the dataset (``/id/…``) or of the vocabulary (``/def/hotline``)
answers — its description as an HTML page or as RDF (``?format=`` or Accept; the media types are
``formats.RESOURCE_TYPES`` and ``formats.RESOURCE_PARAM``), with ``Link`` headers to the alternates.

The route is ``resource``, mounted last: it answers 404 for every other path. A description is
the resource's own triples, the labels of what it links to, what links to it (up to a limit)
and, for a code or period, its observations. Every read goes through the engine interface
(``engine.Engine``), asynchronously and under its time limit: graphs come back as N-Triples,
solutions as SPARQL JSON, parsed here (``select``, ``construct``; the home page uses them too).
"""

from __future__ import annotations

import html
import json

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import Graph

from hotline_kg import formats
from hotline_kg.rdf import dumps
from hotline_kg.rdf.vocab import HL, ONTOLOGY, Site
from hotline_kg.server import protocol
from hotline_kg.server.engine import Engine
from hotline_kg.server.responses import ENGINE_ERRORS, TEMPLATES, engine_error, not_found
from hotline_kg.server.settings import Settings

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OBS_VALUE = "http://purl.org/linked-data/sdmx/2009/measure#obsValue"
INCOMING_LIMIT = 500
DESCRIBE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdmx: <http://purl.org/linked-data/sdmx/2009/measure#>
CONSTRUCT {{
  <{iri}> ?p ?o . ?o rdfs:label ?ol .
  ?s ?q <{iri}> . ?s rdfs:label ?sl .
  ?obs ?op ?ov . ?ov rdfs:label ?ovl .
}} WHERE {{
  {{ <{iri}> ?p ?o . OPTIONAL {{ ?o rdfs:label ?ol }} }}
  UNION {{ SELECT ?s ?q ?sl WHERE {{ ?s ?q <{iri}> . FILTER (?q != <{hl}subject> && ?q != <{hl}refPeriod>)
           OPTIONAL {{ ?s rdfs:label ?sl }} }} LIMIT {limit} }}
  UNION {{ SELECT ?obs ?op ?ov ?ovl WHERE {{ {{ ?obs <{hl}subject> <{iri}> }} UNION {{ ?obs <{hl}refPeriod> <{iri}> }}
           ?obs ?op ?ov . FILTER (?op != <{hl}quote>) OPTIONAL {{ ?ov rdfs:label ?ovl }} }} LIMIT {limit} }}
}}"""


async def select(engine: Engine, query: str) -> list[dict[str, dict[str, str]]]:
    """The solutions of a SELECT query, as SPARQL JSON bindings."""
    answer = await engine.query(query, [], [], formats.SPARQL_JSON.media)
    return json.loads(answer.body)["results"]["bindings"]


async def construct(engine: Engine, query: str) -> list[ox.Triple]:
    """The triples of a CONSTRUCT query."""
    answer = await engine.query(query, [], [], formats.N_TRIPLES.media)
    return [quad.triple for quad in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]


async def triples(engine: Engine, iri: str, base: str) -> list[ox.Triple]:
    """The description of an IRI; the IRI is checked first (``ox.NamedNode`` refuses "<", ">", spaces…)."""
    if iri == str(ONTOLOGY):
        ontology = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{base}graph/ontology> {{ ?s ?p ?o }} }}"
        return await construct(engine, ontology)
    return await construct(engine, DESCRIBE.format(iri=ox.NamedNode(iri).value, hl=HL, limit=INCOMING_LIMIT))


router = APIRouter()


@router.get("/{kind:path}")
@router.head("/{kind:path}")
async def resource(kind: str, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not (kind.startswith("id/") or kind.startswith("def/")):
        return not_found(request, f"nothing at /{kind}")
    # an IRI of the data or of the vocabulary, by its path, whatever host this is
    iri = str(ONTOLOGY) + kind.removeprefix("def/hotline") if kind.startswith("def/") else settings.base + kind
    return await respond(request, request.app.state.engine, iri, settings.base)


async def respond(request: Request, engine: Engine, iri: str, base: str) -> Response:
    """The description of ``iri`` as the request asks for it, or 404 if the dataset does not have it."""
    try:
        ox.NamedNode(iri)
    except ValueError:
        return not_found(request, "not an IRI")
    try:
        found = await triples(engine, iri, base)
    except ENGINE_ERRORS as err:
        return engine_error(err)
    own = [t for t in found if t.subject.value == iri or t.object == ox.NamedNode(iri)]
    if not own:
        return not_found(request, f"no resource <{iri}> in this dataset")
    wanted = formats.RESOURCE_PARAM.get(request.query_params.get("format", ""))
    offered = formats.RESOURCE_TYPES
    media = wanted or protocol.negotiate(request.headers.get("accept"), offered)
    if media is None:
        return Response(f"available as: {', '.join(offered)}\n", status_code=406, media_type=formats.TEXT)
    path = request.url.path
    links = ", ".join(f'<{path}?format={k}>; rel="alternate"; type="{v}"' for k, v in formats.RESOURCE_PARAM.items())
    headers = {"Link": links, "Vary": "Accept", "Cache-Control": "public, max-age=600"}
    if media != formats.HTML:
        found = sorted(found, key=str)  # grouped by subject, the same order every time
        if media == formats.JSON_LD.media:
            body = dumps.graph_jsonld(_rdflib_graph(found), request.app.state.jsonld_context)
        elif media == formats.TURTLE.media:  # as the dumps: grouped, sorted, no escapes in local names
            body = dumps.turtle(Site(base), _rdflib_graph(found))
        else:
            body = ox.serialize(found, format=formats.GRAPH_FORMATS[media])  # N-Triples, RDF/XML
        charset = "; charset=utf-8" if media != formats.N_TRIPLES.media else ""
        return Response(body if request.method != "HEAD" else b"", media_type=media + charset, headers=headers)
    page = _page(iri, found, base, request.query_params.get("sort", "period"))
    return TEMPLATES.TemplateResponse(request, "resource.html", page, headers=headers)


def _rdflib_graph(found: list[ox.Triple]) -> Graph:
    return Graph().parse(data=ox.serialize(found, format=ox.RdfFormat.N_TRIPLES), format="nt")


async def jsonld_context(engine: Engine, base: str) -> dict[str, object]:
    """The JSON-LD context of the dumps, from the vocabulary the dataset holds."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{Site(base).graph('ontology')}> {{ ?s ?p ?o }} }}"
    return dumps.jsonld_context(Site(base), _rdflib_graph(await construct(engine, query)))


def _labels(found: list[ox.Triple]) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for t in found:
        if t.predicate.value in (RDFS_LABEL, SKOS_PREF) and isinstance(t.object, ox.Literal):
            labels.setdefault(t.subject.value, {}).setdefault(t.object.language or "", t.object.value)
    return labels


def _page(iri: str, found: list[ox.Triple], base: str, sort: str) -> dict[str, object]:
    labels = _labels(found)

    site = Site(base)

    def show(term: object) -> dict[str, str]:
        """A term by its labels (zh / en), else its prefixed name; the prefixed name on hover."""
        if isinstance(term, ox.NamedNode):
            lab = labels.get(term.value, {})
            name = site.curie(term.value)
            text = " / ".join(v for v in (lab.get("zh"), lab.get("en")) if v) or name
            return {"href": site.local(term.value), "text": text, "title": name}
        if isinstance(term, ox.Literal):
            return {"href": "", "text": term.value + (f" @{term.language}" if term.language else "")}
        return {"href": "", "text": str(term)}

    props = [
        {"p": show(t.predicate), "o": show(t.object)}
        for t in sorted((t for t in found if t.subject.value == iri), key=lambda t: (t.predicate.value, str(t.object)))
    ]
    incoming = [
        {"s": show(t.subject), "p": show(t.predicate)}
        for t in found
        if isinstance(t.object, ox.NamedNode)
        and t.object.value == iri
        and t.predicate.value not in (HL.subject, HL.refPeriod)
    ]
    observations = _observations(iri, found, base, labels)
    key = {
        "value": lambda o: float(o["value"]),
        "measure": lambda o: o["measure"],
        "subject": lambda o: o["subject"],
    }.get(sort, lambda o: o["period"])
    observations.sort(key=key)  # type: ignore[arg-type]
    own = labels.get(iri, {})
    return {
        "iri": iri,
        "label_zh": own.get("zh", ""),
        "label_en": own.get("en", ""),
        "props": props[:400],
        "incoming": incoming[:200],
        "observations": observations,
        "chart": _chart(observations),
        "sort": sort,
    }


def _observations(
    iri: str, found: list[ox.Triple], base: str, labels: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    hl = str(HL)
    by_obs: dict[str, dict[str, str]] = {}
    for t in found:
        s = t.subject.value
        if t.predicate.value == hl + "subject" or t.predicate.value == hl + "refPeriod":
            by_obs.setdefault(s, {})[t.predicate.value.rsplit("#", 1)[-1]] = t.object.value
        elif t.predicate.value == OBS_VALUE:
            by_obs.setdefault(s, {})["value"] = t.object.value
        elif t.predicate.value == hl + "measure":
            by_obs.setdefault(s, {})["measure"] = t.object.value
        elif t.predicate.value == "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure":
            by_obs.setdefault(s, {})["unit"] = t.object.value
    rows = []
    for obs, v in by_obs.items():
        if "value" not in v or iri not in (v.get("subject"), v.get("refPeriod")):
            continue
        name = lambda x: labels.get(x, {}).get("zh") or x.rsplit("/", 1)[-1]  # noqa: E731
        rows.append(
            {
                "href": Site(base).local(obs),
                "subject": name(v.get("subject", "")),
                "period": labels.get(v.get("refPeriod", ""), {}).get("en", v.get("refPeriod", "").rsplit("/", 1)[-1]),
                "measure": name(v.get("measure", "")),
                "value": v["value"],
                "unit": name(v.get("unit", "")),
            }
        )
    return rows


def _chart(rows: list[dict[str, str]]) -> str:
    """A small bar chart (SVG, drawn here) of the requests figures among the observations."""
    bars = [r for r in rows if r["measure"] == "诉求量" and r["unit"] in ("万件", "件")]
    if len(bars) < 2:
        return ""
    bars = sorted(bars, key=lambda r: -float(r["value"]))[:20]
    top = max(float(r["value"]) for r in bars) or 1
    height, width, row = 22 * len(bars) + 10, 640, 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="requests">'
    ]
    for i, r in enumerate(bars):
        w = 360 * float(r["value"]) / top
        label = html.escape(f"{r['subject']} {r['period']}")
        parts.append(f'<text x="0" y="{i * row + 16}" font-size="12">{label}</text>')
        parts.append(f'<rect x="230" y="{i * row + 4}" width="{w:.1f}" height="16" fill="#4a78b5"/>')
        parts.append(
            f'<text x="{236 + w:.1f}" y="{i * row + 16}" font-size="12">'
            f"{html.escape(r['value'])} {html.escape(r['unit'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
