"""SERVICE to allowed endpoints (``--allow-service``, ``server.federation``), offline: the wrapper
makes every call itself, over each engine, within the query's limits, and connects to nothing else.

A local Oxigraph server holds a small, clearly fictional Wikidata-shaped graph (the districts'
items with a made-up population, ``wdt:P1082`` and as a statement with a point in time, and
labels in three languages); a local fake endpoint redirects, answers slowly, answers too much,
or fails; a listener counts the connections that anything not allowed would get. Needs the
Oxigraph server (the ``oxigraph`` package) and, for the Virtuoso runs, Virtuoso (.ci/run)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hotline_kg.server import federation
from serving import ENGINES, REMOTE, engine, free_port, start, stop

ROOT = Path(__file__).resolve().parents[1]
#: An allowed endpoint at a private address (a connection there would hang until its timeout).
PRIVATE = "http://10.255.255.1:9/sparql"
HL = "https://w3id.org/hotline-kg/def/hotline#"
#: The join users come for: requests per 10 000 residents, by district and year (the endpoint
#: named by the test).
PER_RESIDENTS = """PREFIX hl: <https://w3id.org/hotline-kg/def/hotline#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX measure: <https://w3id.org/hotline-kg/id/measure/>
SELECT ?district ?year ?cases ?population WHERE {{
  ?district a hl:District ; skos:exactMatch ?item .
  ?obs hl:subject ?district ; hl:measure measure:requests ; hl:cases ?cases ; hl:refPeriod ?year .
  SERVICE <{endpoint}> {{ ?item wdt:P1082 ?population }}
}}"""
#: The same join's left side, from this dataset alone.
OURS = """PREFIX hl: <https://w3id.org/hotline-kg/def/hotline#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX measure: <https://w3id.org/hotline-kg/id/measure/>
SELECT ?district ?year ?cases ?item WHERE {
  ?district a hl:District ; skos:exactMatch ?item .
  ?obs hl:subject ?district ; hl:measure measure:requests ; hl:cases ?cases ; hl:refPeriod ?year .
}"""


def fictional_population() -> dict[str, int]:
    """A made-up population for each district's Wikidata item: 1 000 000 + 10 000 × its place."""
    with (ROOT / "data" / "reference" / "districts.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {f"http://www.wikidata.org/entity/{r['wikidata']}": 1_000_000 + 10_000 * i for i, r in enumerate(rows)}


def fictional_wikidata(path: Path) -> Path:
    names = {}
    with (ROOT / "data" / "reference" / "districts.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            names[f"http://www.wikidata.org/entity/{r['wikidata']}"] = (r["name_en"], r["name_zh"])
    wd, xsd = "http://www.wikidata.org/", "http://www.w3.org/2001/XMLSchema#"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    lines = []
    for item, population in fictional_population().items():
        en, zh = names[item]
        number = f'"{population}"^^<{xsd}decimal>'
        lines += [
            f"<{item}> <{wd}prop/direct/P1082> {number} ;",
            f'  <{label}> "{en} (fictional)"@en, "{zh}（虚构）"@zh, "{en} (fictif)"@fr ;',
            f"  <{wd}prop/P1082> [ <{wd}prop/statement/P1082> {number} ;",
            f'    <{wd}prop/qualifier/P585> "2024-12-31T00:00:00Z"^^<{xsd}dateTime> ] .',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Listener:
    """A port that counts every connection made to it (what must never be called)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.seen = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.seen += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.sock.close()


class Fake(http.server.BaseHTTPRequestHandler):
    """An endpoint that misbehaves by its path: /redirect, /slow, /huge, /many, /fail."""

    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", Fake.target)
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(8)
        if self.path == "/fail":
            self.send_response(500)
            self.end_headers()
            return
        count = 20_000 if self.path == "/many" else 1
        pad = "x" * (30 << 20) if self.path == "/huge" else ""
        body = json.dumps(
            {
                "head": {"vars": ["v"]},
                "results": {"bindings": [{"v": {"type": "literal", "value": f"{i}{pad}"}} for i in range(count)]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the server stopped reading
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The fictional Wikidata (an Oxigraph server), the fake endpoint, the listener, a dead port."""
    folder = tmp_path_factory.mktemp("wikidata")
    listener = Listener()
    Fake.target = listener.url
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    fake.daemon_threads = True
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{fake.server_address[1]}"
    with engine("oxigraph", fictional_wikidata(folder / "wikidata.ttl"), folder / "store", timeout=5) as wikidata:
        yield {
            "wikidata": wikidata,
            "fake": base,
            "listener": listener,
            "down": f"http://127.0.0.1:{free_port()}/sparql",
        }
    fake.shutdown()
    listener.close()


def allowed(outside: dict[str, object]) -> list[str]:
    fake = outside["fake"]
    return [
        str(outside["wikidata"]),
        str(outside["down"]),
        PRIVATE,
        *(f"{fake}/{p}" for p in ("redirect", "slow", "huge", "many", "fail")),
    ]


@pytest.fixture(
    scope="module", params=[pytest.param(e, marks=pytest.mark.engine) if e in REMOTE else e for e in ENGINES]
)
def server(built, request, tmp_path_factory, outside) -> Iterator[str]:
    """The server over each engine, allowed to call the outside endpoints (3 s time limit)."""
    _, dist = built
    limits = ["--timeout", "3", "--max-rows", "5000", "--workers", "2", "--allow-service", *allowed(outside)]
    if request.param in ("memory", "disk"):
        url, proc = start("--dist", str(dist), *limits, "--store", request.param)
        yield url
        stop(proc)
        return
    folder = tmp_path_factory.mktemp(request.param)
    with engine(request.param, dist / "hotline.nq.gz", folder, timeout=3, max_rows=5000) as endpoint:
        url, proc = start("--dist", str(dist), *limits, "--engine", endpoint)
        yield url
        stop(proc)


def ask(url: str, query: str, timeout: float = 30) -> httpx.Response:
    return httpx.post(
        url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=timeout
    )


def test_a_federated_join_gives_the_right_rows(server: str, outside: dict[str, object]) -> None:
    ours = ask(server, OURS)
    assert ours.status_code == 200, ours.text
    population = fictional_population()
    expected = sorted(
        (b["district"]["value"], b["year"]["value"], float(b["cases"]["value"]), population[b["item"]["value"]])
        for b in ours.json()["results"]["bindings"]
    )
    assert len(expected) >= 32, "every district has its requests in each report"
    answer = ask(server, PER_RESIDENTS.format(endpoint=outside["wikidata"]))
    assert answer.status_code == 200, answer.text
    got = sorted(
        (b["district"]["value"], b["year"]["value"], float(b["cases"]["value"]), int(float(b["population"]["value"])))
        for b in answer.json()["results"]["bindings"]
    )
    assert got == expected
    one_line = ask(server, " ".join(PER_RESIDENTS.format(endpoint=outside["wikidata"]).split()))
    assert one_line.status_code == 200 and len(one_line.json()["results"]["bindings"]) == len(expected), one_line.text
    assert answer.headers["cache-control"] == "no-store", "another endpoint's data is not cached as this build's"


def test_what_must_fail_fails_and_connects_to_nothing_else(server: str, outside: dict[str, object]) -> None:
    listener = outside["listener"]
    assert isinstance(listener, Listener)
    fake, down = outside["fake"], outside["down"]
    probes = {
        "not allowed": (f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}", 400, "is not allowed"),
        "variable": ("SELECT * { BIND (<http://127.0.0.1/> AS ?e) SERVICE ?e { ?s ?p ?o } }", 400, "variable"),
        "redirect": (f"SELECT * {{ SERVICE <{fake}/redirect> {{ ?s ?p ?o }} }}", 403, "redirect"),
        "huge": (f"SELECT * {{ SERVICE <{fake}/huge> {{ ?v ?p ?o }} }}", 502, "bytes"),
        "many rows": (f"SELECT * {{ SERVICE <{fake}/many> {{ ?v ?p ?o }} }}", 502, "rows"),
        "failing": (f"SELECT * {{ SERVICE <{fake}/fail> {{ ?v ?p ?o }} }}", 502, "HTTP 500"),
        "down": (f"SELECT * {{ SERVICE <{down}> {{ ?s ?p ?o }} }}", 502, "cannot be reached"),
        "private address": (f"SELECT * {{ SERVICE <{PRIVATE}> {{ ?s ?p ?o }} }}", 403, "not a public address"),
    }
    for name, (query, status, reason) in probes.items():
        r = ask(server, query)
        assert (r.status_code, reason in r.text) == (status, True), (name, r.status_code, r.text)
        if name not in ("not allowed", "variable"):
            assert str({"down": down, "private address": PRIVATE}.get(name, fake)) in r.text, (name, r.text)
    began = time.monotonic()
    slow = ask(server, f"SELECT * {{ SERVICE <{fake}/slow> {{ ?v ?p ?o }} }}")
    took = time.monotonic() - began
    assert slow.status_code == 504 and f"{fake}/slow" in slow.text, slow.text
    assert 2.5 < took < 6, f"stopped after {took:.1f} s, the time limit is 3 s"
    time.sleep(0.3)
    assert listener.seen == 0, "nothing connected to what is not allowed (the redirect's target included)"


def test_service_silent_gives_one_empty_solution_when_the_call_fails(server: str, outside: dict[str, object]) -> None:
    down = outside["down"]
    # on one line, with an IRI holding "#" before the SERVICE: a query rdflib's parser fails on, which
    # the check parses again (protocol._parse)
    query = f"PREFIX hl: <{HL}> SELECT ?d ?v WHERE {{ ?d a hl:District "
    query += f"OPTIONAL {{ SERVICE SILENT <{down}> {{ ?d ?p ?v }} }} }}"
    r = ask(server, query)
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 16 and all("v" not in row for row in rows)
    r = ask(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE SILENT <{outside['fake']}/fail> {{ ?s ?p ?o }} }}")
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == "1", r.text


def test_a_name_that_resolves_to_a_private_address_is_not_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """The address is checked when the connection is made, after the name is resolved: a name of
    a public-looking endpoint that resolves inside gets 403, and no connection is tried."""
    tried: list[str] = []

    async def resolves_inside(self: object, host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    async def connect(self: object, host: str, *args: object, **kwargs: object) -> None:
        tried.append(host)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", resolves_inside)
    monkeypatch.setattr(federation.httpcore.AnyIOBackend, "connect_tcp", connect)
    with pytest.raises(federation.ServiceError) as refused:
        asyncio.run(federation.fetch("https://query.example.org/sparql", "ASK {}", 5, 10, 1000))
    assert refused.value.status == 403 and "10.1.2.3, not a public address" in refused.value.message
    assert tried == []


def test_the_federated_examples_run_against_an_allowed_endpoint(server: str, outside: dict[str, object]) -> None:
    """The examples of queries/ that call Wikidata, with the fictional one in its place: requests
    per 10 000 residents for each district and report, and the districts' names in other languages."""
    examples = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}
    federated = {name: text for name, text in examples.items() if "SERVICE <" in text}
    assert set(federated) >= {"15-requests-per-10000-residents", "16-district-names-in-other-languages"}
    here = {n: t.replace("https://query.wikidata.org/sparql", str(outside["wikidata"])) for n, t in federated.items()}
    per = ask(server, here["15-requests-per-10000-residents"])
    assert per.status_code == 200, per.text
    rows = per.json()["results"]["bindings"]
    ours = ask(server, OURS).json()["results"]["bindings"]
    population = fictional_population()
    expected = sorted(round(float(b["cases"]["value"]) * 100000 / population[b["item"]["value"]]) / 10 for b in ours)
    assert sorted(float(r["per_10000"]["value"]) for r in rows) == expected
    names = ask(server, here["16-district-names-in-other-languages"])
    assert names.status_code == 200, names.text
    got = {
        (r["code"]["value"], r["language"]["value"], r["label"]["value"]) for r in names.json()["results"]["bindings"]
    }
    assert len(got) == 32 and {lang for _, lang, _ in got} == {"en", "fr"}
    assert ("110105", "fr", "Chaoyang District (fictif)") in got


def test_the_readmes_pandas_join_runs(built: tuple[object, Path]) -> None:
    """The README's "Linking" section joins the observations with a table of one's own in pandas:
    its code runs on a build and gives each district's requests per 10 000 residents."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Linking") :]
    code = section[section.index("```python\n") + 10 : section.index("```", section.index("```python\n") + 10)]
    _, dist = built
    scope: dict[str, object] = {}
    exec(code.replace('"dist"', repr(str(dist))), scope)
    joined = scope["joined"]
    assert sorted(set(joined.code)) == ["110105", "110108"] and len(joined) == 4  # type: ignore[attr-defined]
    row = joined.iloc[0]  # type: ignore[attr-defined]
    assert row.per_10000 == float(row.cases) * 10_000 / row.population


def test_service_calls_count_against_the_clients_queries_at_once(server: str, outside: dict[str, object]) -> None:
    """A client may have 3 queries running at once (the default): its SERVICE calls count, so a
    fourth slow federated query is refused with 429 at once, not sent out."""
    query = f"SELECT * {{ SERVICE <{outside['fake']}/slow> {{ ?v ?p ?o }} }}"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = [pool.submit(ask, server, query) for _ in range(4)]
        statuses = sorted(a.result().status_code for a in answers)
    assert statuses == [429, 504, 504, 504], statuses
