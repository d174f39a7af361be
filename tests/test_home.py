"""The home page's story: each report's headline figures, as the built graph states them and linked to
their observations, its top categories and districts as charts whose bars link to pages that answer;
a graph without one of the measures still gives a page."""

from __future__ import annotations

import csv
import gzip
import html
import io
import re

import pyoxigraph as ox
import pytest

from conftest import HL, SITE, in_process

BASE = SITE.base
PREFIXES = f"""
PREFIX hl: <{HL}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
"""
#: Each report's requests received by the hotline, in its own year, with the unit's notation.
REQUESTS = (
    PREFIXES
    + """
SELECT ?report ?obs ?value ?unit WHERE {
  ?report a hl:Report ; hl:year ?period .
  ?obs hl:report ?report ; hl:refPeriod ?period ; hl:subject ?hotline ; hl:measure ?measure ;
       sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?u .
  ?hotline a hl:Hotline . ?measure skos:notation "requests" . ?u skos:notation ?unit .
}"""
)


def _store(path) -> ox.Store:
    store = ox.Store()
    with gzip.open(path) as data:
        store.load(data, format=ox.RdfFormat.N_QUADS)
    return store


def _select(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in results]


@pytest.fixture(scope="module")
def graph(built) -> ox.Store:
    _, dist = built
    return _store(dist / "hotline.nq.gz")


@pytest.fixture(scope="module")
def home(client):
    return client, client.get("/")


def _figures(text: str) -> list[tuple[str, str, str]]:
    """Each headline figure on the page: its link, value and unit."""
    found = re.findall(
        r'<a class="figure" href="([^"]+)"[^>]*><span class="value">([^<]+)</span>'
        r'(?: <span class="unit"[^>]*>([^<]+)</span>)?</a>',
        text,
    )
    return [(html.unescape(h), html.unescape(v), html.unescape(u)) for h, v, u in found]


def test_each_report_shows_its_requests_with_unit_linked_to_the_observation(home, graph):
    _, page = home
    assert page.status_code == 200
    expected = _select(graph, REQUESTS)
    reports = _select(graph, PREFIXES + "SELECT ?r WHERE { ?r a hl:Report }")
    assert expected and len(expected) == len(reports)
    figures = _figures(page.text)
    for row in expected:
        href = "/" + row["obs"].removeprefix(BASE)
        assert (href, row["value"], row["unit"]) in figures, (row, figures)
    # the story comes before what the page showed before it
    assert page.text.index('class="story"') < page.text.index("/dumps/hotline.ttl")


def test_every_headline_links_to_an_observation_page_with_the_same_value(home):
    site, page = home
    figures = _figures(page.text)
    measures = set(re.findall(r'<li class="headline" data-measure="([^"]+)"', page.text))
    assert {"requests", "resolution-rate", "satisfaction-rate"} <= measures
    assert len(figures) >= 5
    for href, value, unit in figures:
        assert href.startswith("/id/obs/")
        obs = site.get(href)
        assert obs.status_code == 200 and value in obs.text and unit in obs.text, href


def test_category_and_district_charts_link_to_pages_that_answer(home, graph):
    site, page = home
    years = [
        r["y"]
        for r in _select(
            graph,
            PREFIXES + "SELECT ?y WHERE { ?r a hl:Report ; hl:year ?p . BIND(STRAFTER(STR(?p), '/year/') AS ?y) }",
        )
    ]
    assert years
    links: set[str] = set()
    for year in years:
        for kind in ("category", "district"):
            chart = re.search(rf'<svg [^>]*id="chart-{year}-{kind}">.*?</svg>', page.text, re.S)
            assert chart, (year, kind)
            hrefs = {html.unescape(h) for h in re.findall(r'<a href="([^"]+)">', chart.group())}
            assert any(h.startswith("/id/obs/") for h in hrefs) and any(h.startswith(f"/id/{kind}/") for h in hrefs)
            assert "<title" in chart.group() and "单位 unit:" in chart.group()
            links |= hrefs
    for href in sorted(links):
        assert site.get(href).status_code == 200, href


@pytest.mark.slow
def test_a_graph_without_one_measure_still_renders(graph, tmp_path):
    """The satisfaction rates left out: the page answers, without them, with the rest of the story."""
    dropped = {
        r["obs"]
        for r in _select(
            graph, PREFIXES + 'SELECT ?obs WHERE { ?obs hl:measure ?m . ?m skos:notation "satisfaction-rate" }'
        )
    }
    assert dropped
    reduced = tmp_path / "reduced.nq"
    kept = [q for q in graph.quads_for_pattern(None, None, None) if q.subject.value not in dropped]
    reduced.write_bytes(ox.serialize(kept, format=ox.RdfFormat.N_QUADS))
    with in_process(data=[reduced]) as reduced_site:
        page = reduced_site.get("/")
    assert page.status_code == 200
    assert 'data-measure="satisfaction-rate"' not in page.text
    assert 'data-measure="resolution-rate"' in page.text and 'data-measure="requests"' in page.text
    for row in _select(graph, REQUESTS):
        assert ("/" + row["obs"].removeprefix(BASE), row["value"], row["unit"]) in _figures(page.text)


def test_json_and_csv_twins_give_the_figures_shown_each_as_its_observation_says(home, graph):
    site, page = home
    assert '</index.json>; rel="alternate"' in page.headers["link"]
    assert 'href="/index.json"' in page.text and 'href="/index.csv"' in page.text
    answer = site.get("/index.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    shown = {href for href, _, _ in _figures(page.text)}
    assert shown and shown <= {r["observation"] for r in rows}, "every headline figure of the page is in the CSV"
    sections = {r["section"] for r in rows}
    assert "headline" in sections and len(sections) > 1, "headline figures and the charts' bars"
    for row in rows:
        value = _select(
            graph,
            "SELECT ?v WHERE { ?o <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?v "
            f'FILTER (STRENDS(STR(?o), "{row["observation"]}")) }}',
        )
        assert [v["v"] for v in value] == [row["value"]], row
    told = site.get("/index.json").json()["reports"]
    assert [r["report"] for r in told] == sorted({r["report"] for r in rows}, reverse=True)
    assert all("svg" not in c for r in told for c in r["charts"]), "data, not drawings"
