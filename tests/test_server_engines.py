"""The remote engine's client against a stand-in upstream that behaves as real engines do where
they differ from the SPARQL Protocol: each odd answer becomes the wrapper's usual answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from hotline_kg.server.engine import (
    Busy,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    RemoteEngine,
    TooManyResults,
    Unavailable,
)
from hotline_kg.server.responses import engine_error
from serving import free_port

JSON = "application/sparql-results+json"
ROW = b'{"s":{"type":"uri","value":"http://example.org/s"}}'
BEHAVIOURS: dict[str, tuple[int, dict[str, str], bytes]] = {
    # the Oxigraph server at its --timeout-s: HTTP 200, JSON cut short, a note at its end
    "oxigraph-cancelled": (
        200,
        {"Content-Type": JSON},
        b'{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled',
    ),
    # Virtuoso's anytime timeout: HTTP 200, a complete-looking but too small answer, marked by a header
    "virtuoso-anytime": (
        200,
        {"Content-Type": JSON, "X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"},
        b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"typed-literal","value":"3",'
        b'"datatype":"http://www.w3.org/2001/XMLSchema#integer"}}]}}',
    ),
    "virtuoso-error": (
        500,
        {"Content-Type": "text/plain"},
        b"Virtuoso 42000 Error SQ200: No function xyz\n\nSPARQL query:\n",
    ),
    "virtuoso-syntax": (
        400,
        {"Content-Type": "text/plain"},
        b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error at '}' before '}'",
    ),
    "virtuoso-syntax-500": (500, {"Content-Type": "text/plain"}, b"Virtuoso 42000 Error SP031: syntax error in query"),
    "virtuoso-time": (500, {"Content-Type": "text/plain"}, b"Virtuoso S1T00 Error SR171: Transaction timed out\n"),
    "virtuoso-typed": (
        200,
        {"Content-Type": JSON},
        b'{"head":{"link":[],"vars":["n"]},"results":{"distinct":false,"ordered":true,"bindings":['
        b'{"n":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"3"}}]}}',
    ),
    "ntriples-cut": (
        200,
        {"Content-Type": "application/n-triples"},
        b"<http://e/s> <http://e/p> <http://e/o> .\n<http://e",
    ),
    "bad-gateway": (502, {"Content-Type": "text/plain"}, b"no upstream"),
}


class _Upstream(BaseHTTPRequestHandler):
    seen: list[dict[str, list[str]]] = []  # noqa: RUF012

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        _Upstream.seen.append(form)
        query = form["query"][0]
        if "ASK {}" in query and "kind" not in query:
            return self._send(200, {"Content-Type": JSON, "Server": "Virtuoso/07.20"}, b'{"head":{},"boolean":true}')
        if "GRAPH ?g" in query and "kind" not in query:
            return self._send(200, {"Content-Type": JSON}, b'{"head":{"vars":["g","n"]},"results":{"bindings":[]}}')
        kind = query.split("kind:", 1)[1].split()[0]
        if kind == "endless":  # rows without end: the client must stop reading past the row limit
            self.send_response(200)
            self.send_header("Content-Type", JSON)
            self.end_headers()
            try:
                self.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[' + ROW)
                for _ in range(1_000_000):
                    self.wfile.write(b"," + ROW)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if kind == "slow":
            time.sleep(5)
        self._send(*BEHAVIOURS.get(kind, BEHAVIOURS["virtuoso-typed"]))
        return None

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()


def over_upstream(url: str, kind: str, media: str = JSON, timeout: float = 2, workers: int = 2):
    async def go():
        engine = RemoteEngine(url, workers, timeout, max_rows=100, base_iri="http://example.org/")
        await engine.start()
        try:
            return await engine.query(f"SELECT * WHERE {{ ?s ?p ?o }} # kind:{kind}", [], [], media)
        finally:
            await engine.stop()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("kind", "media", "error", "status"),
    [
        ("oxigraph-cancelled", JSON, QueryTimeout, 503),
        ("virtuoso-anytime", JSON, QueryTimeout, 503),
        ("virtuoso-error", JSON, QueryFailed, 400),
        ("virtuoso-syntax", JSON, QuerySyntaxError, 400),
        ("virtuoso-syntax-500", JSON, QuerySyntaxError, 400),
        ("virtuoso-time", JSON, QueryTimeout, 503),
        ("ntriples-cut", "text/turtle", QueryTimeout, 503),
        ("bad-gateway", JSON, Unavailable, 503),
        ("endless", JSON, TooManyResults, 413),
    ],
)
def test_each_odd_upstream_answer_becomes_the_usual_status(upstream, kind, media, error, status):
    with pytest.raises(error) as raised:
        over_upstream(upstream, kind, media)
    assert engine_error(raised.value).status_code == status


def test_virtuoso_answers_are_normalised_and_converted(upstream):
    answer = over_upstream(upstream, "virtuoso-typed")
    data = json.loads(answer.body)
    assert data == {
        "head": {"vars": ["n"]},
        "results": {
            "bindings": [
                {"n": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "3"}}
            ]
        },
    }
    assert over_upstream(upstream, "virtuoso-typed", "text/csv").body.replace(b"\r", b"") == b"n\n3\n"


def test_the_engines_own_limit_and_the_base_are_sent(upstream):
    _Upstream.seen.clear()
    over_upstream(upstream, "virtuoso-typed", timeout=2)
    sent = _Upstream.seen[-1]
    assert sent["timeout"] == ["1800"]  # Virtuoso (its Server header): its anytime limit, under ours
    assert sent["query"][0].startswith("BASE <http://example.org/> ")


def test_the_time_limit_stops_the_upstream_request(upstream):
    started = time.perf_counter()
    with pytest.raises(QueryTimeout):
        over_upstream(upstream, "slow", timeout=1)
    assert time.perf_counter() - started < 1 + 1.0  # the limit, a start-up probe and a small margin


def test_a_query_waits_for_a_slot_no_longer_than_the_limit(upstream):
    async def go():
        engine = RemoteEngine(upstream, 1, 1, max_rows=100)
        await engine.start()
        try:
            return await asyncio.gather(
                *(engine.query("SELECT * {} # kind:slow", [], [], JSON) for _ in range(2)), return_exceptions=True
            )
        finally:
            await engine.stop()

    answers = asyncio.run(go())
    assert {type(a) for a in answers} == {QueryTimeout, Busy}


def test_an_engine_that_cannot_be_reached():
    with pytest.raises(Unavailable, match="cannot be reached"):
        asyncio.run(RemoteEngine(f"http://127.0.0.1:{free_port()}/sparql", 1, 1, 10).start())


# --- the command line ---------------------------------------------------------------------------------------


def test_serve_over_an_engine_that_cannot_be_reached_says_so():
    for engine, message in (
        (f"http://127.0.0.1:{free_port()}/sparql", "cannot be reached"),
        ("ftp://x", "not an http"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "hotline_kg.cli", "serve", "--port", str(free_port()), "--engine", engine],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


LOAD = (sys.executable, "-m", "hotline_kg.cli", "load", "--engine")


@pytest.mark.engine
def test_load_puts_a_build_into_the_oxigraph_server(built, tmp_path):
    _, dist = built
    done = subprocess.run(
        [*LOAD, "oxigraph", "--location", str(tmp_path / "db"), "--dist", str(dist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "serve-read-only" in done.stdout and "hotline-kg serve --engine http://127.0.0.1:7878/query" in done.stdout
    import pyoxigraph as ox

    store = ox.Store.read_only(str(tmp_path / "db"))
    assert len(store) > 10000
    missing = subprocess.run(
        [*LOAD, "virtuoso", "--location", str(tmp_path / "v"), "--dist", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "not found" in missing.stderr
