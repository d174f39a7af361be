"""The resource pages: what a URI of the dataset (``/id/…``) or of the vocabulary (``/def/hotline``)
answers — its description as an HTML page or as RDF (``?format=`` or Accept; the media types are
``formats.RESOURCE_TYPES`` and ``formats.RESOURCE_PARAM``), and its observation table as JSON or
CSV (``/id/….json``, ``/id/….csv``), with ``Link`` headers to every alternate.

The route is ``resource``, mounted last: it answers 404 for every other path. A description is
the resource's own triples, the labels of what it links to, and what links to it by the
properties of ``queries.LINKS`` (observations' links left out). Its observations (those it is
the subject, period, report or data set of; for a district, its parts' too) are summed up
(counts per measure and per latest period, charts of the latest periods) and listed
``PAGE_SIZE`` at a time, by IRI, with keyset pagination: ``?after=`` the last one shown, and
filters ``?period=``, ``?measure=``, ``?report=`` (paths of this dataset). The twins page the
same way, with ``Link: rel="next"``. Which observations those are comes from the index of the
observations (``server.observation_index``: look-ups and ranges, whatever the data's size); their
figures, from the engine, for the observations shown. So a page costs what it shows, not what the
data holds; the full table stays in the dumps. Every read goes through the engine interface
(``engine.Engine``) or the index, asynchronously and under the time limit: graphs come back as
N-Triples, solutions as SPARQL JSON; the queries and how they run are in ``server.queries``. An
IRI enters a query only once ``ox.NamedNode`` has accepted it, and is written by pyoxigraph
(``queries.term``), never pasted from the request.

The page shows every term by its labels, Chinese first and English beside it (English first when
the request's ``Accept-Language`` prefers it), with its prefixed name on hover; a term without a
label shows its prefixed name. Rows are grouped: identity, place in the code lists, links out,
the figure (an observation's), other properties; then charts (``server.charts``), observations and
what links here. An observation's page shows its quote with the figure marked, and links to its
line in the report text (``/reports/<file>#L<line>``, ``server.views.dumps``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from rdflib import Graph
from starlette.convertors import Convertor, register_url_convertor

from hotline_kg import formats
from hotline_kg.rdf import dumps
from hotline_kg.rdf.vocab import CANONICAL_BASE, DCTERMS, HL, ONTOLOGY, OWL, PROV, QB, RDFS, SKOS, WIKIDATA_DIRECT, Site
from hotline_kg.server import charts, protocol
from hotline_kg.server.engine import Engine
from hotline_kg.server.observation_index import NO_ROLE, Held, ObservationIndex
from hotline_kg.server.queries import (
    OBS_VALUE,
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_PREF,
    UNIT_MEASURE,
    graph,
    is_version,
    observation_rows,
    source_file,
    term_labels,
    triples,
)
from hotline_kg.server.responses import (
    ENGINE_ERRORS,
    TEMPLATES,
    alternates,
    cache_control,
    csv_text,
    engine_error,
    json_text,
    not_found,
)
from hotline_kg.server.settings import Settings

#: Groups of a page's rows, in order: key, Chinese and English heading.
GROUPS = (
    ("identity", "基本信息", "Identity"),
    ("codes", "代码表中的位置", "Place in the code lists"),
    ("links", "外部链接", "Links out"),
    ("figure", "数据", "The figure"),
    ("other", "其他属性", "Other properties"),
)
IDENTITY = {
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_PREF,
    str(SKOS.altLabel),
    str(SKOS.hiddenLabel),
    str(SKOS.notation),
    str(SKOS.definition),
    str(SKOS.note),
    str(SKOS.scopeNote),
    str(RDFS.comment),
    str(DCTERMS.title),
    str(DCTERMS.description),
    str(DCTERMS.identifier),
    str(HL) + "gbCode",
    str(WIKIDATA_DIRECT.P442),
}
CODES = {
    str(SKOS.broader),
    str(SKOS.narrower),
    str(SKOS.inScheme),
    str(SKOS.topConceptOf),
    str(SKOS.hasTopConcept),
    str(SKOS.closeMatch),
    str(SKOS.related),
    str(HL) + "district",
    str(HL) + "level",
    str(HL) + "category",
    str(HL) + "group",
}
LINKS_OUT = {str(OWL.sameAs), str(SKOS.exactMatch), str(RDFS.seeAlso)}
FIGURE = {
    str(HL) + name
    for name in (
        "subject",
        "refPeriod",
        "measure",
        "printedValue",
        "cases",
        "quote",
        "sourceLine",
        "sourcePage",
        "report",
        "shareOf",
        "approximate",
        "qualifier",
        "direction",
    )
} | {OBS_VALUE, UNIT_MEASURE, str(QB.dataSet), str(PROV.wasDerivedFrom)}
#: The CSV twin's columns, and the key of each in a row of ``observation_table``.
CSV_KEYS = {
    "observation": "iri",
    "subject": "subject_iri",
    "subject_zh": "subject_zh",
    "subject_en": "subject_en",
    "period": "period_key",
    "measure": "measure_key",
    "measure_zh": "measure_zh",
    "measure_en": "measure_en",
    "value": "value",
    "unit": "unit",
    "share_of": "share_of",
}
#: The order of an observation's own properties on its page.
FIGURE_ORDER = tuple(
    str(HL) + name if ":" not in name else name
    for name in (
        "subject",
        "refPeriod",
        "measure",
        OBS_VALUE,
        UNIT_MEASURE,
        "printedValue",
        "approximate",
        "qualifier",
        "direction",
        "shareOf",
        "cases",
        "quote",
        "sourceLine",
        "sourcePage",
        "report",
    )
)
TWINS = {".json": formats.FILE_TYPES[".json"], ".csv": formats.FILE_TYPES[".csv"]}
#: How a page names each of its other forms.
FORMAT_NAMES = {
    formats.TURTLE.media: "Turtle",
    formats.JSON_LD.media: "JSON-LD",
    formats.N_TRIPLES.media: "N-Triples",
    formats.RDF_XML.media: "RDF/XML",
    **{media: ending[1:].upper() for ending, media in TWINS.items()},
}
#: Observations per page of a resource's list (and of its .json and .csv twins), the latest
#: periods its summary counts and its charts draw, and the most observations they draw.
PAGE_SIZE = 50
PERIODS = 12
CHARTED = 2000
#: The list's filters: each query parameter names what an observation's period, measure or report
#: is (a path of this dataset: ?period=/id/year/2024).
FILTERS = ("period", "measure", "report")


router = APIRouter()


class _AnyPath(Convertor[str]):
    """Any path, line breaks included: Starlette's ``path`` stops at one, and a path with a line
    break would miss this route and get FastAPI's JSON 404 instead of this route's."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anypath", _AnyPath())


@router.get("/{kind:anypath}")
@router.head("/{kind:anypath}")
async def resource(kind: str, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not (kind.startswith("id/") or kind.startswith("def/")):
        return not_found(request, f"nothing at /{kind}")
    twin = next((ending for ending in TWINS if kind.startswith("id/") and kind.endswith(ending)), None)
    forced = next((ending for ending in formats.RESOURCE_ENDINGS if kind.endswith(ending)), None)
    kind = kind.removesuffix(twin or forced or "")
    # an IRI of the data or of the vocabulary, by its path, whatever host this is
    iri = str(ONTOLOGY) + kind.removeprefix("def/hotline") if kind.startswith("def/") else settings.base + kind
    media = formats.RESOURCE_ENDINGS[forced] if forced else None
    engine = request.app.state.engine
    if kind.startswith("def/hotline/") and _is_iri(iri):  # a version IRI: the vocabulary as it is
        try:
            iri = str(ONTOLOGY) if await is_version(engine, iri) else iri
        except ENGINE_ERRORS as err:
            return engine_error(err)
    return await respond(request, engine, iri, settings.base, twin, media)


async def respond(
    request: Request, engine: Engine, iri: str, base: str, twin: str | None = None, media: str | None = None
) -> Response:
    """The description of ``iri`` as the request asks for it (``twin``: its observation table as
    ".json" or ".csv"; ``media``: as the ending of its path says, ``/id/….ttl``), or 404 if the
    dataset does not have it."""
    try:
        ox.NamedNode(iri)
    except ValueError:
        return not_found(request, "not an IRI")
    listing = _listing(request, base)
    if isinstance(listing, Response):
        return listing
    try:
        found = await triples(engine, iri, base, getattr(request.app.state, "links", ""))
    except ENGINE_ERRORS as err:
        return engine_error(err)
    own = [t for t in found if t.subject.value == iri or t.object == ox.NamedNode(iri)]
    if not own:
        return not_found(request, f"no resource <{iri}> in this dataset")
    path = _path(iri, base)
    hrefs = _alternates(iri, base)
    headers = {"Link": alternates(hrefs), "Vary": "Accept, Accept-Language", "Cache-Control": cache_control("page")}
    if twin:
        return await _twin(request, engine, iri, base, twin, found, headers, listing)
    wanted = media or formats.RESOURCE_PARAM.get(request.query_params.get("format", ""))
    offered = formats.RESOURCE_TYPES
    media = wanted or protocol.negotiate(request.headers.get("accept"), offered)
    if media is None:
        return Response(f"available as: {', '.join(offered)}\n", status_code=406, media_type=formats.TEXT)
    if media != formats.HTML:
        found = sorted(found, key=str)  # grouped by subject, the same order every time
        if media == formats.JSON_LD.media:
            body = dumps.graph_jsonld(_rdflib_graph(found), request.app.state.jsonld_context)
        elif media == formats.TURTLE.media:  # as the dumps: grouped, sorted, no escapes in local names
            body = dumps.turtle(Site(base), _rdflib_graph(found))
        else:
            body = ox.serialize(found, format=formats.GRAPH_FORMATS[media])  # N-Triples, RDF/XML
        typed = formats.with_charset(media)
        return Response(body if request.method != "HEAD" else b"", media_type=typed, headers=headers)
    english = prefers_english(request.headers.get("accept-language"))
    index: ObservationIndex = request.app.state.observations
    try:
        listed = await _listed(engine, index, iri, base, found, listing)
        summary = index.summary(listed.held, PERIODS)
        drawn = await observation_rows(engine, index.charted(listed.held, summary[1], CHARTED))
        names = _names(found, listed.rows + drawn) | set(summary[0]) | set(summary[1])
        labels = await term_labels(engine, names)
        source = await _source_file(engine, iri, found)
    except ENGINE_ERRORS as err:
        return engine_error(err)
    page = _page(iri, found, listed.rows, labels, base, english)
    namer = Namer(labels, Site(base), english)
    page["charts"] = _charts(iri, observation_table(iri, drawn, namer, Site(base)), namer)
    page["summary"] = _summary(summary, namer, Site(base))
    page["listing"] = _links(path, listing, listed, Site(base))
    page["source_file"] = source
    page["alternates"] = [{"href": href, "type": m, "name": FORMAT_NAMES[m]} for m, href in hrefs.items()]
    return TEMPLATES.TemplateResponse(request, "resource.html", page, headers=headers)


def _path(iri: str, base: str) -> str:
    """The path a resource's page answers at: ``/id/…`` of the data, ``/def/hotline`` of the vocabulary."""
    if iri.startswith(base):
        return Site(base).local(iri)
    return "/" + iri.removeprefix(CANONICAL_BASE).split("#", 1)[0]


def _alternates(iri: str, base: str) -> dict[str, str]:
    """Every other form of a resource's page, by media type: its description in each RDF format
    (``/id/….ttl`` …) and, for a resource of the data, its observations as JSON and CSV."""
    path = _path(iri, base)
    hrefs = {media: path + ending for ending, media in formats.RESOURCE_ENDINGS.items()}
    if iri.startswith(base + "id/"):
        hrefs |= {media: path + ending for ending, media in TWINS.items()}
    return hrefs


def _rdflib_graph(found: list[ox.Triple]) -> Graph:
    return Graph().parse(data=ox.serialize(found, format=ox.RdfFormat.N_TRIPLES), format="nt")


async def jsonld_context(engine: Engine, base: str) -> dict[str, object]:
    """The JSON-LD context of the dumps, from the vocabulary the dataset holds."""
    found = await graph(engine, str(Site(base).graph("ontology")))
    return dumps.jsonld_context(Site(base), _rdflib_graph(found))


# --- language ----------------------------------------------------------------------------------------------


def prefers_english(header: str | None) -> bool:
    """Whether an ``Accept-Language`` header prefers English to Chinese: by quality (``q=``), then by
    order; a language not named takes the weight of ``*``; ``q=0`` refuses it."""
    best: dict[str, tuple[float, int]] = {}
    for position, item in enumerate((header or "").split(",")):
        tag, *params = [p.strip() for p in item.split(";")]
        weight = float(1)
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), float(0)), float(1))
                except ValueError:
                    weight = float(0)
        primary = tag.lower().split("-")[0]
        if primary in ("en", "zh", "*") and (primary not in best or best[primary][0] < weight):
            best[primary] = (weight, -position)
    wildcard = best.get("*", (float(0), -(10**6)))
    en, zh = best.get("en", wildcard), best.get("zh", wildcard)
    return en[0] > 0 and en > zh


# --- the page ----------------------------------------------------------------------------------------------


def _names(found: list[ox.Triple], rows: list[dict[str, str]]) -> set[str]:
    """Every IRI a page names by label: predicates, objects, subjects linking here, the observations' terms."""
    names = {t.predicate.value for t in found}
    names |= {t.object.value for t in found if isinstance(t.object, ox.NamedNode)}
    names |= {t.subject.value for t in found if isinstance(t.subject, ox.NamedNode)}
    for row in rows:
        names |= {row.get(k, "") for k in ("subject", "period", "measure", "unit", "shareOf", "level")}
    return names


async def _source_file(engine: Engine, iri: str, found: list[ox.Triple]) -> str:
    """The name of the report text an observation came from ("2024.txt"), or ""."""
    if not any(t.subject.value == iri and t.predicate.value == str(HL.quote) for t in found):
        return ""
    return (await source_file(engine, iri)).rsplit("/", 1)[-1]


class Namer:
    """Terms as the page shows them: by labels in the reader's order of languages, else by prefixed name."""

    def __init__(self, labels: dict[str, dict[str, str]], site: Site, english: bool) -> None:
        self.labels, self.site = labels, site
        self.order = ("en", "zh") if english else ("zh", "en")

    def parts(self, iri: str) -> list[dict[str, str]]:
        lab = self.labels.get(iri, {})
        parts = [{"text": lab[lang], "lang": lang} for lang in self.order if lab.get(lang)]
        if len(parts) == 2 and parts[0]["text"] == parts[1]["text"]:
            parts = parts[:1]
        return parts or [{"text": self.site.curie(iri), "lang": ""}]

    def first(self, iri: str, fallback: str = "") -> str:
        """The label in the reader's first language (else the other, the notation, the fallback)."""
        lab = self.labels.get(iri, {})
        return next((lab[k] for k in (*self.order, "notation") if lab.get(k)), fallback or self.site.curie(iri))

    def term(self, term: object) -> dict[str, object]:
        if isinstance(term, ox.NamedNode):
            iri = term.value
            return {"href": self.site.local(iri), "parts": self.parts(iri), "title": self.site.curie(iri)}
        if isinstance(term, ox.Literal):
            return {"href": "", "parts": [{"text": term.value, "lang": term.language or ""}], "title": ""}
        return {"href": "", "parts": [{"text": str(term), "lang": ""}], "title": ""}


def _group(predicate: str, obj: object, base: str) -> str:
    if predicate in IDENTITY:
        return "identity"
    if predicate in CODES:
        return "codes"
    if predicate in FIGURE:
        return "figure"
    if predicate in LINKS_OUT:
        return "links"
    if isinstance(obj, ox.NamedNode) and not obj.value.startswith((base, str(ONTOLOGY))):
        return "links"
    return "other"


def _page(
    iri: str,
    found: list[ox.Triple],
    rows: list[dict[str, str]],
    labels: dict[str, dict[str, str]],
    base: str,
    english: bool,
) -> dict[str, object]:
    site = Site(base)
    namer = Namer(labels, site, english)
    first_lang = namer.order[0]

    def order(t: ox.Triple) -> tuple[object, ...]:
        lang = t.object.language if isinstance(t.object, ox.Literal) else None
        p = t.predicate.value
        rank = FIGURE_ORDER.index(p) if p in FIGURE_ORDER else len(FIGURE_ORDER)
        return (p != RDF_TYPE, rank, p, lang not in (None, first_lang), str(t.object))

    groups: dict[str, dict[str, dict[str, object]]] = {key: {} for key, _, _ in GROUPS}
    for t in sorted((t for t in found if t.subject.value == iri), key=order)[:400]:
        group = _group(t.predicate.value, t.object, base)
        obj = namer.term(t.object)
        if group == "links" and isinstance(t.object, ox.NamedNode):
            obj["parts"] = [{"text": site.curie(t.object.value), "lang": ""}]
            obj["title"] = t.object.value
        row = groups[group].setdefault(t.predicate.value, {"p": namer.term(t.predicate), "values": []})
        row["values"].append(obj)  # type: ignore[union-attr]
    incoming: dict[str, dict[str, object]] = {}
    for t in found:
        if isinstance(t.object, ox.NamedNode) and t.object.value == iri and t.subject.value != iri:
            if t.predicate.value in (str(HL) + "subject", str(HL) + "refPeriod"):
                continue
            entry = incoming.setdefault(t.predicate.value, {"p": namer.term(t.predicate), "items": []})
            entry["items"].append(namer.term(t.subject))  # type: ignore[union-attr]
    for entry in incoming.values():
        entry["items"].sort(key=lambda term: term["href"])  # type: ignore[union-attr]
    lab = labels.get(iri, {})
    heading = namer.parts(iri) if lab.get("zh") or lab.get("en") else [{"text": site.curie(iri), "lang": ""}]
    observations = observation_table(iri, rows, namer, site)
    observations.sort(key=lambda o: o["iri"])  # the list's order: by IRI, page after page
    return {
        "iri": iri,
        "curie": site.curie(iri),
        "heading": heading,
        "title_text": namer.first(iri, site.curie(iri)),
        "groups": [
            {"key": key_, "zh": zh, "en": en, "rows": list(groups[key_].values())}
            for key_, zh, en in GROUPS
            if groups[key_]
        ],
        "english": english,
        "incoming": list(incoming.values())[:50],
        "observations": observations,
        "quote": _quote(iri, found),
    }


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


def _period_key(period_iri: str) -> str:
    """The period's key in time order: "2024", "2024-11" (a year sorts before its months)."""
    return period_iri.rstrip("/").rsplit("/", 1)[-1]


def observation_table(iri: str, rows: list[dict[str, str]], namer: Namer, site: Site) -> list[dict[str, str]]:
    """One row per observation: what the table, the charts and the .json/.csv twins show."""
    table = []
    for row in rows:
        unit = row.get("unit", "")
        table.append(
            {
                "iri": row["obs"],
                "href": site.local(row["obs"]),
                "subject_iri": row["subject"],
                "subject_href": site.local(row["subject"]),
                "subject": namer.first(row["subject"]),
                "subject_zh": namer.labels.get(row["subject"], {}).get("zh", ""),
                "subject_en": namer.labels.get(row["subject"], {}).get("en", ""),
                "period_iri": row["period"],
                "period_key": _period_key(row["period"]),
                "period": namer.first(row["period"], _period_key(row["period"])),
                "measure_iri": row["measure"],
                "measure_key": namer.labels.get(row["measure"], {}).get("notation", _period_key(row["measure"])),
                "measure": namer.first(row["measure"]),
                "measure_zh": namer.labels.get(row["measure"], {}).get("zh", ""),
                "measure_en": namer.labels.get(row["measure"], {}).get("en", ""),
                "value": row["value"],
                "unit_iri": unit,
                "unit": namer.labels.get(unit, {}).get("notation") or (namer.first(unit) if unit else ""),
                "share_of": row.get("shareOf", ""),
                "level": row.get("level", ""),
                "level_name": namer.first(row["level"]) if row.get("level") else "",
            }
        )
    table.sort(key=lambda o: (o["period_key"], o["subject_iri"], o["measure_key"], o["iri"]))
    return table


def _charts(iri: str, table: list[dict[str, str]], namer: Namer) -> list[dict[str, str]]:
    """A chart per series of the resource's own figures (measure + unit + whole + kind of period),
    its periods in time order; for a district, its levels' shares."""
    series: dict[tuple[str, str, str, int], list[dict[str, str]]] = {}
    for o in table:
        if o["subject_iri"] == iri:
            series.setdefault((o["measure_iri"], o["unit"], o["share_of"], len(o["period_key"])), []).append(o)
    made = []
    for n, ((measure, unit, whole, _), obs) in enumerate(sorted(series.items(), key=lambda s: s[0])):
        periods = sorted({o["period_key"] for o in obs})
        if len(periods) < 2 or len(periods) != len(obs):
            continue  # one period is no series; two figures for one period are not one series
        obs = sorted(obs, key=lambda o: o["period_key"])
        title = " ".join(namer.parts(measure)[i]["text"] for i in range(len(namer.parts(measure))))
        if whole:
            title += " · " + ("of " if namer.order[0] == "en" else "占 ") + namer.first(whole)
        points = [charts.Point(o["period_key"], float(_number(o["value"])), o["value"]) for o in obs]
        made.append({"svg": charts.series(f"chart-{n}", title, unit or "—", points), "title": title})
    levels: dict[str, list[tuple[str, float, str]]] = {}
    for o in table:
        if o["level"] and o["subject_iri"] != iri and o["share_of"] == iri and o["unit"] == "%":
            levels.setdefault(o["period_key"], []).append((o["level_name"], float(_number(o["value"])), o["value"]))
    if levels:
        rows = [(period, sorted(parts)) for period, parts in sorted(levels.items())]
        title = "Shares by level of handling" if namer.order[0] == "en" else "各层级承办占比"
        made.append({"svg": charts.shares("chart-levels", title, rows), "title": title})
    return made


def _quote(iri: str, found: list[ox.Triple]) -> dict[str, object] | None:
    """An observation's quote with its printed figure marked (HTML, escaped), its source lines and pages."""
    own = [t for t in found if t.subject.value == iri]
    quote = next((t.object.value for t in own if t.predicate.value == str(HL) + "quote"), None)
    if quote is None:
        return None
    printed = next((t.object.value for t in own if t.predicate.value == str(HL) + "printedValue"), "")
    lines = sorted(int(t.object.value) for t in own if t.predicate.value == str(HL) + "sourceLine")
    pages = sorted({int(t.object.value) for t in own if t.predicate.value == str(HL) + "sourcePage"})
    return {"html": mark(quote, printed), "text": quote, "printed": printed, "lines": lines, "pages": pages}


def mark(quote: str, figure: str) -> Markup:
    """The quote, escaped, with each place the figure is printed (not inside a longer number) in <mark>."""
    if not figure:
        return escape(quote)
    pattern = re.compile(r"(?<![\d.])" + re.escape(figure) + r"(?![\d])(?!\.\d)")
    out, at = [], 0
    for match in pattern.finditer(quote):
        out += [str(escape(quote[at : match.start()])), f"<mark>{escape(match.group())}</mark>"]
        at = match.end()
    out.append(str(escape(quote[at:])))
    return Markup("".join(out))


# --- the twins: the observation table as JSON and CSV ----------------------------------------------------


async def _twin(
    request: Request,
    engine: Engine,
    iri: str,
    base: str,
    ending: str,
    found: list[ox.Triple],
    headers: dict[str, str],
    listing: Listing,
) -> Response:
    try:
        listed = await _listed(engine, request.app.state.observations, iri, base, found, listing)
        labels = await term_labels(engine, _names([], listed.rows) | {iri})
    except ENGINE_ERRORS as err:
        return engine_error(err)
    namer = Namer(labels, Site(base), False)
    table = observation_table(iri, listed.rows, namer, Site(base))
    table.sort(key=lambda o: o["iri"])
    links = _links(request.url.path, listing, listed, Site(base))
    headers = {**headers, "Vary": "Accept"}
    if links["next"]:
        headers["Link"] = f'<{links["next"]}>; rel="next", ' + headers["Link"]
    media = formats.with_charset(TWINS[ending])
    if ending == ".json":
        own = labels.get(iri, {})
        body = {
            "iri": iri,
            "labels": {lang: own[lang] for lang in ("zh", "en") if own.get(lang)},
            "observations": [
                {
                    "iri": o["iri"],
                    "href": o["href"],
                    "subject": o["subject_iri"],
                    "period": o["period_key"],
                    "measure": o["measure_key"],
                    "measure_label": {"zh": o["measure_zh"], "en": o["measure_en"]},
                    "value": float(_number(o["value"])),
                    "unit": o["unit"],
                    **({"shareOf": o["share_of"]} if o["share_of"] else {}),
                }
                for o in table
            ],
            "next": links["next"] or None,
        }
        text = json_text(body)
    else:
        text = csv_text(CSV_KEYS, ({column: o[key] for column, key in CSV_KEYS.items()} for o in table))
    body_bytes = text.encode("utf-8") if request.method != "HEAD" else b""
    return Response(body_bytes, media_type=media, headers=headers)


# --- the list of a page's observations: filters and keyset pagination -----------------------------------


@dataclass(frozen=True)
class Listing:
    """What a request asks of a page's list: its filters (``FILTERS`` → IRI), and the observation it
    starts after (an IRI, "" for the first page)."""

    filters: dict[str, str]
    after: str


@dataclass(frozen=True)
class Listed:
    """A page of the list: its rows, the IRI of the last when there is a next page, and the roles
    the resource plays for its observations (``observation_index.Held``)."""

    rows: list[dict[str, str]]
    last: str = ""
    held: Held = NO_ROLE


def _listing(request: Request, base: str) -> Listing | Response:
    """The list's parameters of a request (each a path of this dataset, ``/id/…``), or the 400 that
    names the one that is not."""
    given: dict[str, str] = {}
    for param in (*FILTERS, "after"):
        value = request.query_params.get(param, "")
        if not value:
            continue
        iri = base + value.removeprefix("/")
        if not value.startswith("/id/") or not _is_iri(iri):
            return Response(
                f"the parameter {param} must be a path of this dataset, such as /id/year/2024; not {value[:100]!r}\n",
                status_code=400,
                media_type=formats.TEXT,
            )
        given[param] = iri
    after = given.pop("after", "")
    return Listing(given, after)


def _is_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _itself(iri: str, found: list[ox.Triple]) -> bool:
    """Whether the resource is an observation (its description holds its value)."""
    return any(t.subject.value == iri and t.predicate.value == OBS_VALUE for t in found)


async def _listed(
    engine: Engine, index: ObservationIndex, iri: str, base: str, found: list[ox.Triple], listing: Listing
) -> Listed:
    """The page of the list a request asks for: an observation's page lists itself; a page of
    another resource of the data, ``PAGE_SIZE`` of its observations: which, from the index; their
    rows, from the engine."""
    if not iri.startswith(base):
        return Listed([])
    if _itself(iri, found):
        return Listed(await observation_rows(engine, [iri]))
    held = index.roles(iri)
    shown = index.page(held, listing.filters, listing.after, PAGE_SIZE + 1)
    rows = await observation_rows(engine, shown[:PAGE_SIZE])
    return Listed(rows, shown[PAGE_SIZE - 1] if len(shown) > PAGE_SIZE else "", held)


def _links(path: str, listing: Listing, listed: Listed, site: Site) -> dict[str, str]:
    """The list's links: the next page (keyset: after its last observation) and the first, with
    the filters as given."""
    kept = [(param, site.local(listing.filters[param])) for param in FILTERS if param in listing.filters]
    nxt = f"{path}?{urlencode([*kept, ('after', site.local(listed.last))])}" if listed.last else ""
    first = f"{path}?{urlencode(kept)}" if listing.after else ""
    return {"next": nxt, "first": first, "filtered": ", ".join(value for _, value in kept)}


def _summary(summary: tuple[dict[str, int], dict[str, int]], namer: Namer, site: Site) -> dict[str, object]:
    """How many observations per measure and per period (the latest), each linked to the list so
    filtered."""
    per_measure, per_period = summary

    def item(iri: str, n: int, param: str) -> dict[str, object]:
        local = site.local(iri)
        return {"term": namer.term(ox.NamedNode(iri)), "n": n, "href": f"?{urlencode([(param, local)])}"}

    return {
        "measures": [item(m, n, "measure") for m, n in sorted(per_measure.items(), key=lambda x: (-x[1], x[0]))],
        "periods": [item(p, n, "period") for p, n in sorted(per_period.items(), key=lambda x: x[0], reverse=True)],
        "total": sum(per_measure.values()),
    }
