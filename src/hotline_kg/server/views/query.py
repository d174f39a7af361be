"""The query page, ``/query``: the form with the example queries of ``queries/``; with a query,
its results as a table (links for this dataset's IRIs). The endpoint itself is ``server.sparql``,
whose checks, answer cache and errors the page shares."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hotline_kg import formats
from hotline_kg.rdf.vocab import XSD, Site
from hotline_kg.server import cache, sparql
from hotline_kg.server.queries import query_form
from hotline_kg.server.responses import TEMPLATES
from hotline_kg.server.settings import Settings

router = APIRouter()

#: Literal datatypes shown right-aligned.
NUMERIC = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long")}


@router.get("/query", response_class=HTMLResponse)
@router.head("/query", response_class=HTMLResponse)
async def query_page(request: Request) -> Response:
    """The query form; with a query, its results as a table (links for this dataset's IRIs). The
    query gets the endpoint's checks and answer cache (``sparql.checked``, ``sparql.answered``)."""
    state = request.app.state
    settings: Settings = state.settings
    text = request.query_params.get("query")
    context = query_form(text or "", state.examples, settings.base, settings.allow_service)
    status, headers = 200, {}
    if text:
        try:
            parsed = await sparql.checked(state, text)
            graph = parsed.form in ("ConstructQuery", "DescribeQuery")
            media = formats.N_TRIPLES.media if graph else formats.SPARQL_JSON.media
            dataset = (list(parsed.from_default), list(parsed.from_named))
            key = cache.key(state.build, text, *dataset, media)
            answer, _ = await sparql.answered(state, key, text, dataset, media, services=len(parsed.services))
            context.update(table(answer.body, answer.media_type, settings.base))
        except sparql.Refusal as no:  # the page, with the status the endpoint would answer
            status, context["error"], headers = no.status, no.message, no.headers
    elif state.examples:
        context["query"] = state.examples[0]["text"]
    return TEMPLATES.TemplateResponse(request, "query.html", context, status_code=status, headers=headers)


def table(body: bytes, media_type: str, base: str) -> dict[str, object]:
    """An answer (SPARQL JSON, or N-Triples for a graph) as the rows of the page's table."""
    if media_type in formats.GRAPH_TYPES:
        return {"head": ["triples"], "rows": [[{"text": line, "href": ""}] for line in body.decode().splitlines()]}
    data = json.loads(body)
    if "boolean" in data:
        return {"head": ["ASK"], "rows": [[{"text": str(data["boolean"]).lower(), "href": ""}]]}
    head = data["head"]["vars"]
    rows = []
    for binding in data["results"]["bindings"]:
        row = []
        for var in head:
            cell = binding.get(var)
            if cell is None:
                row.append({"text": "", "href": ""})
            elif cell["type"] == "uri":  # a link only to a web address: never javascript: or data:
                value = cell["value"]
                href = Site(base).local(value) if value.startswith(("http://", "https://")) else ""
                row.append({"text": value, "href": href})
            else:
                text = cell["value"] + (f" @{cell['xml:lang']}" if "xml:lang" in cell else "")
                row.append({"text": text, "href": "", "num": cell.get("datatype", "") in NUMERIC})
        rows.append(row)
    return {"head": head, "rows": rows}
