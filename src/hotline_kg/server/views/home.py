"""The home page, ``/``: the story of each report — its headline figures (requests received,
dispatched and answered directly, the resolution and satisfaction rates), its top categories and
its districts as charts — then the dataset's size and graphs, its reports, its dumps, the example
queries. Its twins, ``/index.json`` and ``/index.csv``, give the same figures as data: the story
without its drawings, and one row per figure shown, each with the observation it comes from.

Everything the story shows is read from the graph once, at start-up (``story``, into
``app.state.story``), by two SELECTs through the engine: the figures by the ontology's own terms
(the classes ``hl:Hotline``, ``hl:Disposition``, ``hl:Category``, ``hl:District``, the measures by
their notation), then the labels of what they name. A measure a report lacks is left out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hotline_kg import formats
from hotline_kg.rdf.vocab import HL, Site
from hotline_kg.server import charts
from hotline_kg.server.engine import Engine
from hotline_kg.server.queries import FIGURES, REPORTS, select, term_labels
from hotline_kg.server.responses import TEMPLATES, alternates, csv_text, json_text
from hotline_kg.server.settings import Settings

router = APIRouter()

REQUESTS, SHARE, RESOLUTION, SATISFACTION = "requests", "share", "resolution-rate", "satisfaction-rate"
KINDS = ("Hotline", "Disposition", "Category", "District")
#: How many categories the chart shows, largest first.
TOP_CATEGORIES = 10


#: The home page's twins: its figures as JSON and as CSV.
TWINS = {"json": "/index.json", "csv": "/index.csv"}
#: The columns of the CSV twin: one row per figure the home page shows.
CSV_COLUMNS = ("report", "section", "label_zh", "label_en", "measure", "value", "unit", "observation")


def _twin_links() -> dict[str, str]:
    return {"Link": alternates({formats.JSON: TWINS["json"], formats.SPARQL_CSV.media: TWINS["csv"]})}


@router.get("/", response_class=HTMLResponse)
@router.head("/", response_class=HTMLResponse)
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
            "story": getattr(request.app.state, "story", []),
            "dumps": dumps,
            "examples": request.app.state.examples,
            "base": settings.base,
            "twins": TWINS,
            "json_type": formats.JSON,
            "csv_type": formats.SPARQL_CSV.media,
        },
        headers=_twin_links(),
    )


@router.get("/index.json")
@router.head("/index.json")
async def home_json(request: Request) -> Response:
    """The home page's story as JSON: each report's headline figures and charts' bars."""
    told = [without_drawings(report) for report in getattr(request.app.state, "story", [])]
    return Response(json_text({"reports": told}), media_type=formats.JSON, headers=_twin_links())


@router.get("/index.csv")
@router.head("/index.csv")
async def home_csv(request: Request) -> Response:
    """The home page's figures as CSV (RFC 4180, a header row): one row per figure shown."""
    body = csv_text(CSV_COLUMNS, figure_rows(getattr(request.app.state, "story", [])))
    return Response(body, media_type=formats.with_charset(formats.SPARQL_CSV.media), headers=_twin_links())


def without_drawings(report: dict[str, object]) -> dict[str, object]:
    """A report's story as data: its charts without their SVG."""
    charts_ = [{k: v for k, v in c.items() if k != "svg"} for c in report["charts"]]  # type: ignore[attr-defined]
    return {**report, "charts": charts_}


def figure_rows(story: list[dict[str, object]]) -> list[dict[str, str]]:
    """Every figure the home page shows, one row each: its report, where it is shown (the headline
    or a chart's title), what it is, its value and unit, and the path of its observation."""
    rows: list[dict[str, str]] = []
    for report in story:
        for item in report["headline"]:  # type: ignore[attr-defined]
            fig = item["figure"]
            rows.append(
                {
                    "report": str(report["report"]),
                    "section": "headline",
                    "label_zh": item["zh"],
                    "label_en": item["en"],
                    "measure": item["measure"],
                    "value": fig["value"],
                    "unit": fig["unit"],
                    "observation": fig["href"],
                }
            )
        for chart in report["charts"]:  # type: ignore[attr-defined]
            for bar in chart["links"]:
                rows.append(
                    {
                        "report": str(report["report"]),
                        "section": chart["title"],
                        "label_zh": bar["zh"],
                        "label_en": bar["en"],
                        "measure": REQUESTS,
                        "value": bar["value"],
                        "unit": chart.get("unit", ""),
                        "observation": bar["obs"],
                    }
                )
    return rows


async def reports(engine: Engine, base: str) -> list[dict[str, str]]:
    """The source reports in the dataset, with their titles and how many observations each gave
    (read once, at start-up, into ``app.state.reports``)."""
    names = ("report", "zh", "en", "file", "observations")
    return [
        {n: row.get(n, {}).get("value", "") for n in names} | {"href": Site(base).local(row["report"]["value"])}
        for row in await select(engine, REPORTS.format())
    ]


async def story(engine: Engine, base: str) -> list[dict[str, object]]:
    """Each report's story, newest first: its year, headline figures and charts (read once, at
    start-up, into ``app.state.story``)."""
    measures = ", ".join(f'"{m}"' for m in (REQUESTS, SHARE, RESOLUTION, SATISFACTION))
    kinds = ", ".join(f"<{HL}{k}>" for k in KINDS)
    rows = [
        {k: v["value"] for k, v in row.items()}
        for row in await select(engine, FIGURES.format(measures=measures, kinds=kinds))
    ]
    rows.sort(key=lambda r: (r["report"], r["kind"], r["subject"], r["m"], r["obs"]))
    names = {r[k] for r in rows for k in ("report", "period", "subject", "measure", "unit") if r.get(k)}
    labels = await term_labels(engine, names)
    site = Site(base)
    by_report: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_report.setdefault(row["report"], []).append(row)
    told = [_report(report, found, labels, site) for report, found in by_report.items()]
    return sorted(told, key=lambda r: str(r["key"]), reverse=True)


def _number(text: str) -> float:
    try:
        return float(Decimal(text))
    except InvalidOperation:
        return float(0)


def _report(
    report: str, rows: list[dict[str, str]], labels: dict[str, dict[str, str]], site: Site
) -> dict[str, object]:
    """One report's year, headline figures and charts from its figures (``rows``)."""

    def label(iri: str, lang: str) -> str:
        return labels.get(iri, {}).get(lang, "")

    def figure(row: dict[str, str]) -> dict[str, str]:
        unit = row.get("unit", "")
        return {
            "value": row["value"],
            "unit": labels.get(unit, {}).get("notation") or label(unit, "zh") or label(unit, "en"),
            "unit_en": label(unit, "en"),
            "href": site.local(row["obs"]),
            "iri": row["obs"],
        }

    first: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in rows:  # one figure per kind, subject and measure (the first by IRI)
        first.setdefault((row["kind"].removeprefix(str(HL)), row["subject"], row["m"]), row)
    period = rows[0]["period"]
    headline: list[dict[str, object]] = []
    for kind, measure in (
        ("Hotline", REQUESTS),
        ("Disposition", REQUESTS),
        ("Hotline", RESOLUTION),
        ("Hotline", SATISFACTION),
    ):
        found = sorted(
            (row for (k, _, m), row in first.items() if k == kind and m == measure),
            key=lambda r: -_number(r["value"]),
        )
        for row in found:
            named = row["subject"] if kind == "Disposition" else row["measure"]
            item: dict[str, object] = {
                "zh": label(named, "zh"),
                "en": label(named, "en"),
                "what_href": site.local(row["subject"] if measure == REQUESTS else row["measure"]),
                "kind": kind,
                "measure": measure,
                "figure": figure(row),
            }
            share = first.get(("Disposition", row["subject"], SHARE)) if kind == "Disposition" else None
            if share:
                item["share"] = figure(share)
            headline.append(item)
    key = labels.get(period, {}).get("notation") or period.rstrip("/").rsplit("/", 1)[-1]
    made = {
        "report": report,
        "href": site.local(report),
        "key": key,
        "zh": label(report, "zh") or label(period, "zh") or key,
        "en": label(report, "en") or label(period, "en"),
        "headline": headline,
        "charts": [],
    }
    for kind, limit, zh, en in (
        ("Category", TOP_CATEGORIES, "诉求量最多的分类", "Top categories by requests"),
        ("District", None, "各区诉求量", "Requests by district"),
    ):
        chart = _chart(f"chart-{key}-{kind.lower()}", f"{key} {zh} · {en}", kind, limit, first, labels, site)
        if chart:
            made["charts"].append(chart)  # type: ignore[attr-defined]
    return made


def _chart(
    chart_id: str,
    title: str,
    kind: str,
    limit: int | None,
    first: dict[tuple[str, str, str], dict[str, str]],
    labels: dict[str, dict[str, str]],
    site: Site,
) -> dict[str, object] | None:
    """A horizontal bar chart of the requests of one kind of subject, largest first, in the unit
    most of them share (a figure in another unit is left out); None if there is none."""
    found = [row for (k, _, m), row in first.items() if k == kind and m == REQUESTS]
    units: dict[str, int] = {}
    for row in found:
        units[row.get("unit", "")] = units.get(row.get("unit", ""), 0) + 1
    if not found:
        return None
    unit = max(sorted(units), key=lambda u: units[u])
    found = sorted((r for r in found if r.get("unit", "") == unit), key=lambda r: (-_number(r["value"]), r["subject"]))
    found = found[:limit] if limit else found
    unit_text = labels.get(unit, {}).get("notation") or labels.get(unit, {}).get("zh", "") or "—"
    bars = [
        (
            labels.get(r["subject"], {}).get("zh") or site.curie(r["subject"]),
            labels.get(r["subject"], {}).get("en", ""),
            _number(r["value"]),
            r["value"],
            site.local(r["obs"]),
            site.local(r["subject"]),
        )
        for r in found
    ]
    return {
        "svg": charts.bars(chart_id, title, unit_text, bars),
        "title": title,
        "unit": unit_text,
        "links": [{"obs": b[4], "subject": b[5], "zh": b[0], "en": b[1], "value": b[3]} for b in bars],
    }
