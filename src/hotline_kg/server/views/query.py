"""The query page, ``/query``: the form with the example queries of ``queries/``; with a query,
its results as a table (links for this dataset's IRIs). The endpoint itself is ``server.sparql``."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hotline_kg import formats
from hotline_kg.rdf.vocab import CANONICAL_BASE, ONTOLOGY, Site
from hotline_kg.server import protocol
from hotline_kg.server.engine import Answer
from hotline_kg.server.responses import ENGINE_ERRORS, TEMPLATES, engine_error_parts
from hotline_kg.server.settings import Settings

router = APIRouter()

#: Literal datatypes shown right-aligned.
NUMERIC = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in ("integer", "decimal", "double", "float", "int", "long")}


@router.get("/query", response_class=HTMLResponse)
@router.head("/query", response_class=HTMLResponse)
async def query_page(request: Request) -> Response:
    """The query form; with a query, its results as a table (links for this dataset's IRIs)."""
    settings: Settings = request.app.state.settings
    text = request.query_params.get("query")
    context: dict[str, object] = {"query": text or "", "examples": request.app.state.examples, **editor(settings.base)}
    status, headers = 200, {}
    if text:
        try:
            await protocol.check(text, request.app.state.graphs, settings.timeout)
            answer = await request.app.state.engine.query(text, [], [], formats.SPARQL_JSON.media)
            context.update(table(answer, settings.base))
        except protocol.Refused as err:
            status, context["error"] = 400, str(err)
        except ENGINE_ERRORS as err:  # the page, with the status the endpoint would answer
            status, message, headers = engine_error_parts(err)
            context["error"] = message
    elif request.app.state.examples:
        context["query"] = request.app.state.examples[0]["text"]
    return TEMPLATES.TemplateResponse(request, "query.html", context, status_code=status, headers=headers)


def editor(base: str) -> dict[str, str]:
    """What the page's editor (static/query.js) reads from the form's data attributes: the base
    (this dataset's IRIs link to their local paths) and the prefixes it completes."""
    prefixes = {**Site(base).prefixes(), "sdmx": "http://purl.org/linked-data/sdmx#"}
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


def table(answer: Answer, base: str) -> dict[str, object]:
    """An answer (SPARQL JSON, or N-Triples for a graph) as the rows of the page's table."""
    body = answer.body
    if answer.kind == "graph":
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
