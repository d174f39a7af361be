"""Abuse: what one client may take (request rate, queries at once: 429 with Retry-After, the other
clients unaffected), slow clients (headers and bodies under time limits), oversized requests (URL
and header caps), paths that try to leave their folder, reflected script, and the security
headers on every response — against `hotline-kg serve` with its default limits, as started by
`make serve`. Other clients are other loopback addresses (127.0.0.x): the server keys a client by
its address."""

from __future__ import annotations

import concurrent.futures
import re
import select
import socket
import statistics
import threading
import time
from collections import Counter
from urllib.parse import quote, urlsplit

import httpx
import pytest

from hotline_kg.server import limits
from hotline_kg.server.settings import Settings
from serving import start, stop

DEFAULTS = Settings()
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "ASK { ?s ?p ?o }"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


@pytest.fixture(scope="module")
def server(built):
    """The server over the build with every abuse limit at its default (query time limit 2 s, to
    keep heavy queries short); a file beside dist/ that no path may reach."""
    _, dist = built
    (dist.parent / "abuse-sentinel.txt").write_text("SENTINEL-beside-dist\n")
    url, proc = start("--dist", str(dist), "--timeout", "2")
    yield url
    stop(proc)


def client(address: str = "127.0.0.1", **kwargs) -> httpx.Client:
    """An HTTP client from this loopback address: another client, as far as the server can tell."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30, **kwargs)


def raw(
    url: str,
    data: bytes | list[bytes],
    source: str = "127.0.0.1",
    pause: float = 0,
    until_answer: bool = True,
    timeout: float = 30,
) -> tuple[bytes, float]:
    """Send bytes on a fresh connection (a list: a piece every ``pause`` seconds, until an answer
    comes, or on regardless); everything the server sends back until it closes the connection,
    and the seconds that took."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    pieces = data if isinstance(data, list) else [data]
    started = time.monotonic()
    got: list[bytes] = []
    closed = False

    def read(wait: float) -> bool:
        """Whatever comes within ``wait`` seconds; True once the connection is closed."""
        deadline = time.monotonic() + wait
        while select.select([sock], [], [], max(0, deadline - time.monotonic()))[0]:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                return True
            if not chunk:
                return True
            got.append(chunk)
        return False

    with socket.create_connection((host, port), timeout=timeout, source_address=(source, 0)) as sock:
        for i, piece in enumerate(pieces):
            closed = read(pause if i else 0)
            if closed or (got and until_answer):
                break
            try:
                sock.sendall(piece)
            except OSError:
                break
        while not closed:
            closed = read(timeout)
    return b"".join(got), time.monotonic() - started


def status_of(response: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return int(match.group(1)) if match else None


# --- the limiter itself -----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_allows_a_burst_then_the_rate_and_says_when_to_retry():
    clock = Clock()
    limiter = limits.Limiter(rate=10, burst=20, queries=0, clock=clock)
    for _ in range(20):
        limiter.admit("a")
    with pytest.raises(limits.TooMany) as refused:
        limiter.admit("a")
    assert refused.value.retry_after == 1 and "10 a second" in str(refused.value)
    limiter.admit("b")  # another client: its own bucket
    clock.now += 1  # 10 more
    for _ in range(10):
        limiter.admit("a")
    with pytest.raises(limits.TooMany):
        limiter.admit("a")
    slow = limits.Limiter(rate=0.1, burst=1, queries=0, clock=clock)
    slow.admit("a")
    with pytest.raises(limits.TooMany) as refused:
        slow.admit("a")
    assert refused.value.retry_after == 10


def test_the_limiter_forgets_idle_clients_and_bounds_its_memory():
    clock = Clock()
    limiter = limits.Limiter(rate=100, burst=200, queries=0, clients=1000, clock=clock)
    for i in range(5000):
        limiter.admit(f"10.0.{i // 256}.{i % 256}")
    assert limiter.tracked()[0] == 1000
    clock.now += 2  # burst / rate: every bucket full again
    limiter.admit("10.9.9.9")
    assert limiter.tracked()[0] == 1


def test_queries_at_once_are_counted_per_client_and_released():
    limiter = limits.Limiter(rate=0, burst=1, queries=2)
    with limiter.running("a"), limiter.running("a"):
        with pytest.raises(limits.TooMany) as refused, limiter.running("a"):
            pass
        assert refused.value.headers == {"Retry-After": str(limits.QUERY_RETRY)}
        with limiter.running("b"), limiter.running(None):  # another client; the server itself
            pass
    assert limiter.tracked() == (0, 0)
    with pytest.raises(ZeroDivisionError), limiter.running("a"):
        1 / 0  # noqa: B018
    assert limiter.tracked() == (0, 0)


def test_a_client_is_its_address_an_ipv6_one_by_its_network():
    assert limits.client_key({"client": ("203.0.113.7", 5000)}) == "203.0.113.7"
    assert limits.client_key({"client": ("2001:db8:1:2:3:4:5:6", 1)}) == "2001:db8:1:2::/64"
    assert limits.client_key({"client": ("2001:db8:1:2:ffff::1", 1)}) == "2001:db8:1:2::/64"
    assert limits.client_key({"client": ("::ffff:198.51.100.1", 1)}) == "198.51.100.1"
    assert limits.client_key({"client": None}) == "unknown"


def test_the_defaults_are_on():
    assert DEFAULTS.client_rate > 0 and DEFAULTS.client_burst > 0
    assert 0 < DEFAULTS.client_queries < DEFAULTS.workers
    assert DEFAULTS.trusted_proxies == ""
    assert DEFAULTS.header_timeout > 0 and DEFAULTS.body_timeout > 0
    assert DEFAULTS.max_url > 0 and DEFAULTS.max_headers > 0


# --- request rate -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_flooding_client_gets_429_and_another_client_is_not_slowed(server, capsys):
    quiet = client("127.0.0.2")

    def timed() -> float:
        started = time.perf_counter()
        response = quiet.get(server + "/sparql", params={"query": LIGHT})
        assert response.status_code == 200, response.text
        return time.perf_counter() - started

    before = [timed() for _ in range(20)]
    flood: Counter[int] = Counter()
    first: list[tuple[int, float, httpx.Response]] = []
    done = threading.Event()

    def flooding() -> None:
        with client("127.0.0.3") as noisy:
            started = time.perf_counter()
            while time.perf_counter() - started < 3:
                response = noisy.get(server + "/sparql", params={"query": LIGHT})
                flood[response.status_code] += 1
                if response.status_code == 429 and not first:
                    first.append((sum(flood.values()), time.perf_counter() - started, response))
        done.set()

    thread = threading.Thread(target=flooding)
    thread.start()
    during = []
    while not done.is_set():
        during.append(timed())
        time.sleep(0.05)
    thread.join()
    assert first, f"no 429 in {sum(flood.values())} requests"
    count, seconds, refused = first[0]
    sent = sum(flood.values())
    with capsys.disabled():
        print(
            f"\n  flood from one address: {sent} requests in 3 s ({sent / 3:.0f}/s), first 429 after "
            f"{count} requests, {seconds * 1000:.0f} ms; answered {flood[200]}, refused {flood[429]}; "
            f"another address meanwhile: median {statistics.median(during) * 1000:.1f} ms over {len(during)} "
            f"queries, max {max(during) * 1000:.1f} ms (before: median {statistics.median(before) * 1000:.1f} ms)"
        )
    assert set(flood) == {200, 429}
    # the burst, then the rate: never more than that (a little slack for the clock)
    assert DEFAULTS.client_burst <= count <= DEFAULTS.client_burst + DEFAULTS.client_rate * seconds + 10
    assert flood[200] <= DEFAULTS.client_burst + DEFAULTS.client_rate * 3 + 10
    retry = int(refused.headers["retry-after"])
    assert retry >= 1 and f"retry after {retry} s" in refused.text and "a second" in refused.text
    assert refused.headers["content-type"].startswith("text/plain")
    assert all(refused.headers[h] for h in SECURITY_HEADERS)
    assert statistics.median(during) < 0.25, during
    time.sleep(retry)
    with client("127.0.0.3") as noisy:  # served again once it waited as told
        assert noisy.get(server + "/sparql", params={"query": LIGHT}).status_code == 200


def test_x_forwarded_for_is_not_believed_by_default(server):
    """Otherwise one client could pose as many: a new address in the header on each request."""
    with client("127.0.0.6") as spoofer:
        statuses = Counter(
            spoofer.get(
                server + "/sparql",
                params={"query": LIGHT},
                headers={"X-Forwarded-For": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"},
            ).status_code
            for i in range(2 * DEFAULTS.client_burst)
        )
    assert statuses[429] > 0, statuses


@pytest.mark.slow
def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(tmp_path):
    data = tmp_path / "one.ttl"
    data.write_text("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")
    url, proc = start(
        "--data", str(data), "--trusted-proxies", "127.0.0.1", "--client-rate", "1", "--client-burst", "5"
    )
    try:
        with client("127.0.0.1") as proxy:
            one = [proxy.get(url + "/", headers={"X-Forwarded-For": "198.51.100.1"}).status_code for _ in range(8)]
            other = proxy.get(url + "/", headers={"X-Forwarded-For": "198.51.100.2"}).status_code
            # a client that writes the header itself is behind the proxy: the proxy's entry counts
            spoofed = proxy.get(url + "/", headers={"X-Forwarded-For": "198.51.100.9, 198.51.100.1"}).status_code
        with client("127.0.0.8") as direct:  # not a trusted proxy: its header is ignored
            untrusted = [
                direct.get(url + "/", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(8)
            ]
        assert one[:5] == [200] * 5 and one[5:] == [429] * 3
        assert other == 200 and spoofed == 429
        assert untrusted[:5] == [200] * 5 and untrusted[5:] == [429] * 3
    finally:
        stop(proc)


# --- queries at once --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_client_with_its_share_of_queries_running_gets_429_and_others_are_served(server, capsys):
    share = DEFAULTS.client_queries
    fresh = {"Cache-Control": "no-cache", "Accept": "application/sparql-results+json"}
    with client("127.0.0.4") as greedy, client("127.0.0.5") as other:

        def heavy(_: int) -> tuple[httpx.Response, float]:
            started = time.perf_counter()
            response = greedy.get(server + "/sparql", params={"query": HEAVY}, headers=fresh)
            return response, time.perf_counter() - started

        with concurrent.futures.ThreadPoolExecutor(share + 5) as pool:
            answers = pool.map(heavy, range(share + 5))
            time.sleep(0.5)
            started = time.perf_counter()
            light = other.get(server + "/sparql", params={"query": LIGHT}, headers=fresh)
            light_time = time.perf_counter() - started
            results = list(answers)
    refused = [(r, t) for r, t in results if r.status_code == 429]
    ran = [(r, t) for r, t in results if r.status_code != 429]
    with capsys.disabled():
        print(
            f"\n  {share + 5} heavy queries at once from one address: {len(ran)} ran (stopped at the time limit), "
            f"{len(refused)} refused with 429 in {max(t for _, t in refused) * 1000:.0f} ms at most; "
            f"another address's query meanwhile: {light_time * 1000:.0f} ms"
        )
    assert len(ran) == share and len(refused) == 5
    assert all(r.status_code == 503 for r, _ in ran)  # stopped at the time limit, not refused
    assert all(r.headers["retry-after"] == str(limits.QUERY_RETRY) for r, _ in refused)
    assert all(f"at most {share}" in r.text for r, _ in refused)
    assert max(t for _, t in refused) < 1
    assert light.status_code == 200 and light.json()["boolean"] is True and light_time < 1


def test_a_cached_answer_does_not_count_as_a_query(server):
    """The same light query many times at once: answered from the cache, never refused."""
    with client("127.0.0.9") as one:
        assert one.get(server + "/sparql", params={"query": LIGHT}).status_code == 200
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(lambda _: one.get(server + "/sparql", params={"query": LIGHT}), range(24)))
    assert {r.status_code for r in statuses} == {200}
    assert {r.headers["x-cache"] for r in statuses} == {"hit"}


def test_a_browser_opening_many_pages_at_once_is_served(server):
    """A person's browser: pages in several tabs at once, each with its stylesheet and script —
    the pages' own queries do not count as the client's."""
    pages = ["/", "/query", "/id/district/110108", "/id/district/110105", "/id/report/2024", "/search?q=朝阳"]
    assets = ["/static/site.css", "/static/query.css", "/static/query.js"]
    with client("127.0.0.17") as browser, concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda path: browser.get(server + path).status_code, (pages + assets) * 3))
    assert set(statuses) == {200}, Counter(statuses)


# --- slow clients -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_clients_are_cut_off_and_a_prompt_one_is_served(server, capsys):
    """Slowloris: a connection that sends nothing, headers a line a second, a body a byte a second
    (to the endpoint, and to a page that does not read it) — each closed at its time limit."""
    limit = DEFAULTS.header_timeout
    host = f"Host: {urlsplit(server).netloc}\r\n".encode()
    slow_headers = [b"GET /sparql HTTP/1.1\r\n", host] + [b"X-Slow: %d\r\n" % i for i in range(30)]
    body_head = (
        b"POST /sparql HTTP/1.1\r\n" + host + b"Content-Type: application/sparql-query\r\nContent-Length: 40\r\n\r\n"
    )
    page_head = b"POST /query HTTP/1.1\r\n" + host + b"Content-Type: text/plain\r\nContent-Length: 40\r\n\r\n"
    cases = {
        "nothing": ([b""], 0),
        "headers": (slow_headers, 1),
        "body to /sparql": ([body_head] + [b"A"] * 30, 1),
        "body to a page": ([page_head] + [b"A"] * 30, 1),
    }
    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        futures = {
            name: pool.submit(raw, server, pieces, "127.0.0.10", pause, until_answer=name != "body to a page")
            for name, (pieces, pause) in cases.items()
        }
        time.sleep(1)
        prompt = httpx.get(server + "/sparql", params={"query": LIGHT}, timeout=5)
        got = {name: future.result() for name, future in futures.items()}
    with capsys.disabled():
        print(
            "\n  slow clients: "
            + "; ".join(f"{n}: {status_of(r) or 'no answer'}, closed after {t:.1f} s" for n, (r, t) in got.items())
        )
    assert prompt.status_code == 200
    response, seconds = got["nothing"]
    assert response == b"" and limit - 1 < seconds < limit + 2
    response, seconds = got["headers"]
    assert status_of(response) == 408 and b"headers not received" in response and limit - 1 < seconds < limit + 2
    response, seconds = got["body to /sparql"]
    assert status_of(response) == 408 and b"body not received" in response and limit - 1 < seconds < limit + 2
    assert b"connection: close" in response.lower()
    response, seconds = got["body to a page"]
    assert limit - 1 < seconds < DEFAULTS.body_timeout + limits.BODY_GRACE + 2
    for response, _ in got.values():
        if response:
            head = response.split(b"\r\n\r\n")[0].lower()
            assert all(h.encode() in head for h in SECURITY_HEADERS), head


@pytest.mark.slow
def test_a_client_slow_within_the_limits_is_served(server):
    """Headers in pieces over 3 s, then a second request on the kept-alive connection."""
    host = f"Host: {urlsplit(server).netloc}\r\n".encode()
    pieces = [
        b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n",
        host,
        b"Accept: application/sparql-results+json\r\n",
        b"\r\n",
    ]
    response, _ = raw(
        server,
        [*pieces[:-1], pieces[-1] + b"GET /static/site.css HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n"],
        pause=1,
    )
    assert response.count(b"HTTP/1.1 200") == 2, response[:300]


# --- sizes ------------------------------------------------------------------------------------------------


def test_long_urls_and_large_headers_are_refused(server):
    with client("127.0.0.11") as c:
        # a query of the largest size the endpoint takes still fits in a URL
        longest = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * (DEFAULTS.max_query - 40)
        assert c.get(server + "/sparql", params={"query": longest}).status_code == 200
        # (httpx sends no URL over 64 kB: the longest URL it sends is refused here too)
        longer = c.get(server + "/query", params={"query": "x" * (DEFAULTS.max_url - 10)})
        assert longer.status_code == 414 and "POST" in longer.text
        assert c.get(server + "/", headers={"Cookie": "a=" + "b" * 8000}).status_code == 200
        big = c.get(server + "/", headers={"X-Big": "b" * DEFAULTS.max_headers})
        assert big.status_code == 431
        many = c.get(server + "/", headers={f"X-H{i}": "1" for i in range(limits.MAX_FIELDS + 1)})
        assert many.status_code == 431
        assert c.get(server + "/", headers={f"X-H{i}": "1" for i in range(50)}).status_code == 200
    host = f"Host: {urlsplit(server).netloc}\r\nConnection: close\r\n\r\n".encode()
    response, _ = raw(server, b"GET /sparql?query=" + b"x" * (4 * DEFAULTS.max_url) + b" HTTP/1.1\r\n" + host)
    assert status_of(response) == 414, response[:200]
    # a header that never ends: refused once it is over the cap, not buffered without end
    endless = [b"GET / HTTP/1.1\r\nX-Endless: "] + [b"a" * 65536] * 64
    response, seconds = raw(server, endless, source="127.0.0.11")
    assert status_of(response) == 431 or response == b"", response[:200]
    assert seconds < 5
    assert httpx.get(server + "/sparql", params={"query": LIGHT}).status_code == 200


# --- paths ------------------------------------------------------------------------------------------------

#: What a path out of its folder would reach, by prefix: how many folders up, the file, a string
#: of it: a file beside dist/; the project's pyproject.toml (data/raw/ is where /reports/ reads,
#: from the server's working folder); this server's own source (static/ is beside it).
SECRETS = {
    "/dumps/": (1, "abuse-sentinel.txt", b"SENTINEL-beside-dist"),
    "/reports/": (2, "pyproject.toml", b"[project]"),
    "/static/": (1, "app.py", b"def create_app"),
}
PASSWD = b"root:"
#: "..", and "/", as a path may spell them: percent-encoded, twice, in overlong UTF-8, as Windows does …
DOTS = ("..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "%uff0e%uff0e", "....")
SEPARATORS = ("/", "%2f", "%2F", "\\", "%5c", "%252f", "%c0%af", ";/", "//")


def escapes(up: int, target: str) -> list[str]:
    """The ways of writing ``../`` ``up`` times and then ``target`` (or /etc/passwd) in a URL path."""
    out = []
    for dots in DOTS:
        for sep in SEPARATORS:
            out.append((dots + sep) * up + target)
            out.append((dots + sep) * 8 + "etc" + sep + "passwd")
    return [*out, "%2fetc%2fpasswd", "/etc/passwd", "%00../" + target, target + "%00", "..%00/" + target]


@pytest.mark.parametrize(
    ("prefix", "address"), [("/dumps/", "127.0.0.12"), ("/reports/", "127.0.0.15"), ("/static/", "127.0.0.16")]
)
def test_no_path_leaves_its_folder(server, prefix, address):
    up, target, secret = SECRETS[prefix]
    host = f"Host: {urlsplit(server).netloc}\r\nConnection: close\r\n\r\n".encode()
    seen = {}
    for path in escapes(up, target):
        response, _ = raw(server, b"GET " + (prefix + path).encode() + b" HTTP/1.1\r\n" + host, source=address)
        seen[path] = status_of(response)
        assert secret not in response and PASSWD not in response, path
    assert set(seen.values()) <= {400, 404}, seen


# --- reflected script -------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
]
UNSAFE = (b"<script>alert", b"<img src=x", b"<svg onload", b'href="javascript:', b"href='javascript:")


def requests_with(payload: str) -> list[tuple[str, dict, dict]]:
    """(path, query parameters, headers) that carry ``payload`` somewhere."""
    html = {"Accept": "text/html"}
    literal = payload.replace("\\", "\\\\").replace('"', '\\"')
    p = quote(payload, safe="")
    return [
        ("/sparql", {"query": payload}, {}),
        ("/sparql", {"query": payload}, html),
        ("/sparql", {"query": LIGHT}, {"Accept": payload}),
        ("/sparql", {"query": LIGHT, "format": payload}, {}),
        ("/sparql", {"query": f'SELECT ("{literal}" AS ?x) {{}}'}, html),
        ("/sparql", {"query": f'SELECT ("{literal}" AS ?x) {{}}', "format": "csv"}, {}),
        ("/sparql", {"query": LIGHT, "default-graph-uri": payload}, {}),
        ("/query", {"query": payload}, html),
        ("/query", {"query": f'SELECT ("{literal}" AS ?x) {{}}'}, html),
        ("/query", {"query": f"SELECT ?x WHERE {{ ?s ?p ?o }} LIMIT 1 # {payload}"}, html),
        ("/query", {payload: payload}, html),
        ("/search", {"q": payload}, html),
        ("/search", {"q": "朝阳", "limit": payload}, html),
        ("/search.json", {"q": payload}, {}),
        ("/search.csv", {"q": payload}, {}),
        ("/", {payload: payload}, {**html, "Accept-Language": payload}),
        (f"/no/such/{p}", {}, html),
        (f"/id/{p}", {}, html),
        (f"/id/district/{p}", {}, html),
        ("/id/district/110108", {"format": payload}, html),
        (f"/def/hotline{p}", {}, html),
        (f"/reports/{p}", {}, html),
        (f"/reports/{p}.txt", {}, html),
        (f"/dumps/{p}", {}, html),
        (f"/static/{p}", {}, html),
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_input_comes_back_as_markup(server, payload):
    with client("127.0.0.13") as c:
        for path, params, headers in requests_with(payload):
            response = c.get(server + path, params=params, headers=headers)
            where = (path, params, headers, response.status_code)
            assert response.status_code < 500, where
            kind = response.headers.get("content-type", "")
            body = response.content
            if "html" in kind or "xml" in kind or "svg" in kind:
                assert not any(bad in body for bad in UNSAFE), (where, body[:2000])
            assert response.headers["x-content-type-options"] == "nosniff", where
            assert "script-src 'self'" in response.headers["content-security-policy"], where


def test_error_messages_that_echo_the_input_are_plain_text(server):
    payload = PAYLOADS[0]
    echoed = []
    with client("127.0.0.13") as c:
        for path, params, headers in [
            ("/sparql", {"query": LIGHT}, {"Accept": payload}),
            ("/sparql", {"query": payload}, {"Accept": "text/html"}),
            ("/sparql", {"query": f"ASK {{ ?s ?p ?o }} {payload}"}, {"Accept": "text/html"}),
            ("/search.json", {"q": "a", "limit": payload}, {}),
            ("/id/district/110108", {}, {"Accept": payload}),
        ]:
            response = c.get(server + path, params=params, headers=headers)
            if payload.encode() in response.content:
                echoed.append(path)
                assert response.status_code >= 400 and response.headers["content-type"].startswith("text/plain")
    assert echoed  # the 406 names the Accept header it cannot meet


def test_a_result_iri_is_a_link_only_when_it_is_a_web_address(server):
    """An IRI is anything with a scheme: ``<javascript:alert(1)>`` is one. The query page links a
    result's IRIs, so a link to share would run script on a click (were it not for the policy)."""
    with client("127.0.0.13") as c:
        page = c.get(server + "/query", params={"query": "SELECT (<javascript:alert(1)> AS ?x) {}"})
    assert page.status_code == 200 and "javascript:alert(1)" in page.text
    assert not any(bad in page.content for bad in UNSAFE)


# --- headers on every response ----------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(server):
    host = f"Host: {urlsplit(server).netloc}\r\nConnection: close\r\n\r\n".encode()
    with client("127.0.0.14") as c:
        css = c.get(server + "/static/site.css")
        responses = [
            c.get(server + "/"),
            c.get(server + "/query"),
            c.get(server + "/id/district/110108"),
            c.get(server + "/id/district/110108", headers={"Accept": "text/turtle"}),
            c.get(server + "/no/such/page", headers={"Accept": "text/html"}),
            c.get(server + "/no/such/page"),
            css,
            c.get(server + "/static/site.css", headers={"If-None-Match": css.headers["etag"]}),
            c.get(server + "/dumps/SHA256SUMS"),
            c.head(server + "/dumps/SHA256SUMS"),
            c.get(server + "/sparql"),
            c.get(server + "/sparql", headers={"Accept": "text/html"}),
            c.get(server + "/sparql", params={"query": LIGHT}),
            c.get(server + "/sparql", params={"query": "nonsense"}),
            c.post(server + "/sparql", content=b"x", headers={"Content-Type": "image/png"}),
            c.get(server + "/search", params={"q": "朝阳"}),
            c.get(server + "/openapi.json"),
            c.request("DELETE", server + "/sparql"),
            c.options(
                server + "/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
            ),
        ]
        statuses = {r.status_code for r in responses}
        for r in responses:
            assert all(h in r.headers for h in SECURITY_HEADERS), (r.request.url, r.status_code, r.headers)
            assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-content-type-options"] == "nosniff"
    raws = [
        raw(server, b"GET /" + b"a" * (DEFAULTS.max_url + 1) + b" HTTP/1.1\r\n" + host, "127.0.0.14")[0],
        raw(server, b"GET / HTTP/1.1\r\nX-Big: " + b"b" * DEFAULTS.max_headers + b"\r\n" + host, "127.0.0.14")[0],
        raw(server, b"GET / HTTP/1.1\r\nbad header\r\n" + host, "127.0.0.14")[0],
    ]
    assert [status_of(r) for r in raws] == [414, 431, 400]
    for response in raws:
        head = response.split(b"\r\n\r\n")[0].lower()
        assert all(h.encode() in head for h in SECURITY_HEADERS), head
    assert {200, 304, 400, 404, 405, 415} <= statuses, statuses
