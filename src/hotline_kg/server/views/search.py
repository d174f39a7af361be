"""The search page, ``/search?q=&limit=``, and its twins ``/search.json`` and ``/search.csv``: the
dataset's codes found by zh or en label, code or notation, or the pinyin of a zh label.

The index (``server.search``) is built once at start-up (``index``, into ``app.state.search``)
from SELECTs through the engine interface: every resource of the data (``id/…``) of a class the
data declares or of ``queries.INDEXED_TYPES`` (code lists, data sets, agents), never observations
(they are reached from their subject). Its cost grows with the codes, not with the observations.
A query is answered from the index alone: no SPARQL is made from it. Each answer says how long
the search took in its ``Server-Timing`` header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hotline_kg import formats
from hotline_kg.rdf.vocab import HL, SKOS, Site
from hotline_kg.server.engine import Engine
from hotline_kg.server.queries import (
    CLASSES,
    CODE_VALUES,
    CODES,
    INDEXED_TYPES,
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_PREF,
    select,
    term,
)
from hotline_kg.server.responses import ENGINE_ERRORS, TEMPLATES, alternates, cache_control, csv_text, error, json_text
from hotline_kg.server.search import KIND_ORDER, Hit, Row, SearchIndex, build_index

SKOS_ALT = str(SKOS.altLabel)
SKOS_NOTATION = str(SKOS.notation)
#: The longest query answered (in characters), the results given by default and at most.
MAX_QUERY = 200
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
#: Codes read per query at start-up (the engine refuses results past its row limit).
PAGE = 1000
#: The columns of ``/search.csv`` (and the fields of each result of ``/search.json``).
CSV_COLUMNS = ("iri", "href", "label_zh", "label_en", "kind", "code", "score", "match")
#: What the index reads of each resource, besides its types.
PROPERTIES = (SKOS_PREF, RDFS_LABEL, SKOS_ALT, SKOS_NOTATION, str(HL.gbCode))

router = APIRouter()


async def index(engine: Engine, base: str) -> SearchIndex:
    """The search index of the codes the engine serves (read once, at start-up, into
    ``app.state.search``): the resources of the classes the data declares and of ``INDEXED_TYPES``,
    never observations, so that its cost grows with the codes and not with the observations. An
    engine that does not answer is an error (the server does not start): never an empty index."""
    bindings: list[dict[str, dict[str, str]]] = []
    data = json.dumps(Site(base).base + "id/")  # a SPARQL string: JSON's escapes are SPARQL's
    properties = ", ".join(f"<{p}>" for p in PROPERTIES)
    try:
        classes = [term(row["class"]["value"]) for row in await select(engine, CLASSES)]
        types = [*classes, *INDEXED_TYPES.split()]
        offset = 0
        while True:
            query = CODES.format(types=" ".join(types), data=data, page=PAGE, offset=offset)
            codes = [term(row["s"]["value"]) for row in await select(engine, query)]
            offset += len(codes)
            if codes:
                query = CODE_VALUES.format(codes=" ".join(codes), properties=properties, types=", ".join(types))
                bindings += await select(engine, query)
            if len(codes) < PAGE:
                break
    except (*ENGINE_ERRORS, ValueError, KeyError) as err:  # an engine that answers oddly, too
        raise IndexNotBuilt(f"the search index could not be built: {err}") from err
    return build_index(rows(bindings))


class IndexNotBuilt(Exception):
    """The engine did not give the search index its rows."""


def rows(bindings: list[dict[str, dict[str, str]]]) -> list[Row]:
    """The index's rows from the solutions of ``CODE_VALUES``: labels by language (skos:prefLabel before
    rdfs:label), the other labels, the code (skos:notation, else hl:gbCode) and the kind."""
    out = []
    for binding in bindings:
        values: dict[str, list[tuple[str, str]]] = {}
        for line in binding.get("values", {}).get("value", "").split("\n"):
            parts = line.split("\t", 2)
            if len(parts) == 3:
                values.setdefault(parts[0], []).append((parts[1].lower(), parts[2]))
        labels = sorted(values.get(SKOS_PREF, [])) + sorted(values.get(RDFS_LABEL, []))
        zh = next((v for lang, v in labels if lang.startswith("zh")), "")
        en = next((v for lang, v in labels if lang.startswith("en")), "")
        en = en or next((v for lang, v in labels if not lang), "")
        others = [v for _, v in labels + sorted(values.get(SKOS_ALT, [])) if v not in (zh, en)]
        notations = values.get(SKOS_NOTATION) or values.get(str(HL.gbCode), [])
        codes = sorted(v for _, v in notations)
        code = codes[0] if codes else ""
        out.append(
            Row(
                iri=binding["s"]["value"],
                kind=kind(v for _, v in values.get(RDF_TYPE, [])),
                label_zh=zh,
                label_en=en,
                code=code,
                alt_labels=tuple(dict.fromkeys(others + codes[1:])),
            )
        )
    return out


def kind(types: Iterable[str]) -> str:
    """A resource's kind from its types: the local name of the type ranked first in
    ``search.KIND_ORDER``, else of a type of the vocabulary, else of any type ("" without one)."""
    names = sorted({(not t.startswith(str(HL)), t.rsplit("#", 1)[-1].rsplit("/", 1)[-1]) for t in types})
    ranked = [n for _, n in names if n in KIND_ORDER]
    if ranked:
        return min(ranked, key=KIND_ORDER.index)
    return names[0][1] if names else ""


def _params(request: Request) -> tuple[str, int] | Response:
    """The query and the number of results asked for, or the 400 that refuses them."""
    q = request.query_params.get("q", "")
    if len(q) > MAX_QUERY:
        return error(400, f"the query is {len(q)} characters long; at most {MAX_QUERY} are searched for")
    given = request.query_params.get("limit", "")
    try:
        limit = int(given) if given.strip() else DEFAULT_LIMIT
    except ValueError:
        return error(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {given!r}")
    if limit < 1:
        return error(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {given!r}")
    return q, min(limit, MAX_LIMIT)


def _asked(request: Request) -> tuple[str, int, list[dict[str, object]], dict[str, str]] | Response:
    """What a search request asks and finds: its query, limit, results and headers (``_search``),
    or the 400 that refuses it (``_params``)."""
    params = _params(request)
    if isinstance(params, Response):
        return params
    q, limit = params
    return (q, limit, *_search(request, q, limit))


def _search(request: Request, q: str, limit: int) -> tuple[list[dict[str, object]], dict[str, str]]:
    """The results as dicts (with the path of each resource on this server) and the headers that
    every form of the answer carries (the time the search took, caching)."""
    found: SearchIndex = request.app.state.search
    began = time.perf_counter()
    hits = found.search(q, limit)
    took = time.perf_counter() - began
    site = Site(request.app.state.settings.base)
    results = [_result(hit, site) for hit in hits]
    headers = {"Server-Timing": f"search;dur={took * 1000:.3f}", "Cache-Control": cache_control("page")}
    return results, headers


def _result(hit: Hit, site: Site) -> dict[str, object]:
    return {
        "iri": hit.iri,
        "href": site.local(hit.iri),
        "label_zh": hit.label_zh,
        "label_en": hit.label_en,
        "kind": hit.kind,
        "code": hit.code,
        "score": hit.score,
        "match": hit.match,
    }


def _twins(q: str, limit: int) -> dict[str, str]:
    """The paths of the JSON and CSV answers to the same search."""
    query = urlencode({"q": q, "limit": limit} if limit != DEFAULT_LIMIT else {"q": q})
    return {"json": f"/search.json?{query}", "csv": f"/search.csv?{query}"}


@router.get("/search")
@router.head("/search")
async def search_page(request: Request) -> Response:
    """The search box, and with a query, its results; the JSON and CSV twins are linked."""
    asked = _asked(request)
    if isinstance(asked, Response):
        return asked
    q, limit, results, headers = asked
    twins = _twins(q, limit)
    headers["Link"] = alternates({formats.JSON: twins["json"], formats.SPARQL_CSV.media: twins["csv"]})
    context = {
        "query": q,
        "limit": limit,
        "results": results,
        "more": len(results) == limit and limit < MAX_LIMIT,
        "more_href": "/search?" + urlencode({"q": q, "limit": MAX_LIMIT}),
        "twins": twins,
        "json_type": formats.JSON,
        "csv_type": formats.SPARQL_CSV.media,
        "size": len(request.app.state.search),
        "limits": {
            "max-query": MAX_QUERY,
            "limit": DEFAULT_LIMIT,
            "max-limit": MAX_LIMIT,
            "columns": ",".join(CSV_COLUMNS),
        },
    }
    return TEMPLATES.TemplateResponse(request, "search.html", context, headers=headers)


@router.get("/search.json")
@router.head("/search.json")
async def search_json(request: Request) -> Response:
    """The results as JSON: the query, how many results, and each result."""
    asked = _asked(request)
    if isinstance(asked, Response):
        return asked
    q, _, results, headers = asked
    body = json_text({"query": q, "count": len(results), "results": results})
    return Response(body, media_type=formats.JSON, headers=headers)


@router.get("/search.csv")
@router.head("/search.csv")
async def search_csv(request: Request) -> Response:
    """The results as CSV (RFC 4180, with a header row): one row per result."""
    asked = _asked(request)
    if isinstance(asked, Response):
        return asked
    _, _, results, headers = asked
    body = csv_text(CSV_COLUMNS, results)
    return Response(body, media_type=formats.with_charset(formats.SPARQL_CSV.media), headers=headers)
