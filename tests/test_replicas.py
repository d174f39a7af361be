"""Three replicas behind HAProxy (deploy/haproxy.cfg), nginx (deploy/nginx-cache.conf) in front,
all real processes on loopback ports: a replica SIGKILLed under a running query mix is invisible
to clients and rejoins when restarted; repeated GETs are answered by the cache. Twice: each
replica with its own embedded store, and the three over one shared engine (the Oxigraph server)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from balancer import HAProxy, Nginx, Replica, tool, wait_for
from serving import engine

pytestmark = pytest.mark.engine

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
QB = "http://purl.org/linked-data/cube#"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# ~0.1 s: keeps requests in flight on the replica when it is killed
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?t . ?b a ?t }"
ROWS = f"SELECT ?o WHERE {{ ?o a <{QB}Observation> }} ORDER BY ?o LIMIT 50"
ASK = f"ASK {{ ?s a <{QB}DataSet> }}"
LARGE = (SLOW + "\n# " + "padding " * 2300).encode()
SPARQL_QUERY = "application/sparql-query"

# (kind, method, path, request arguments)
MIX: list[tuple[str, str, str, dict]] = [
    ("GET /sparql", "GET", "/sparql", {"params": {"query": COUNT}, "headers": {"Accept": JSON}}),
    ("GET /sparql", "GET", "/sparql", {"params": {"query": SLOW}, "headers": {"Accept": JSON}}),
    ("POST /sparql", "POST", "/sparql", {"data": {"query": ROWS}, "headers": {"Accept": "text/csv"}}),
    (
        "POST /sparql",
        "POST",
        "/sparql",
        {"content": ASK.encode(), "headers": {"Content-Type": SPARQL_QUERY, "Accept": JSON}},
    ),
    ("POST /sparql", "POST", "/sparql", {"data": {"query": SLOW}, "headers": {"Accept": XML}}),
    # a body larger than HAProxy's default 16 kB buffer (the endpoint takes queries up to 20000 characters)
    ("POST /sparql", "POST", "/sparql", {"content": LARGE, "headers": {"Content-Type": SPARQL_QUERY, "Accept": JSON}}),
    ("page", "GET", "/", {}),
    ("page", "GET", "/id/district/110108", {}),
    ("page", "GET", "/id/district/110108", {"headers": {"Accept": "text/turtle"}}),
]
CLIENTS = 6
PER_CLIENT = 3000  # a bound on the count, besides the time
LONGEST = 30.0  # and on the time, whatever happens


@dataclass
class Cluster:
    replicas: list[Replica]
    haproxy: HAProxy
    expected: list[bytes]
    engine: str | None  # the engine the replicas share, if they do


@pytest.fixture(scope="module", params=["own stores", "one engine"])
def cluster(built, tmp_path_factory: pytest.TempPathFactory, request):
    tool("haproxy")
    tool("nginx")
    _, dist = built
    folder = tmp_path_factory.mktemp("replicas")
    with contextlib.ExitStack() as stack:
        shared = None
        if request.param == "one engine":
            shared = stack.enter_context(engine("oxigraph", dist / "hotline.nq.gz", folder / "oxigraph", timeout=10))
        yield from _cluster(dist, folder, shared)


def _cluster(dist, folder, shared: str | None):
    replicas = [Replica(f"r{i}", dist, folder, shared) for i in (1, 2, 3)]
    haproxy = HAProxy(replicas, folder)
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        # stateless given a build: every replica gives the same bytes for every request of the mix
        expected = []
        for _, method, path, kwargs in MIX:
            bodies = set()
            for replica in replicas:
                response = httpx.request(method, replica.url + path, timeout=30, **kwargs)
                assert response.status_code == 200, (path, response.text)
                bodies.add(response.content)
            assert len(bodies) == 1, f"replicas differ on {method} {path}"
            expected.append(bodies.pop())
        haproxy.start()
        wait_for(lambda: all(haproxy.status(r.name) == "UP" for r in replicas), 15, "every replica UP in HAProxy")
        yield Cluster(replicas, haproxy, expected, shared)
    finally:
        haproxy.stop()
        for replica in replicas:
            replica.stop()


@dataclass
class Load:
    """CLIENTS threads sending the mix through the load balancer until stopped (or bounded)."""

    url: str
    expected: list[bytes]
    done: list[tuple[float, str, float]] = field(default_factory=list)  # (finished at, kind, seconds)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, client_no: int) -> None:
        deadline = time.monotonic() + LONGEST
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for i in range(PER_CLIENT):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                k = (client_no + i) % len(MIX)
                kind, method, path, kwargs = MIX[k]
                start = time.monotonic()
                try:
                    response = client.request(method, path, **kwargs)
                except httpx.HTTPError as err:
                    self.failures.append(f"{method} {path}: {type(err).__name__} {err}")
                    continue
                end = time.monotonic()
                if response.status_code != 200:
                    self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                elif response.content != self.expected[k]:
                    self.failures.append(f"{method} {path}: wrong body {response.content[:200]!r}")
                else:
                    self.done.append((end, kind, end - start))

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(CLIENTS)]
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(LONGEST + 35)
        self.seconds = time.monotonic() - self.started


def served(cluster: Cluster, name: str) -> int:
    return int(cluster.haproxy.stats()[name]["hrsp_2xx"])


def test_a_replica_killed_under_load_is_invisible_and_rejoins(cluster: Cluster, capsys):
    haproxy = cluster.haproxy
    victim = cluster.replicas[1]
    with Load(haproxy.url, cluster.expected) as load:
        time.sleep(1.0)
        assert served(cluster, victim.name) > 0, "the replica to kill received no requests"
        killed = time.monotonic()
        victim.kill()
        wait_for(lambda: haproxy.status(victim.name).startswith("DOWN"), 10, "HAProxy marks it DOWN")
        detected = time.monotonic() - killed
        orphans = victim.left_behind()
        time.sleep(1.0)  # two replicas carry the load
        victim.start()
        ready = victim.wait_ready()
        rejoined = wait_for(lambda: haproxy.status(victim.name) == "UP", 15, "HAProxy marks it UP again", step=0.05)
        rejoined += ready
        back = time.monotonic()
        before = served(cluster, victim.name)
        wait_for(lambda: served(cluster, victim.name) >= before + 20, 10, "the restarted replica receives requests")
        time.sleep(0.5)
        after = served(cluster, victim.name) - before
    row = haproxy.stats()[victim.name]
    replayed = haproxy.replayed()
    kinds = Counter(kind for _, kind, _ in load.done)
    outage = [seconds for end, _, seconds in load.done if killed <= end <= back]
    with capsys.disabled():
        print(
            f"\n  replica test ({'over one Oxigraph server' if cluster.engine else 'each its own store'}): "
            f"{len(load.done) + len(load.failures)} requests in {load.seconds:.1f} s from "
            f"{CLIENTS} clients through HAProxy to 3 replicas ({', '.join(f'{n} {k}' for k, n in kinds.items())}); "
            f"failed: {len(load.failures)}"
            f"\n  SIGKILL of {victim.name}: DOWN in HAProxy after {detected:.2f} s; restarted, it answered after "
            f"{ready:.2f} s and was UP again {rejoined:.2f} s after the restart; then served {after} requests"
            f"\n  kill -> UP: {back - killed:.2f} s, {len(outage)} requests answered meanwhile, slowest "
            f"{max(outage, default=0) * 1000:.0f} ms; HAProxy retries {row['wretr']}, redispatches {row['wredis']}; "
            f"answered by another replica after a failed attempt: {dict(replayed) or 'none'}"
            f"\n  the killed server left {orphans} query worker(s) running (ended by the test, as systemd would)"
        )
    assert not load.failures, f"{len(load.failures)} failed requests, e.g. {load.failures[:5]}"
    assert outage, "no request was answered while the replica was down"
    for kind in ("GET /sparql", "POST /sparql", "page"):
        assert kinds[kind] > 20, f"too few {kind} requests: {kinds}"


def test_repeated_gets_are_answered_by_the_cache_in_front(cluster: Cluster, tmp_path, capsys):
    haproxy = cluster.haproxy
    names = [r.name for r in cluster.replicas]
    wait_for(lambda: all(haproxy.status(n) == "UP" for n in names), 15, "every replica UP")
    nginx = Nginx.cache(haproxy, tmp_path)
    nginx.start()

    def upstream() -> int:
        """Answers HAProxy got from the replicas, once its count has settled: HAProxy counts an
        answer when it closes the exchange, which can be just after the client has it."""
        seen = int(haproxy.stats()["BACKEND"]["hrsp_2xx"])
        while True:
            time.sleep(0.1)
            now = int(haproxy.stats()["BACKEND"]["hrsp_2xx"])
            if now == seen:
                return now
            seen = now

    query = {"query": "SELECT ?d WHERE { ?d a <http://www.w3.org/2004/02/skos/core#Concept> } ORDER BY ?d LIMIT 7"}
    try:
        with httpx.Client(base_url=nginx.url, timeout=30) as client:

            def get(path: str, **kwargs) -> httpx.Response:
                response = client.get(path, **kwargs)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
                return response

            first = get("/sparql", params=query, headers={"Accept": JSON})
            assert first.headers["x-cache-status"] == "MISS"
            count = upstream()
            repeats = [get("/sparql", params=query, headers={"Accept": JSON}) for _ in range(20)]
            assert {r.headers["x-cache-status"] for r in repeats} == {"HIT"}
            assert {r.content for r in repeats} == {first.content}
            assert upstream() == count, "a cached answer went to a replica"

            # the key holds the Accept header: another media type is another answer
            xml = get("/sparql", params=query, headers={"Accept": XML})
            assert xml.headers["x-cache-status"] == "MISS" and xml.content.startswith(b"<?xml")
            assert get("/sparql", params=query, headers={"Accept": JSON}).content == first.content
            # POST is never cached; `Cache-Control: no-cache` goes to a replica
            count = upstream()
            posted = client.post("/sparql", data=query, headers={"Accept": JSON})
            assert posted.status_code == 200 and posted.content == first.content
            assert posted.headers.get("x-cache-status", "") in ("", "BYPASS")
            fresh = get("/sparql", params=query, headers={"Accept": JSON, "Cache-Control": "no-cache"})
            assert fresh.headers["x-cache-status"] == "BYPASS" and fresh.content == first.content
            assert upstream() == count + 2
            # pages: cached for as long as their own Cache-Control says
            page = [get("/id/district/110108").headers["x-cache-status"] for _ in range(2)]
            assert page == ["MISS", "HIT"]

            # every replica out of rotation: what is cached still comes, the rest gets HAProxy's 503
            for name in names:
                haproxy.command(f"set server replicas/{name} state maint")
            cached = get("/sparql", params=query, headers={"Accept": JSON})
            assert cached.headers["x-cache-status"] == "HIT" and cached.content == first.content
            uncached = client.get("/sparql", params={"query": "ASK { ?s ?p 42 }"}, headers={"Accept": JSON})
            assert uncached.status_code == 503
        with capsys.disabled():
            print(
                "\n  nginx cache: 1 MISS then 20 HITs for one GET query, the replicas asked once; "
                "another Accept MISS; POST and no-cache go through; cached answer still served with "
                "every replica in maintenance (uncached: 503)"
            )
    finally:
        for name in names:
            haproxy.command(f"set server replicas/{name} state ready")
        nginx.stop()
    wait_for(lambda: all(haproxy.status(n) == "UP" for n in names), 15, "every replica UP again")
