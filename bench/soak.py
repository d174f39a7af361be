"""Soak: hotline-kg under a steady mixed load for a long while, watched for drift (issue 13, part 2).

    python bench/soak.py [--seconds 600] [--clients 8] [--dist dist] [--label soak]

Starts ``hotline-kg serve --dist DIST`` on a free port with a short query time limit (``--timeout``,
2 s), so that heavy queries are stopped at the limit, and its per-client limits off (``run.py``'s
``NO_CLIENT_LIMITS``: 8 clients from one address would otherwise be throttled). Then ``--clients``
threads send a fixed mix for ``--seconds``:

- ``--heavy-clients`` of them (1) send heavy queries back to back (a three-way cross join of every
  triple, counted; the same with a huge OFFSET; a regex over every pair of objects), each of which
  must be refused with 503 at the time limit, its worker killed and replaced;
- the others cycle through: light queries (every example query of ``queries/`` that answers fast,
  the lookups of ``run.py`` and a lookup of each resource in turn), POSTed with
  ``Cache-Control: no-cache`` so the answer cache hides no work; the same queries by GET, cache
  allowed; resource pages (``/id/…``); ``/search``; the home page; the smallest ``hotline.*`` dump
  whole; and 64 KiB ``Range`` requests into the largest file of the build.

Once a second, it samples the server's process tree (as ``run.tree_pss_kb`` walks it): PSS
(shared pages counted once) of the tree and of each process, the number of processes (and
zombies), the server's open file descriptors and threads, and the CPU time of the tree, of this
harness and of the whole machine (so a window slowed by other processes says so). Per window
(``--window``, a minute) it reports requests, errors by kind, latency percentiles by kind,
memory, processes and CPU shares.

The first ``--warmup`` seconds (a minute) are warm-up: the server's caches fill and each query is
first evaluated in a worker. The baselines (memory, light p99) are the first window after it.
Criteria (exit 1 if one fails):

1. memory: the last window's median PSS is less than 10 % above the baseline window's;
2. processes: constant: no sample above the steady count (the most frequent one), none below it
   by more than the workers being replaced at once (one per heavy client: a stopped query's worker
   is killed and a new one forked), and the steady count of every window the same; no zombie
   left unreaped (seen in two samples);
3. light queries (POSTed and cached GETs): no error;
4. light p99 in the last window <= the baseline window's x 1.5, or + 5 ms if that is more: p99
   of a minute rests on its slowest 1 % (a few dozen requests), which on a small shared machine
   moves with scheduling; a leak, a growing queue or a slowing worker shows as a trend well
   above that, and the 5 ms floor keeps a p99 of a few ms from failing on one scheduler tick;
5. heavy queries: each refused with 503 "stopped" after the time limit, within 1 s of it;
6. pages, search, home, dumps: no error.

Results go to bench/results/<label>.md and .json. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import NO_CACHE, NO_CLIENT_LIMITS, ROOT, Server, free_port, queries

#: Heavy queries: none finishes within minutes on the real build (11k triples: 1.5e12 rows).
HEAVY = {
    "cross-join-count": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "cross-join-offset": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } OFFSET 1000000000000 LIMIT 1",
    "regex-every-pair": 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "(.*a){12}x", "i")) }',  # noqa: E501
}
#: An example query is light if it answers within this many seconds (no cache) before the soak.
LIGHT_BELOW = 0.25
#: The cycle of every client but the heavy ones (each starts at its own place in it); an example
#: query and a lookup are both of the kind "light".
CYCLE = ["example", "page", "lookup", "cached", "search", "example", "page", "home", "lookup", "dump", "example"]
CYCLE += ["page", "cached", "range", "lookup"]
KIND_OF = {"example": "light", "lookup": "light"}
PAGES = ("page", "search", "home")
KINDS = ("light", "cached", "heavy", "page", "search", "home", "dump", "range")
ACCEPT = {"Accept": "application/sparql-results+json, text/turtle;q=0.9"}
#: Growth of the median PSS allowed, last window against the baseline.
MEMORY_DRIFT = 0.10
#: Light p99 allowed in the last window: baseline x P99_FACTOR, or + P99_SLACK_MS if that is more.
P99_FACTOR = 1.5
P99_SLACK_MS = 5.0
#: A heavy query must be stopped within this many seconds after the limit.
HEAVY_SLACK = 1.0
RANGE = 65536
TICKS = os.sysconf("SC_CLK_TCK")
#: Share of the machine's CPU (every core) used by other processes above which a window's latency
#: is called unsteady-by-neighbours in the report.
BUSY_ELSEWHERE = 0.10


class SoakServer(Server):
    """``run.Server``, sampled once a second from its first answer on (instead of its peak)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.samples: list[dict[str, Any]] = []

    def _sample(self) -> None:
        assert self.proc is not None
        pid = self.proc.pid
        next_at = time.monotonic()
        while not self._watch.is_set():
            procs = tree(pid)
            pss = {p: pss_kb(p) for p in procs}
            self.samples.append(
                {
                    "t": time.monotonic(),
                    "pss_kb": sum(pss.values()),
                    "server_pss_kb": pss.get(pid, 0),
                    "pss_kb_by_pid": {str(p): kb for p, kb in sorted(pss.items())},
                    "processes": len(procs),
                    "zombies": sorted(p for p, f in procs.items() if f[0] == "Z"),
                    "cpu_tree_s": tree_cpu(procs, pid),
                    "cpu_self_s": sum(os.times()[:2]),  # this harness: its clients and this sampler
                    "cpu_busy_s": busy_cpu(),
                    "fds": count(Path(f"/proc/{pid}/fd")),
                    "threads": threads(pid),
                }
            )
            next_at += 1.0
            self._watch.wait(max(0.0, next_at - time.monotonic()))


def tree(pid: int) -> dict[int, list[str]]:
    """A process and its descendants, each with the fields of its /proc/<pid>/stat after the
    command: state (R, S, Z …) first, then ppid … (``proc(5)``, from field 3 on)."""
    found, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            found[p] = stat[stat.rindex(")") + 2 :].split()
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return found


def tree_cpu(procs: dict[int, list[str]], pid: int) -> float:
    """CPU seconds the tree has used: each live process's user and system time, and the server's
    children already reaped (workers killed and replaced)."""
    ticks = sum(int(f[11]) + int(f[12]) for f in procs.values() if len(f) > 14)
    if len(procs.get(pid, [])) > 14:
        ticks += int(procs[pid][13]) + int(procs[pid][14])
    return ticks / TICKS


def busy_cpu() -> float:
    """CPU seconds the machine has been busy (every core), from /proc/stat."""
    try:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
    except (OSError, ValueError):
        return math.nan
    return (user + nice + system + irq + softirq + steal) / TICKS


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def threads(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def count(folder: Path) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:
        return 0


class Load:
    """What the clients send, prepared against the running server before the clock starts."""

    def __init__(self, base: str, dist: Path, timeout: float) -> None:
        self.base, self.timeout = base, timeout
        with httpx.Client(timeout=60) as client:
            self.light, self.dropped = self._light(client)
            self.paths = self._paths(client)
            self.terms = self._terms(client)
            self.heavy = self._heavy(client)
        files = sorted((p for p in dist.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
        dumps = [p for p in files if p.name.startswith("hotline.")] or files
        self.small, self.big = dumps[0], files[-1]
        self.small_size, self.big_size = self.small.stat().st_size, self.big.stat().st_size

    def post(self, client: httpx.Client, query: str) -> httpx.Response:
        return client.post(self.base + "/sparql", data={"query": query}, headers=ACCEPT | NO_CACHE)

    def _light(self, client: httpx.Client) -> tuple[list[str], list[str]]:
        """The example queries (and run.py's lookups) that answer within LIGHT_BELOW s, uncached."""
        light, dropped, found = [], [], queries()
        for name, query in found.items():
            self.post(client, query)  # its first run, in a worker
            started = time.perf_counter()
            ok = self.post(client, query).status_code == 200
            (light if ok and time.perf_counter() - started < LIGHT_BELOW else dropped).append(name)
        return [found[n] for n in light], dropped

    def _paths(self, client: httpx.Client) -> list[str]:
        """The path of every resource page (/id/…), sorted."""
        query = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && CONTAINS(STR(?s), '/id/')) }"
        r = client.get(self.base + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        r.raise_for_status()
        self.iris = sorted(iri.strip() for iri in r.text.splitlines()[1:] if iri.strip())
        return ["/id/" + iri.split("/id/", 1)[1] for iri in self.iris]

    def _terms(self, client: httpx.Client) -> list[str]:
        """Search terms: the first two characters of each preferred label (zh and en), and each whole."""
        query = "SELECT DISTINCT ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } LIMIT 200"
        r = client.get(self.base + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        r.raise_for_status()
        labels = [line.strip().strip('"') for line in r.text.splitlines()[1:] if line.strip()]
        return sorted({t for label in labels for t in (label[:2], label)}) or ["noise"]

    def _heavy(self, client: httpx.Client) -> list[str]:
        """The heavy queries, each checked once: refused with 503 at the time limit."""
        for name, query in HEAVY.items():
            started = time.perf_counter()
            r = self.post(client, query)
            took = time.perf_counter() - started
            if not heavy_ok(r.status_code, r.text, took, self.timeout):
                raise SystemExit(
                    f"heavy query {name} was not stopped at the limit: HTTP {r.status_code} in {took:.2f} s"
                )
        return list(HEAVY.values())

    def lookup(self, j: int) -> str:
        return f"SELECT ?p ?o WHERE {{ <{self.iris[j % len(self.iris)]}> ?p ?o }}"

    def send(self, client: httpx.Client, kind: str, j: int) -> tuple[bool, str]:
        """Send request j of a kind (of the CYCLE); whether its answer was the one expected, and
        what was wrong."""
        started = time.perf_counter()
        if kind in ("example", "lookup"):
            r = self.post(client, self.light[j % len(self.light)] if kind == "example" else self.lookup(j))
            return r.status_code == 200, f"HTTP {r.status_code}"
        if kind == "cached":
            query = self.light[j % len(self.light)]
            r = client.get(self.base + "/sparql", params={"query": query}, headers=ACCEPT)
            return r.status_code == 200, f"HTTP {r.status_code}"
        if kind == "heavy":
            r = self.post(client, self.heavy[j % len(self.heavy)])
            took = time.perf_counter() - started
            return heavy_ok(r.status_code, r.text, took, self.timeout), f"HTTP {r.status_code} in {took:.2f} s"
        if kind == "page":
            r = client.get(self.base + self.paths[j % len(self.paths)])
        elif kind == "search":
            r = client.get(self.base + "/search", params={"q": self.terms[j % len(self.terms)]})
        elif kind == "home":
            r = client.get(self.base + "/")
        elif kind == "dump":
            r = client.get(self.base + "/dumps/" + self.small.name)
            return r.status_code == 200 and len(r.content) == self.small_size, f"HTTP {r.status_code}"
        else:  # range
            start = (j * 7 * RANGE) % max(1, self.big_size - RANGE)
            end = min(start + RANGE, self.big_size) - 1
            r = client.get(self.base + "/dumps/" + self.big.name, headers={"Range": f"bytes={start}-{end}"})
            return r.status_code == 206 and len(r.content) == end - start + 1, f"HTTP {r.status_code}"
        return r.status_code == 200, f"HTTP {r.status_code}"


def heavy_ok(status: int, text: str, took: float, timeout: float) -> bool:
    return status == 503 and "stopped" in text and timeout <= took <= timeout + HEAVY_SLACK


class Clients:
    """The client threads and what they saw: (start, kind, seconds, ok) per request."""

    def __init__(self, load: Load, clients: int, heavy: int) -> None:
        self.load, self.clients, self.heavy = load, clients, heavy
        self.records: list[tuple[float, str, float, bool]] = []
        self.problems: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self._lock = threading.Lock()

    def run(self, seconds: float) -> float:
        """Send the mix for `seconds`; the monotonic time the clock started."""
        self.t0 = time.monotonic()
        stop = self.t0 + seconds
        threads = [threading.Thread(target=self._client, args=(i, stop)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self.t0

    def _client(self, i: int, stop: float) -> None:
        sent: collections.Counter[str] = collections.Counter()
        with httpx.Client(timeout=30) as client:
            j = i * 5  # each client starts at its own place in the cycle
            heavy = i < self.heavy
            while time.monotonic() < stop:
                request = "heavy" if heavy else CYCLE[j % len(CYCLE)]
                kind = KIND_OF.get(request, request)
                # the clients of the mix take turns through each list (of queries, pages, terms …)
                n = sent[request] if heavy else sent[request] * (self.clients - self.heavy) + i - self.heavy
                sent[request] += 1
                started = time.monotonic()
                try:
                    ok, what = self.load.send(client, request, n)
                except httpx.HTTPError as err:
                    ok, what = False, type(err).__name__
                took = time.monotonic() - started
                self.records.append((started - self.t0, kind, took, ok))
                if not ok:
                    with self._lock:
                        self.problems[kind][what] += 1
                j += 1


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (nan of nothing)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def windows(
    records: list[tuple[float, str, float, bool]],
    samples: list[dict[str, Any]],
    t0: float,
    seconds: float,
    width: float,
) -> list[dict[str, Any]]:
    """Per window of `width` seconds: requests, errors and latency by kind; memory and processes."""
    n = max(1, math.ceil(seconds / width - 1e-9))
    out = []
    for k in range(n):
        lo, hi = k * width, min((k + 1) * width, seconds)
        mine = [r for r in records if lo <= r[0] < hi or (k == n - 1 and r[0] >= hi)]
        taken = [s for s in samples if lo <= s["t"] - t0 < hi]
        by_kind: dict[str, dict[str, Any]] = {}
        for kind in KINDS:
            times = [r[2] * 1000 for r in mine if r[1] == kind]
            by_kind[kind] = {
                "requests": len(times),
                "errors": sum(1 for r in mine if r[1] == kind and not r[3]),
                "p50_ms": percentile(times, 0.5),
                "p99_ms": percentile(times, 0.99),
            }
        light = [r[2] * 1000 for r in mine if r[1] in ("light", "cached")]
        pages = [r[2] * 1000 for r in mine if r[1] in PAGES]
        procs = [s["processes"] for s in taken]
        cpu = cpu_shares(taken)
        out.append(
            {
                "from_s": lo,
                "to_s": hi,
                "requests": len(mine),
                "per_s": len(mine) / (hi - lo) if hi > lo else math.nan,
                "kinds": by_kind,
                "light_requests": len(light),
                "light_errors": by_kind["light"]["errors"] + by_kind["cached"]["errors"],
                "light_p50_ms": percentile(light, 0.5),
                "light_p99_ms": percentile(light, 0.99),
                "pages_p99_ms": percentile(pages, 0.99),
                "pss_mb": statistics.median(s["pss_kb"] for s in taken) / 1024 if taken else math.nan,
                "pss_max_mb": max(s["pss_kb"] for s in taken) / 1024 if taken else math.nan,
                "server_pss_mb": statistics.median(s["server_pss_kb"] for s in taken) / 1024 if taken else math.nan,
                "workers_pss_mb": statistics.median(s["pss_kb"] - s["server_pss_kb"] for s in taken) / 1024
                if taken
                else math.nan,
                "processes_min": min(procs, default=0),
                "processes_max": max(procs, default=0),
                "processes_steady": collections.Counter(procs).most_common(1)[0][0] if procs else 0,
                "zombies_max": max((len(s["zombies"]) for s in taken), default=0),
                "fds_max": max((s["fds"] for s in taken), default=0),
                "threads_max": max((s["threads"] for s in taken), default=0),
                "samples": len(taken),
                "cpu_server": cpu[0],
                "cpu_harness": cpu[1],
                "cpu_others": cpu[2],
            }
        )
    return out


def cpu_shares(taken: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Shares of the machine's CPU (every core) the server's tree, this harness and every other
    process used from the first sample to the last."""
    if len(taken) < 2:
        return math.nan, math.nan, math.nan
    a, b = taken[0], taken[-1]
    total = (b["t"] - a["t"]) * (os.cpu_count() or 1)
    server = (b["cpu_tree_s"] - a["cpu_tree_s"]) / total
    harness = (b["cpu_self_s"] - a["cpu_self_s"]) / total
    others = max(0.0, (b["cpu_busy_s"] - a["cpu_busy_s"]) / total - server - harness)
    return server, harness, others


def judge(
    per: list[dict[str, Any]], samples: list[dict[str, Any]], t0: float, warmup: float, heavy: int
) -> list[dict[str, Any]]:
    """The criteria, each with its figures and whether it passed."""
    after = [w for w in per if w["from_s"] >= warmup]
    base, last = after[0], after[-1]
    out = []
    drift = last["pss_mb"] / base["pss_mb"] - 1
    out.append(
        {
            "name": "memory",
            "passed": drift < MEMORY_DRIFT,
            "text": f"median PSS {base['pss_mb']:.1f} MB (window from {base['from_s']:g} s) -> "
            f"{last['pss_mb']:.1f} MB (last window): {drift * 100:+.1f} % (allowed: < +{MEMORY_DRIFT * 100:g} %); "
            f"of which the server process alone {base['server_pss_mb']:.1f} -> {last['server_pss_mb']:.1f} MB "
            f"({(last['server_pss_mb'] / base['server_pss_mb'] - 1) * 100:+.1f} %)",
        }
    )
    counted = [s for s in samples if s["t"] - t0 >= 0]
    procs = [s["processes"] for s in counted]
    steady = collections.Counter(procs).most_common(1)[0][0]
    off = sum(1 for p in procs if p != steady)
    seen_dead = collections.Counter(p for s in counted for p in s["zombies"])
    zombies = sum(1 for n in seen_dead.values() if n > 1)  # a killed worker not reaped at once
    steadies = {w["processes_steady"] for w in per if w["samples"]}
    ok = max(procs) == steady and min(procs) >= steady - heavy and steadies == {steady} and zombies == 0
    pids = {p for s in counted for p in s["pss_kb_by_pid"]}
    out.append(
        {
            "name": "processes",
            "passed": ok,
            "text": f"steady {steady} (the server and its workers) in every window: {steadies == {steady}}; "
            f"min {min(procs)}, max {max(procs)} over {len(procs)} samples, {off} off steady "
            f"(allowed: none above, at most {heavy} below while a stopped query's worker is replaced); "
            f"{len(seen_dead)} zombies seen, {zombies} of them in more than one sample (allowed: none); "
            f"{len(pids)} process ids seen (workers replaced over the run)",
        }
    )
    errors = sum(w["light_errors"] for w in per)
    requests = sum(w["light_requests"] for w in per)
    out.append({"name": "light errors", "passed": errors == 0, "text": f"{errors} of {requests} light queries failed"})
    allowed = max(base["light_p99_ms"] * P99_FACTOR, base["light_p99_ms"] + P99_SLACK_MS)
    out.append(
        {
            "name": "light p99",
            "passed": last["light_p99_ms"] <= allowed,
            "text": f"{base['light_p99_ms']:.1f} ms (window from {base['from_s']:g} s) -> "
            f"{last['light_p99_ms']:.1f} ms (last window); allowed <= {allowed:.1f} ms "
            f"(x {P99_FACTOR:g}, or + {P99_SLACK_MS:g} ms if more)" + neighbours(base, last),
        }
    )
    stopped = sum(w["kinds"]["heavy"]["requests"] for w in per)
    wrong = sum(w["kinds"]["heavy"]["errors"] for w in per)
    out.append(
        {
            "name": "heavy stopped",
            "passed": wrong == 0 and stopped > 0,
            "text": f"{stopped - wrong} of {stopped} heavy queries refused with 503 within {HEAVY_SLACK:g} s "
            "after the time limit",
        }
    )
    others = {k: sum(w["kinds"][k]["errors"] for w in per) for k in ("page", "search", "home", "dump", "range")}
    out.append(
        {
            "name": "pages and dumps",
            "passed": not any(others.values()),
            "text": ", ".join(f"{k} {v}" for k, v in others.items()) + " errors",
        }
    )
    return out


def plain(value: Any) -> Any:
    """``value`` with NaN as None (JSON has no NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def neighbours(*compared: dict[str, Any]) -> str:
    """A warning if other processes took much of the CPU in the windows compared."""
    busy = [w["cpu_others"] for w in compared]
    if not any(b > BUSY_ELSEWHERE for b in busy):
        return ""
    shares = " and ".join(f"{b * 100:.0f} %" for b in busy)
    return f"; other processes used {shares} of the CPU in these windows: latency there is not the server's alone"


def pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value * 100:.0f}"


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"


def report(meta: dict[str, Any], per: list[dict[str, Any]], criteria: list[dict[str, Any]], problems: Any) -> str:
    passed = all(c["passed"] for c in criteria)
    lines = [
        f"# Soak {meta['label']}: {'PASS' if passed else 'FAIL'}",
        "",
        *(
            [f"**A short run ({meta['seconds']:g} s): a check of the harness, not the soak (600 s).**", ""]
            if meta["seconds"] < 600
            else []
        ),
        f"{meta['date']}, {meta['cores']} cores; "
        f"`hotline-kg serve --dist {meta['dist']} --timeout {meta['timeout']:g}` "
        f"({meta['workers']} query workers); {meta['seconds']:g} s at {meta['clients']} clients "
        f"({meta['heavy_clients']} sending heavy queries back to back, the others the mix); {meta['rate_limits']}.",
        "",
        f"Mix of the other clients, in a cycle: {', '.join(CYCLE)}. Light queries, POSTed with "
        f"`Cache-Control: no-cache`: example, {meta['light_queries']} example queries and lookups of run.py, "
        f"each answered within {LIGHT_BELOW:g} s before the soak"
        + (f" (left out as not light: {', '.join(meta['dropped'])})" if meta["dropped"] else "")
        + f"; lookup, the triples of each of the {meta['resources']} resources in turn. Also light: cached, "
        f"the example queries by GET, cache allowed. page: /id/… pages; search: /search?q=…; home: /; dump: "
        f"/dumps/{meta['small']} whole; range: 64 KiB ranges of /dumps/{meta['big']}. heavy: "
        f"{', '.join(HEAVY)}, each expected to get 503 at the limit.",
        "",
        f"Warm-up: the first {meta['warmup']:g} s; the baselines (memory, light p99) are the first window after it. "
        f"PSS: the server's process tree, sampled once a second (window median; max in brackets). "
        f"Latency in ms; pages = page, search and home. CPU: shares of the whole machine ({meta['cores']} "
        "cores) used by the server's tree, by this harness (its clients) and by every other process.",
        "",
        "| window s | requests | req/s | errors by kind | light p50 | light p99 | pages p99 | heavy p99 "
        "| PSS MB | server / workers PSS MB | processes | fds | CPU % server / harness / others |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in per:
        errors = ", ".join(f"{k} {v['errors']}" for k, v in w["kinds"].items() if v["errors"]) or "0"
        procs = (
            str(w["processes_min"])
            if w["processes_min"] == w["processes_max"]
            else (f"{w['processes_min']}–{w['processes_max']} (mostly {w['processes_steady']})")
        )
        lines.append(
            f"| {w['from_s']:g}–{w['to_s']:g}{' (warm-up)' if w['from_s'] < meta['warmup'] else ''} "
            f"| {w['requests']} | {w['per_s']:.1f} | {errors} | {ms(w['light_p50_ms'])} | {ms(w['light_p99_ms'])} "
            f"| {ms(w['pages_p99_ms'])} | {ms(w['kinds']['heavy']['p99_ms'])} | {w['pss_mb']:.1f} "
            f"({w['pss_max_mb']:.1f}) | {w['server_pss_mb']:.1f} / {w['workers_pss_mb']:.1f} | {procs} "
            f"| {w['fds_max']} | {pct(w['cpu_server'])} / {pct(w['cpu_harness'])} / {pct(w['cpu_others'])} |"
        )
    totals = collections.Counter({k: sum(w["kinds"][k]["requests"] for w in per) for k in KINDS})
    lines += ["", "Requests by kind: " + ", ".join(f"{k} {v}" for k, v in totals.items()) + ".", "", "## Criteria", ""]
    for c in criteria:
        lines.append(f"- {'PASS' if c['passed'] else 'FAIL'} {c['name']}: {c['text']}")
    first, end = per[0], per[-1]
    lines += [
        "",
        f"Also watched (not criteria): the server's open file descriptors (max of a window) {first['fds_max']} in the "
        f"first window, {end['fds_max']} in the last; its threads {first['threads_max']}, {end['threads_max']}.",
    ]
    if problems:
        lines += ["", "## Errors seen", ""]
        for kind, seen in problems.items():
            lines.append(f"- {kind}: " + ", ".join(f"{what} x{n}" for what, n in seen.most_common(5)))
    if meta["rate_limited"]:
        lines += ["", f"{meta['rate_limited']} requests were refused with 429 (rate limited)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=600, help="length of the load (default 600)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--heavy-clients", type=int, default=1, help="of which send heavy queries (default 1)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="the build served (default dist/)")
    parser.add_argument("--label", default="soak", help="results go to bench/results/<label>.md (default soak)")
    parser.add_argument("--timeout", type=float, default=2, help="the server's query time limit, s (default 2)")
    parser.add_argument("--window", type=float, default=60, help="seconds per row of the report (default 60)")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the baselines (default 60)")
    args = parser.parse_args()
    if args.seconds < args.warmup + 2 * args.window:
        parser.error("--seconds must leave two windows after the warm-up (--warmup + 2 x --window)")
    if not 0 < args.heavy_clients < args.clients:
        parser.error("--heavy-clients must be at least 1 and fewer than --clients")
    dist = args.dist.resolve()
    if not (dist / "hotline.nq.gz").is_file():
        parser.error(f"{dist}/hotline.nq.gz not found: run `make build` first")
    env = {"HOTLINE_KG_QUERIES": str(ROOT / "queries"), "HOTLINE_KG_RAW": str(ROOT / "data" / "raw")}
    # 8 clients from one address would otherwise be throttled (429) by the per-client limits
    limits = f"per-client limits off (`{' '.join(NO_CLIENT_LIMITS)}`, as in run.py)"
    port = free_port()
    command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--dist", str(dist), "--port", str(port)]
    command += ["--timeout", f"{args.timeout:g}", *NO_CLIENT_LIMITS]
    server = SoakServer("hotline-kg", command, f"http://127.0.0.1:{port}/sparql", env)
    print(
        f"soak {args.label}: {args.seconds:g} s at {args.clients} clients; {limits}; warm-up {args.warmup:g} s "
        f"(memory and p99 baselines from the {args.window:g} s after it)",
        flush=True,
    )
    server.start()
    try:
        load = Load(f"http://127.0.0.1:{port}", dist, args.timeout)
        print(
            f"{len(load.light)} light queries (left out: {', '.join(load.dropped) or 'none'}), {len(load.paths)} "
            f"pages, {len(load.terms)} search terms; heavy queries stopped at {args.timeout:g} s: checked",
            flush=True,
        )
        clients = Clients(load, args.clients, args.heavy_clients)
        reporter = threading.Thread(target=progress, args=(clients, server, args), daemon=True)
        reporter.start()
        t0 = clients.run(args.seconds)
        time.sleep(1.5)  # the last samples
    finally:
        server.stop()
    samples = [s for s in server.samples if s["t"] >= t0 - 0.5]
    for s in samples:
        s["t"] = max(s["t"], t0)
    per = windows(clients.records, samples, t0, args.seconds, args.window)
    criteria = judge(per, samples, t0, args.warmup, args.heavy_clients)
    from hotline_kg.server.settings import Settings

    meta = {
        "label": args.label,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "dist": os.path.relpath(dist, ROOT),
        "seconds": args.seconds,
        "clients": args.clients,
        "heavy_clients": args.heavy_clients,
        "timeout": args.timeout,
        "workers": Settings().workers,
        "window": args.window,
        "warmup": args.warmup,
        "rate_limits": limits,
        "rate_limited": sum(
            n for seen in clients.problems.values() for w, n in seen.items() if w.startswith("HTTP 429")
        ),
        "light_queries": len(load.light),
        "dropped": load.dropped,
        "resources": len(load.paths),
        "small": load.small.name,
        "big": load.big.name,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = report(meta, per, criteria, clients.problems)
    (out / f"{args.label}.md").write_text(text)
    thin = [s | {"t": round(s["t"] - t0, 3)} for s in samples]
    (out / f"{args.label}.json").write_text(
        json.dumps(plain({"meta": meta, "windows": per, "criteria": criteria, "samples": thin}), indent=1) + "\n"
    )
    print(text)
    return 0 if all(c["passed"] for c in criteria) else 1


def progress(clients: Clients, server: SoakServer, args: argparse.Namespace) -> None:
    """A line every window, while the soak runs."""
    while not hasattr(clients, "t0"):
        time.sleep(0.1)
    k = 1
    while k * args.window <= args.seconds:
        time.sleep(max(0.0, clients.t0 + k * args.window - time.monotonic()))
        lo = (k - 1) * args.window
        done = [r for r in clients.records if lo <= r[0] < k * args.window]
        bad = collections.Counter(r[1] for r in done if not r[3])
        light = [r[2] * 1000 for r in done if r[1] in ("light", "cached")]
        taken = [s for s in server.samples if lo <= s["t"] - clients.t0 < k * args.window]
        last = taken[-1] if taken else {"pss_kb": 0, "processes": 0}
        print(
            f"  {lo:g}–{k * args.window:g} s: {len(done)} requests, errors {dict(bad) or 0}, "
            f"light p99 {ms(percentile(light, 0.99))} ms, PSS {last['pss_kb'] / 1024:.0f} MB, "
            f"{last['processes']} processes, CPU of other processes {pct(cpu_shares(taken)[2])} %",
            flush=True,
        )
        k += 1


if __name__ == "__main__":
    sys.exit(main())
