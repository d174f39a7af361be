"""The home page, ``/``: the dataset's size and graphs, its reports, its dumps, the example queries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hotline_kg.rdf.vocab import HL, Site
from hotline_kg.server.engine import Engine
from hotline_kg.server.responses import TEMPLATES
from hotline_kg.server.settings import Settings
from hotline_kg.server.views.resource import select

router = APIRouter()

REPORTS = """
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?report ?zh ?en ?file (COUNT(DISTINCT ?obs) AS ?observations) WHERE {{
  ?report a <{hl}Report> .
  OPTIONAL {{ ?report dct:title ?zh . FILTER (lang(?zh) = "zh") }}
  OPTIONAL {{ ?report dct:title ?en . FILTER (lang(?en) = "en") }}
  OPTIONAL {{ ?report dct:identifier ?file }}
  OPTIONAL {{ ?obs <{hl}report> ?report ; a <http://purl.org/linked-data/cube#Observation> }}
}} GROUP BY ?report ?zh ?en ?file ORDER BY ?report"""


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    served: Engine = request.app.state.engine
    dumps = sorted(p.name for p in settings.dist.glob("*") if p.is_file()) if settings.dist.is_dir() else []
    return TEMPLATES.TemplateResponse(
        request,
        "home.html",
        {
            "triples": served.size(),
            "graphs": sorted(request.app.state.graphs),
            "reports": request.app.state.reports,
            "dumps": dumps,
            "examples": request.app.state.examples,
            "base": settings.base,
        },
    )


async def reports(engine: Engine, base: str) -> list[dict[str, str]]:
    """The source reports in the dataset, with their titles and how many observations each gave
    (read once, at start-up, into ``app.state.reports``)."""
    names = ("report", "zh", "en", "file", "observations")
    return [
        {n: row.get(n, {}).get("value", "") for n in names} | {"href": Site(base).local(row["report"]["value"])}
        for row in await select(engine, REPORTS.format(hl=HL))
    ]
