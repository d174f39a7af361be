"""The resource pages as a reader sees them, under `hotline-kg serve` over the build: terms by label
in the reader's language (prefixed names on hover, never a raw predicate IRI), an observation's
quote with its figure marked and a link to its line of the report text, charts of a subject's
series in time order with their unit, the .json/.csv twins of the observation table, and report
texts served only as sources.csv lists them. Every figure asserted is read from the built graph."""

from __future__ import annotations

import csv
import html
import http.client
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import HL, SITE
from serving import start, stop

BASE = SITE.base
DISTRICT = "/id/district/110105"
CATEGORY = "/id/category/market-management"


@pytest.fixture(scope="module")
def server(client):
    """The pages, in this process."""
    return client


@pytest.fixture(scope="module")
def live(built):
    """`hotline-kg serve` itself: a path goes on the wire exactly as written."""
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "1")
    yield url
    stop(proc)


def rows(graph, query: str) -> list[dict[str, str]]:
    result = graph.query(query)
    return [{str(v): str(row[v]) for v in result.vars if row[v] is not None} for row in result.bindings]


@pytest.fixture(scope="module")
def district_observation(whole_graph) -> dict[str, str]:
    """An observation of one level of the district, with its quote, printed value, line and report file."""
    found = rows(
        whole_graph,
        f"""SELECT ?obs ?quote ?printed ?line ?file WHERE {{
          ?obs <{HL}subject> ?part ; <{HL}quote> ?quote ; <{HL}printedValue> ?printed ;
               <{HL}sourceLine> ?line ; <{HL}report> ?report .
          ?part <{HL}district> <{BASE}{DISTRICT[1:]}> . ?report <http://purl.org/dc/terms/identifier> ?file .
        }} ORDER BY ?obs LIMIT 1""",
    )
    assert found
    return found[0]


class Texts(HTMLParser):
    """Each text node with the tags it is inside, and every element's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in ("br", "meta", "link", "input", "img", "rect", "line"):
            self.stack.append(tag)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if data.strip():
            self.texts.append((tuple(self.stack), data.strip()))


def parse(page: str) -> Texts:
    parser = Texts()
    parser.feed(page)
    return parser


def table_rows(page: str) -> list[tuple[str, str]]:
    """(observation path, value) of each row of the page's observation table."""
    table = page.split('<table class="obs">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr><td><a href="([^"]+)"[^>]*>.*?<td class="num">([^<]*)</td>', table)


def get(client: httpx.Client, path: str, **headers: str) -> httpx.Response:
    return client.get(path, headers={"Accept": "text/html", **headers})


def test_no_raw_predicate_iri_is_shown_and_prefixed_names_are_on_hover(server, whole_graph, district_observation):
    predicates = {str(p) for p in whole_graph.predicates(unique=True)}
    observation = district_observation["obs"].removeprefix(BASE[:-1])
    for path in (DISTRICT, CATEGORY, observation):
        page = get(server, path)
        assert page.status_code == 200, path
        parsed = parse(page.text)
        shown = [text for tags, text in parsed.texts if {"a", "td", "th"} & set(tags)]
        assert shown, path
        assert not [t for t in shown if t in predicates], path
        assert not [t for t in shown if t.startswith(("http://www.w3.org/", HL, "http://purl.org/"))], path
        titles = {attrs.get("title") for _, attrs in parsed.elements}
        assert "rdf:type" in titles and "rdfs:label" in titles, path
    district = get(server, DISTRICT).text
    assert 'title="skos:prefLabel"' in district and 'title="skos:exactMatch"' in district
    # a predicate with a label in the graph shows it, the prefixed name on hover
    label = rows(
        whole_graph,
        f'SELECT ?l WHERE {{ <{HL}gbCode> <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER (lang(?l) = "zh") }}',
    )
    assert re.search(r'title="hl:gbCode"><span lang="zh">' + re.escape(html.escape(label[0]["l"])) + "<", district)


def test_chinese_first_by_default_and_english_first_when_preferred(server, whole_graph):
    labels = rows(
        whole_graph,
        f"SELECT ?zh ?en WHERE {{ <{BASE}{DISTRICT[1:]}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?zh , ?en "
        'FILTER (lang(?zh) = "zh" && lang(?en) = "en") }',
    )[0]
    zh_first = f'<h1><span lang="zh">{html.escape(labels["zh"])}</span>'
    en_first = f'<h1><span lang="en">{html.escape(labels["en"])}</span>'
    for header in (None, "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0.3, zh", "fr, *;q=0.5", "en;q=0, zh;q=0.1"):
        page = get(server, DISTRICT, **({"Accept-Language": header} if header else {})).text
        assert zh_first in page and en_first not in page, header
    for header in ("en", "en-GB,en;q=0.9", "zh;q=0.4, en-US;q=0.8", "en, zh", "de, *;q=0.3, zh;q=0.1"):
        page = get(server, DISTRICT, **{"Accept-Language": header})
        assert en_first in page.text and zh_first not in page.text, header
        assert "Accept-Language" in page.headers["vary"]
    assert 'lang="en"' in page.text and 'lang="zh"' in page.text


def test_observation_page_marks_its_figure_in_the_quote_and_links_to_the_report_line(server, district_observation):
    obs = district_observation
    page = get(server, obs["obs"].removeprefix(BASE[:-1])).text
    quote = page.split('<blockquote lang="zh" class="quote">', 1)[1].split("</blockquote>", 1)[0]
    printed = html.escape(obs["printed"])
    assert f"<mark>{printed}</mark>" in quote
    assert html.unescape(quote.replace("<mark>", "").replace("</mark>", "")) == obs["quote"]
    assert "<" not in quote.replace("<mark>", "").replace("</mark>", "")
    name = obs["file"].rsplit("/", 1)[-1]
    link = f"/reports/{name}#L{obs['line']}"
    assert f'href="{link}"' in page
    report = server.get(link.split("#")[0])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    line = re.search(rf'<div class="line" id="L{obs["line"]}">(.*?)</div>', report.text)
    assert line and obs["printed"] in html.unescape(re.sub(r"<[^>]+>", "", line.group(1)))
    texts = re.findall(r'<div class="line" id="L\d+"><a [^>]*>\d+</a><span>(.*?)</span></div>', report.text)
    flat = re.sub(r"\s", "", html.unescape("".join(texts)))
    assert re.sub(r"\s", "", obs["quote"]) in flat
    text = server.get(f"/reports/{name}", params={"format": "txt"})
    assert text.status_code == 200 and text.text.split("\n")[int(obs["line"]) - 1].count(obs["printed"]) >= 1


def raw_status(url: str, path: str) -> int:
    """The status of a GET of exactly this path (no client normalising "..")."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.parametrize(
    "path",
    [
        "/reports/../pyproject.toml",
        "/reports/..%2Fpyproject.toml",
        "/reports/%2e%2e%2fpyproject.toml",
        "/reports/%2E%2E/pyproject.toml",
        "/reports/..%5Cpyproject.toml",
        "/reports/%252e%252e%252fpyproject.toml",
        "/reports/sources.csv",
        "/reports/accepted-numbers.csv",
        "/reports/.",
        "/reports/",
        "/reports/%2Fetc%2Fpasswd",
    ],
)
def test_report_texts_are_only_the_listed_files(live, path):
    assert raw_status(live, path) == 404


def test_listed_report_texts_are_served(server):
    with open("data/raw/sources.csv", encoding="utf-8", newline="") as f:
        files = [row["file"] for row in csv.DictReader(f)]
    for name in files:
        assert server.get(f"/reports/{name}").status_code == 200


def test_series_chart_in_time_order_with_its_unit(server, whole_graph):
    series = rows(
        whole_graph,
        f"""SELECT ?period ?value ?unit WHERE {{
          ?obs <{HL}subject> <{BASE}{DISTRICT[1:]}> ; <{HL}measure> <{BASE}id/measure/requests> ;
               <{HL}refPeriod> ?p ; <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?value ;
               <http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure> ?u .
          ?u <http://www.w3.org/2004/02/skos/core#notation> ?unit . BIND (STRAFTER(STR(?p), "/id/year/") AS ?period)
        }}""",
    )
    assert len(series) >= 2
    page = get(server, DISTRICT).text
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    unit = series[0]["unit"]
    measure = rows(
        whole_graph,
        f"SELECT ?l WHERE {{ <{BASE}id/measure/requests> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        'FILTER (lang(?l) = "zh") }',
    )[0]["l"]
    chart = next(
        s for s in svgs if re.search(rf"<title[^>]*>{re.escape(measure)}[^<]*\({re.escape(unit)}\)</title>", s)
    )
    values = [float(v) for v in re.findall(r'text-anchor="middle" font-family="[^"]*">([-\d.]+)</text>', chart)]
    assert values == [float(r["value"]) for r in sorted(series, key=lambda r: r["period"])]
    periods = re.findall(r'class="period"[^>]*>([^<]*)<', chart)
    assert periods == sorted(r["period"] for r in series)
    assert periods == sorted(periods)
    assert 'viewBox="0 0 ' in chart and 'width="100%"' in chart and 'role="img"' in chart
    # the district's levels as shares, one bar per period
    levels = rows(
        whole_graph,
        f"""SELECT DISTINCT ?period WHERE {{
          ?obs <{HL}shareOf> <{BASE}{DISTRICT[1:]}> ; <{HL}measure> <{BASE}id/measure/share> ;
               <{HL}subject> ?part ; <{HL}refPeriod> ?p . ?part <{HL}level> ?level .
          BIND (STRAFTER(STR(?p), "/id/year/") AS ?period) }}""",
    )
    shares = next(s for s in svgs if 'id="chart-levels"' in s)
    assert re.findall(r'class="period"[^>]*>([^<]*)<', shares) == sorted(r["period"] for r in levels)


def test_category_chart_periods_are_in_time_order(server):
    page = get(server, CATEGORY).text
    for chart in re.findall(r"<svg .*?</svg>", page, re.S):
        periods = re.findall(r'class="period"[^>]*>([^<]*)<', chart)
        assert periods == sorted(periods)


def test_json_and_csv_twins_agree_with_the_page(server, whole_graph, district_observation):
    observation = district_observation["obs"].removeprefix(BASE[:-1])
    for path in (DISTRICT, CATEGORY, observation):
        page = get(server, path)
        shown = sorted((href, float(value)) for href, value in table_rows(page.text))
        assert shown, path
        link = page.headers["link"]
        assert f'<{path}.json>; rel="alternate"; type="application/json"' in link
        assert f'<{path}.csv>; rel="alternate"; type="text/csv"' in link
        assert 'type="text/turtle"' in link
        assert f'href="{path}.json"' in page.text and f'href="{path}.csv"' in page.text
        twin = server.get(path + ".json")
        assert twin.status_code == 200 and twin.headers["content-type"].startswith("application/json")
        data = twin.json()
        assert data["iri"] == BASE + path[1:]
        assert sorted((o["href"], float(o["value"])) for o in data["observations"]) == shown
        assert all({"period", "measure", "value", "unit", "href"} <= set(o) for o in data["observations"])
        table = server.get(path + ".csv")
        assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
        records = list(csv.DictReader(io.StringIO(table.text)))
        assert sorted((r["observation"].removeprefix(BASE[:-1]), float(r["value"])) for r in records) == shown
    # the values are the graph's
    data = server.get(DISTRICT + ".json").json()
    expected = rows(
        whole_graph,
        f"""SELECT ?obs ?value WHERE {{ ?obs <{HL}subject> <{BASE}{DISTRICT[1:]}> ;
        <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?value }}""",
    )
    got = {o["iri"]: o["value"] for o in data["observations"]}
    assert expected and all(float(got[r["obs"]]) == float(r["value"]) for r in expected)
    assert data["labels"]["zh"] and data["labels"]["en"]
    assert server.get("/id/district/999999.json").status_code == 404


def test_every_property_is_named_by_its_label_not_its_prefixed_name(server, district_observation):
    """Borrowed terms (rdf:type, skos:prefLabel, qb:dataSet …) too: their labels come with the ontology."""
    observation = district_observation["obs"].removeprefix(BASE[:-1])
    for path in (DISTRICT, CATEGORY, observation, "/def/hotline"):
        page = get(server, path).text
        heads = re.findall(r'<th scope="row"><a href="[^"]*" title="([^"]+)">(.*?)</a></th>', page)
        assert heads, path
        for curie, shown in heads:
            langs = set(re.findall(r'lang="(zh|en)"', shown))
            assert langs == {"zh", "en"}, f"{path}: {curie} is not labelled in both languages: {shown}"
            assert curie not in shown, f"{path}: {curie} shown by its prefixed name"


@pytest.mark.parametrize("path", ["/", "/query", "/search?q=chaoyang", DISTRICT, "/def/hotline"])
def test_head_answers_as_get_without_a_body(server, path):
    got, head = get(server, path), server.head(path, headers={"Accept": "text/html"})
    assert (got.status_code, head.status_code) == (200, 200), path
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_the_endpoint_opened_in_a_browser_is_the_whole_query_editor(server):
    endpoint, form = get(server, "/sparql"), get(server, "/query")
    assert endpoint.status_code == 200 and endpoint.headers["content-type"].startswith("text/html")
    for attribute in ("data-base", "data-vocab", "data-prefixes"):
        value = re.search(attribute + r'="([^"]*)"', endpoint.text)
        assert value and value.group(1), f"{attribute} is empty: the editor cannot complete or link"
        assert value.group(0) in form.text, f"{attribute} differs from the query page's"


# --- pages bounded by what they show: the summary, the list and its pages ------------------------------


def scoped(whole_graph, path: str) -> set[str]:
    """The paths of the observations a page lists, read from the built graph: those it is the
    subject, period, report or data set of, and (a district) those of its levels' bodies."""
    iri = f"<{BASE}{path[1:]}>"
    qb = "http://purl.org/linked-data/cube#"
    found = rows(
        whole_graph,
        f"""SELECT DISTINCT ?obs WHERE {{
          {{ ?obs <{HL}subject> {iri} }} UNION {{ ?obs <{HL}refPeriod> {iri} }} UNION {{ ?obs <{HL}report> {iri} }}
          UNION {{ ?obs <{qb}dataSet> {iri} }} UNION {{ ?part <{HL}district> {iri} . ?obs <{HL}subject> ?part }}
          ?obs <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?v }}""",
    )
    return {"/" + row["obs"].removeprefix(BASE) for row in found}


def followed(server, path: str, twin: str = ".json") -> tuple[list[str], int]:
    """Every observation of a page's list, page after page (by the next link of each), and the pages."""
    seen: list[str] = []
    url, pages = path + twin, 0
    while url:
        answer = server.get(url)
        assert answer.status_code == 200, (url, answer.text)
        pages += 1
        if twin == ".json":
            data = answer.json()
            seen += [o["href"] for o in data["observations"]]
            url = data["next"] or ""
            assert ('rel="next"' in answer.headers["link"]) == bool(url)
        else:
            seen += [r["observation"].removeprefix(BASE[:-1]) for r in csv.DictReader(io.StringIO(answer.text))]
            nxt = re.search(r'<([^>]+)>; rel="next"', answer.headers["link"])
            url = nxt.group(1) if nxt else ""
        assert pages < 100
    return seen, pages


@pytest.mark.parametrize("path", ["/id/year/2024", "/id/report/2022", "/id/dataset/2024", DISTRICT, CATEGORY])
def test_every_observation_is_reached_from_its_page_page_after_page(server, whole_graph, path):
    """At the real size nothing a reader sees is lost: following the next links of the list (in
    its .json and .csv twins and in the page) reaches every observation of the resource, once."""
    want = scoped(whole_graph, path)
    assert want
    for twin in (".json", ".csv"):
        seen, pages = followed(server, path, twin)
        assert len(seen) == len(set(seen)) and set(seen) == want, twin
        assert pages == len(want) // 50 + 1  # 50 a page, and a last one (maybe empty of a next)
    shown, url = [], path
    while url:
        page = get(server, url)
        assert page.status_code == 200
        shown += [href for href, _ in table_rows(page.text)]
        nxt = re.search(r'<a href="([^"]+)#observations" rel="next"', page.text)
        url = html.unescape(nxt.group(1)) if nxt else ""
    assert sorted(shown) == sorted(want)


def test_the_summary_counts_per_measure_and_period_as_the_graph_says(server, whole_graph):
    year = "/id/year/2024"
    want = rows(
        whole_graph,
        f"""SELECT ?m (COUNT(DISTINCT ?obs) AS ?n) WHERE {{
          ?obs <{HL}refPeriod> <{BASE}{year[1:]}> ; <{HL}measure> ?m }} GROUP BY ?m""",
    )
    page = get(server, year).text
    summary = page.split('data-summary="measures"', 1)[1].split("</table>", 1)[0]
    counts = re.findall(r'href="\?measure=%2Fid%2Fmeasure%2F([^"]+)">(\d+)</a>', summary)
    assert sorted(counts) == sorted((r["m"].rsplit("/", 1)[-1], r["n"]) for r in want), counts
    periods = page.split('data-summary="periods"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'href="\?period=%2Fid%2Fyear%2F2024">(\d+)</a>', periods) == [
        str(sum(int(r["n"]) for r in want))
    ]


def test_the_list_is_filtered_by_period_measure_and_report(server, whole_graph):
    everything = scoped(whole_graph, DISTRICT)
    data = server.get(DISTRICT + ".json", params={"period": "/id/year/2022", "measure": "/id/measure/requests"}).json()
    assert data["observations"] and all(o["period"] == "2022" for o in data["observations"])
    assert {o["href"] for o in data["observations"]} < everything
    assert all(o["measure"] == "requests" for o in data["observations"])
    none = server.get(DISTRICT + ".json", params={"report": "/id/report/1999"}).json()
    assert none["observations"] == [] and none["next"] is None
    filtered = get(server, DISTRICT + "?period=/id/year/2022")
    assert filtered.status_code == 200 and "/id/year/2022" in filtered.text


@pytest.mark.parametrize(
    "params",
    [{"period": "2024"}, {"measure": "http://example.org/x"}, {"after": "/id/obs/a b"}, {"report": "/def/x"}],
)
def test_a_bad_list_parameter_is_a_400_that_names_it(server, params):
    for path in (DISTRICT, DISTRICT + ".json", DISTRICT + ".csv"):
        answer = server.get(path, params=params)
        assert answer.status_code == 400 and f"parameter {next(iter(params))}" in answer.text, answer.text


def test_a_page_of_many_observations_stays_small(server, whole_graph):
    """The year of a report lists hundreds of observations: its page shows a summary and one page
    of the list, not all of them."""
    assert len(scoped(whole_graph, "/id/year/2024")) > 100
    page = get(server, "/id/year/2024")
    assert page.status_code == 200 and len(table_rows(page.text)) == 50 and 'rel="next"' in page.text
    assert len(page.content) < 100_000


def test_the_vocabularys_version_iri_answers_the_vocabulary(server):
    """owl:versionIRI of the vocabulary is a link of its page: it answers the vocabulary as it is,
    in each form; another version, which this build does not hold, is a 404."""
    page = get(server, "/def/hotline").text
    versions = re.findall(r'href="(/def/hotline/[^"#]+)"', page)
    assert versions, "the vocabulary's page links its version IRI"
    assert get(server, versions[0]).text == page
    assert server.get(versions[0] + ".ttl").text == server.get("/def/hotline.ttl").text
    assert server.get("/def/hotline/1900-01-01", headers={"Accept": "text/html"}).status_code == 404
