"""The notebook API (hotline_kg.frames): the observations table as a typed DataFrame that agrees
with the graph, and SPARQL SELECT results (as JSON, or from an endpoint) as typed DataFrames."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
from rdflib import URIRef

import hotline_kg
from conftest import SITE
from hotline_kg.rdf import tables
from hotline_kg.rdf.observations import period_path
from hotline_kg.rdf.vocab import HL, QB, RDF, SDMX_ATTRIBUTE, SDMX_MEASURE, Site

XSD = "http://www.w3.org/2001/XMLSchema#"


# --- hotline_kg.observations ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def frame(built) -> pd.DataFrame:
    _, out = built
    return hotline_kg.observations(out)


def test_the_api_is_exported_without_loading_pandas_on_import():
    code = "import sys, hotline_kg; assert 'pandas' not in sys.modules; hotline_kg.observations; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr
    assert set(hotline_kg.__all__) >= {"observations", "select", "results_frame"}
    assert hotline_kg.select is hotline_kg.frames.select


def test_columns_are_typed(frame):
    assert list(frame.columns) == list(tables.COLUMN_NAMES)
    assert frame["report"].dtype == "int64" and frame["source_line"].dtype == "int64"
    assert str(frame["source_page"].dtype) == "Int64"
    for name in ("measure", "unit", "subject_class"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    assert {type(v) for v in frame["value"]} == {Decimal}
    assert {type(v) for v in frame["cases"]} == {Decimal, type(None)}
    assert {type(p) for p in frame["period"]} == {pd.Period}
    assert {p.freqstr for p in frame["period"]} == {"Y-DEC", "M"}
    assert all(isinstance(t, tuple) and all(isinstance(x, int) for x in t) for t in frame["other_source_lines"])
    for name in ("observation", "subject", "subject_zh", "quote"):
        assert isinstance(frame[name].dtype, pd.StringDtype), name


def test_the_dataframe_agrees_with_the_graph(frame, whole_graph):
    """Every observation of the graph is one row, with the same value, unit, subject and period."""
    g = whole_graph
    graph_obs = set(g.subjects(RDF.type, QB.Observation))
    assert len(frame) == len(graph_obs)
    assert {URIRef(o) for o in frame["observation"]} == graph_obs
    for row in frame.itertuples(index=False):
        obs = URIRef(row.observation)
        assert g.value(obs, SDMX_MEASURE.obsValue).toPython() == row.value
        assert g.value(obs, SDMX_ATTRIBUTE.unitMeasure) == SITE.id(f"unit/{row.unit}")
        assert g.value(obs, HL.subject) == URIRef(row.subject) == SITE.id(row.subject_code)
        assert g.value(obs, HL.measure) == SITE.id(f"measure/{row.measure}")
        period = str(row.period)  # "2024" or "2024-11"
        assert len(period) == (4 if row.period.freqstr.startswith("Y") else 7)
        assert g.value(obs, HL.refPeriod) == SITE.id(period_path(period))
        assert g.value(obs, HL.report) == SITE.id(f"report/{row.report}")
        cases = g.value(obs, HL.cases)
        assert (None if cases is None else cases.toPython()) == row.cases
        lines = {int(x) for x in g.objects(obs, HL.sourceLine)}
        assert lines == {row.source_line, *row.other_source_lines}


def test_floats_and_one_report(built, frame):
    _, out = built
    floats = hotline_kg.observations(out, exact=False)
    assert floats["value"].dtype == "float64" and floats["cases"].dtype == "float64"
    assert floats["value"].tolist() == [float(v) for v in frame["value"]]
    assert floats["cases"].isna().tolist() == frame["cases"].isna().tolist()
    year = int(frame["report"].max())
    one = hotline_kg.observations(str(out), report=year)
    assert set(one["report"]) == {year}
    assert one["observation"].tolist() == frame[frame["report"] == year]["observation"].tolist()


def test_a_wrong_table_is_refused(tmp_path):
    (tmp_path / "observations.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns must be"):
        hotline_kg.observations(tmp_path)


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Serve a request handler on a free loopback port in a thread, for the test's duration."""
    servers = []

    def serve(handler) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class Quiet:
    def log_message(self, *args) -> None:
        pass


def test_observations_from_a_url(built, frame, http_server):
    _, out = built
    handler = type("Files", (Quiet, SimpleHTTPRequestHandler), {})
    url = http_server(functools.partial(handler, directory=str(out)))
    served = hotline_kg.observations(url + "/")
    pd.testing.assert_frame_equal(served, frame)


# --- SPARQL JSON results --------------------------------------------------------------------------


def lit(value: str, datatype: str = "", lang: str = "") -> dict[str, str]:
    term = {"type": "literal", "value": value}
    if datatype:
        term["datatype"] = XSD + datatype
    if lang:
        term["xml:lang"] = lang
    return term


RESULTS = {
    "head": {"vars": ["obs", "value", "count", "share", "ok", "day", "at", "year", "month", "label", "mixed", "none"]},
    "results": {
        "bindings": [
            {
                "obs": {"type": "uri", "value": "https://example.org/id/obs/1"},
                "value": lit("445.2", "decimal"),
                "count": lit("4452000", "integer"),
                "share": lit("1.5E1", "double"),
                "ok": lit("true", "boolean"),
                "day": lit("2024-11-30", "date"),
                "at": lit("2024-11-30T08:00:00Z", "dateTime"),
                "year": lit("2024", "gYear"),
                "month": lit("2024-11", "gYearMonth"),
                "label": lit("朝阳区", lang="zh"),
                "mixed": lit("7", "positiveInteger"),
            },
            {
                "obs": {"type": "bnode", "value": "b0"},
                "value": lit("-7", "integer"),
                "count": lit("12", "nonNegativeInteger"),
                "share": lit("3", "integer"),
                "ok": lit("0", "boolean"),
                "day": lit("2023-01-01", "date"),
                "at": lit("2023-01-01T00:00:00Z", "dateTime"),
                "year": lit("2023", "gYear"),
                "month": lit("2023-02", "gYearMonth"),
                "label": lit("Chaoyang"),
                "mixed": {"type": "uri", "value": "https://example.org/x"},
            },
            {"label": lit("x")},
        ]
    },
}


def test_results_are_typed_by_their_datatypes():
    frame = hotline_kg.results_frame(RESULTS)
    assert list(frame.columns) == RESULTS["head"]["vars"]
    assert len(frame) == 3
    assert frame["obs"].tolist()[:2] == ["https://example.org/id/obs/1", "_:b0"]
    assert isinstance(frame["obs"].dtype, pd.StringDtype) and frame["obs"].isna().tolist() == [False, False, True]
    assert frame["value"].tolist()[:2] == [Decimal("445.2"), Decimal(-7)]
    assert isinstance(frame["value"][0], Decimal) and isinstance(frame["value"][1], Decimal)
    assert str(frame["count"].dtype) == "Int64" and frame["count"].tolist()[:2] == [4452000, 12]
    assert frame["share"].dtype == "float64" and frame["share"].tolist()[:2] == [15.0, 3.0]
    assert str(frame["ok"].dtype) == "boolean" and frame["ok"].tolist()[:2] == [True, False]
    assert str(frame["day"].dtype).startswith("datetime64") and frame["day"][0] == pd.Timestamp("2024-11-30")
    assert str(frame["at"].dtype).startswith("datetime64") and str(frame["at"].dt.tz) == "UTC"
    assert frame["year"].tolist()[:2] == [pd.Period("2024", "Y"), pd.Period("2023", "Y")]
    assert frame["month"][0] == pd.Period("2024-11", "M")
    assert frame["label"].tolist() == ["朝阳区", "Chaoyang", "x"]
    assert frame["mixed"].tolist()[:2] == [7, "https://example.org/x"]  # kinds differ: each value on its own
    assert frame["none"].isna().all()
    assert frame.attrs["datatypes"]["value"] == [XSD + "decimal", XSD + "integer"]
    assert frame.attrs["datatypes"]["obs"] == ["bnode", "iri"]


def test_results_as_text_floats_and_bad_input():
    text = json.dumps(RESULTS)
    frame = hotline_kg.results_frame(text.encode("utf-8"), exact=False)
    assert frame["value"].dtype == "float64" and frame["value"].tolist()[:2] == [445.2, -7.0]
    assert hotline_kg.results_frame(text)["count"].tolist()[:2] == [4452000, 12]
    bad = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": lit("1x", "integer")}]}}
    assert hotline_kg.results_frame(bad)["n"].tolist() == ["1x"]  # not an integer: kept as printed
    with pytest.raises(ValueError, match="ASK"):
        hotline_kg.results_frame({"head": {}, "boolean": True})
    with pytest.raises(ValueError, match="SELECT"):
        hotline_kg.results_frame({"head": {}})


QUERY = """
PREFIX hl: <https://w3id.org/hotline-kg/def/hotline#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?obs ?value ?cases ?line ?year WHERE {
  ?obs a qb:Observation ; sdmx-measure:obsValue ?value ; hl:report ?report .
  OPTIONAL { ?obs hl:cases ?cases }
  { SELECT ?obs (MIN(?l) AS ?line) WHERE { ?obs hl:sourceLine ?l } GROUP BY ?obs }
  BIND (xsd:gYear(STRAFTER(STR(?report), "/report/")) AS ?year)
}
"""


@pytest.fixture(scope="module")
def store(built) -> ox.Store:
    _, out = built
    store = ox.Store()
    store.load(gzip.decompress((out / "hotline.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    return store


def frame_query(store: ox.Store, query: str) -> bytes:
    solutions = store.query(query, use_default_graph_as_union=True)
    return solutions.serialize(format=ox.QueryResultsFormat.JSON)


def check_against_table(results: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert len(results) == len(frame)
    assert isinstance(results["value"].iloc[0], Decimal)
    assert str(results["line"].dtype) == "Int64"
    assert {type(p) for p in results["year"]} == {pd.Period}
    mine = frame.set_index("observation")
    for row in results.itertuples(index=False):
        expected = mine.loc[row.obs]
        assert row.value == expected.value
        assert (None if pd.isna(row.cases) else row.cases) == expected.cases
        assert row.line == expected.source_line
        assert row.year == pd.Period(str(expected.report), "Y")


def test_a_select_over_the_built_graph(store, frame):
    """A real SELECT over the built graph (Oxigraph), its results as SPARQL JSON → DataFrame."""
    check_against_table(hotline_kg.results_frame(frame_query(store, QUERY)), frame)


def test_select_from_an_endpoint(store, frame, http_server):
    """`select` posts the query by the SPARQL Protocol and reads the JSON results."""
    seen = {}

    class Endpoint(Quiet, BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen["accept"] = self.headers["Accept"]
            seen["type"] = self.headers["Content-Type"]
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            query = urllib.parse.parse_qs(body)["query"][0]
            try:
                data, status = frame_query(store, query), 200
            except SyntaxError as exc:
                data, status = str(exc).encode("utf-8"), 400
            self.send_response(status)
            self.send_header("Content-Type", "application/sparql-results+json" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    url = http_server(Endpoint) + "/sparql"
    check_against_table(hotline_kg.select(url, QUERY), frame)
    assert seen == {"accept": "application/sparql-results+json", "type": "application/x-www-form-urlencoded"}
    with pytest.raises(ValueError, match="400"):
        hotline_kg.select(url, "SELECT nonsense")


@pytest.mark.slow
def test_select_on_the_projects_server(built, frame):
    """The same against `hotline-kg serve` on the built dist/."""
    from serving import start, stop

    _, out = built
    url, proc = start("--data", str(out / "hotline.nq.gz"))
    try:
        check_against_table(hotline_kg.select(url + "/sparql", QUERY), frame)
    finally:
        stop(proc)


def test_other_bases_give_other_iris_but_the_same_table(built, frame, tmp_path: Path):
    result, _ = built
    site = Site("https://data.example.org/hotline/")
    for name, data in tables.files(site, result.observations, dt.date(2026, 11, 22)).items():
        (tmp_path / name).write_bytes(data)
    other = hotline_kg.observations(tmp_path)
    assert other["observation"].str.startswith(site.base).all()
    pd.testing.assert_frame_equal(
        other.drop(columns=["observation", "subject"]), frame.drop(columns=["observation", "subject"])
    )
