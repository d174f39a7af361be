"""Benchmark the endpoint against its peers, all serving the same dump in the same run.

    python bench/run.py DUMP.nt.gz --label real [--peers-venv .venv-bench] [--requests 30] [--seconds 10]

Servers: hotline-kg (this project, every limit and check switched on but the per-client
ones: `--client-rate 0 --client-queries 0`, since the peers have none and the 8 clients of
the throughput run share one address), the Oxigraph server (`oxigraph serve-read-only`)
and rdflib-endpoint. For each server: time until it answers, median and p95 latency of each
example query (concurrency 1), throughput of a fixed mix at 1 and 8 clients, and peak memory
(proportional set size of the server's process tree). Results go to
bench/results/<label>.json and .md, with ratios against both peers. Traffic goes only to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MIX_EXTRA = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "lookup": "SELECT ?p ?o WHERE { <https://w3id.org/hotline-kg/id/district/110108> ?p ?o }",
    "ask": "ASK { ?s a <http://purl.org/linked-data/cube#DataSet> }",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queries() -> dict[str, str]:
    """The example queries (each given a LIMIT 1000 where it has none, the same for every server,
    so a large cube stays within the endpoint's result limit) and a few lookups."""
    found = {}
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8").rstrip()
        if "SERVICE <" in text:  # federated: it measures the other endpoint, and no peer here allows it
            continue
        found[path.stem] = text if "LIMIT" in text.upper().split("}")[-1] else text + "\nLIMIT 1000"
    return {**found, **MIX_EXTRA}


class Server:
    def __init__(
        self, name: str, command: list[str], url: str, env: dict[str, str] | None = None, watch_load: bool = False
    ) -> None:
        self.name, self.command, self.url = name, command, url
        self.env = {**os.environ, **(env or {})}
        self.watch_load = watch_load  # sample memory from the start (the load counts), not from the first answer
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_kb = 0
        self._watch = threading.Event()

    def start(self, wait: float = 300) -> float:
        self._watch = threading.Event()
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env, start_new_session=True
        )
        if self.watch_load:
            threading.Thread(target=self._sample, daemon=True).start()
        while time.perf_counter() - started < wait:
            try:
                if (
                    httpx.get(
                        self.url,
                        params={"query": "ASK { ?s ?p ?o }"},
                        timeout=2,
                        headers={"Accept": "application/sparql-results+json"},
                    ).status_code
                    == 200
                ):
                    ready = time.perf_counter() - started
                    if not self.watch_load:
                        threading.Thread(target=self._sample, daemon=True).start()
                    return ready
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def _sample(self) -> None:
        while not self._watch.is_set():
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.proc.pid))  # type: ignore[union-attr]
            time.sleep(1.0 if self.watch_load else 0.2)  # reading smaps slows a loading process

    def stop(self) -> None:
        self._watch.set()
        if self.proc:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and its descendants (shared pages counted once)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo += [int(c) for c in children]
        except (OSError, ValueError):
            continue
    return total


#: Every figure but the cached mix is measured with the cache bypassed, to compare engines, not caches.
NO_CACHE = {"Cache-Control": "no-cache"}


def ask(client: httpx.Client, url: str, query: str, cached: bool = False) -> float:
    started = time.perf_counter()
    accept = {"Accept": "application/sparql-results+json, text/turtle;q=0.9"}
    if cached:  # a GET, as a browser or an HTTP cache would send it
        r = client.get(url, params={"query": query}, headers=accept)
    else:
        r = client.post(url, data={"query": query}, headers=accept | NO_CACHE)
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
    return elapsed


def latencies(
    server: Server, qs: dict[str, str], n: int, timeout: float, budget: float
) -> dict[str, dict[str, object]]:
    """Median and p95 of n runs of each query, after one warm-up run. A query that fails or
    takes longer than `timeout` is recorded as such; the server is then restarted, so work it
    may still be doing does not slow the next query. Once `budget` seconds are spent, the
    remaining queries are recorded as not measured."""
    out: dict[str, dict[str, object]] = {}
    started = time.perf_counter()
    for name, query in qs.items():
        if time.perf_counter() - started > budget:
            out[name] = {"median_ms": float("nan"), "p95_ms": float("nan"), "error": "not measured: budget spent"}
            continue
        try:
            with httpx.Client(timeout=timeout) as client:
                ask(client, server.url, query)  # warm
                times = sorted(ask(client, server.url, query) for _ in range(n))
        except (RuntimeError, httpx.HTTPError) as err:  # a refusal or time-out is a result too
            message = f"no answer within {timeout:g} s" if isinstance(err, httpx.TimeoutException) else str(err)
            out[name] = {"median_ms": float("nan"), "p95_ms": float("nan"), "error": message[:200]}
            server.stop()
            server.start()
            continue
        out[name] = {
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
        }
    return out


def throughput(
    url: str, qs: dict[str, str], clients: int, seconds: float, ok: set[str], cached: bool = False
) -> tuple[float, int]:
    """Answers per second of the mix, sent by `clients` at once for `seconds`; and how many
    requests failed (a refusal under load, such as a query stopped at its time limit)."""
    mix = [qs[name] for name in qs if name in ok]
    stop = time.perf_counter() + seconds
    counts = [0] * clients
    failed = [0] * clients

    def worker(i: int) -> None:
        with httpx.Client(timeout=120) as client:
            j = i
            while time.perf_counter() < stop:
                try:
                    ask(client, url, mix[j % len(mix)], cached)
                    counts[i] += 1
                except (RuntimeError, httpx.HTTPError):
                    failed[i] += 1
                j += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return sum(counts) / seconds, sum(failed)


#: hotline-kg's per-client limits (request rate, queries at once), off: the peers have none, and
#: every benchmark client comes from 127.0.0.1, so the limits would meter the benchmark itself.
NO_CLIENT_LIMITS = ("--client-rate", "0", "--client-queries", "0")


def servers(dump: Path, peers: Path, work: Path) -> list[Server]:
    ours, ox, rdflib_port = free_port(), free_port(), free_port()
    location = work / "oxigraph"
    subprocess.run(
        [str(peers / "bin" / "oxigraph"), "load", "--location", str(location), "--file", str(dump)],
        check=True,
        capture_output=True,
    )
    plain = work / "dump.nt"
    import gzip

    plain.write_bytes(gzip.decompress(dump.read_bytes()) if dump.name.endswith(".gz") else dump.read_bytes())
    return [
        Server(
            "hotline-kg",
            [
                sys.executable,
                "-m",
                "hotline_kg.cli",
                "serve",
                "--data",
                str(dump),
                "--port",
                str(ours),
                "--dist",
                str(work / "no-dist"),
                *NO_CLIENT_LIMITS,
            ],
            f"http://127.0.0.1:{ours}/sparql",
        ),
        Server(
            "oxigraph",
            [
                str(peers / "bin" / "oxigraph"),
                "serve-read-only",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{ox}",
            ],
            f"http://127.0.0.1:{ox}/query",
        ),
        Server(
            "rdflib-endpoint",
            [
                str(peers / "bin" / "rdflib-endpoint"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(rdflib_port),
                str(plain),
            ],
            f"http://127.0.0.1:{rdflib_port}/",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--label", required=True)
    parser.add_argument("--peers-venv", type=Path, default=ROOT / ".venv-bench")
    parser.add_argument("--requests", type=int, default=30, help="per query, for latency (default 30)")
    parser.add_argument("--seconds", type=float, default=10, help="per throughput run (default 10)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a client waits for an answer (default 60)")
    parser.add_argument("--budget", type=float, default=900, help="seconds of latency runs per server (default 900)")
    parser.add_argument("--skip", nargs="*", default=[], help="servers to leave out")
    args = parser.parse_args()
    qs = queries()
    work = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    results: dict[str, dict[str, object]] = {}
    try:
        chosen = [s for s in servers(args.dump, args.peers_venv, work) if s.name not in args.skip]
        for server in chosen:  # 1. start-up time and each query's latency
            ready = server.start()
            try:
                lat = latencies(server, qs, args.requests, args.timeout, args.budget)
                results[server.name] = {"ready_s": ready, "latency": lat}
            finally:
                server.stop()
            print(f"{server.name}: ready {ready:.2f} s", flush=True)

        # 2. throughput of the same mix: the queries answered in time by every server that answered
        # most of them (a server that answered fewer is too slow at this size to take part)
        def answered(name: str) -> set[str]:
            return {q for q, r in results[name]["latency"].items() if "error" not in r}  # type: ignore[union-attr]

        able = [s for s in chosen if len(answered(s.name)) > len(qs) / 2]
        mix = set(qs).intersection(*(answered(s.name) for s in able))
        for server in chosen:
            if server not in able:
                results[server.name]["peak_memory_mb"] = server.peak_kb / 1024
                continue
            server.start()
            try:
                for clients in (1, 8):
                    rate_, failed = throughput(server.url, qs, clients, args.seconds, mix)
                    results[server.name][f"throughput_{clients}"] = rate_
                    results[server.name][f"failed_{clients}"] = failed
                # the same mix by GET with the cache allowed (a build never changes)
                rate_, failed = throughput(server.url, qs, 8, args.seconds, mix, cached=True)
                results[server.name]["throughput_cached_8"] = rate_
                results[server.name]["failed_cached_8"] = failed
            finally:
                server.stop()
            results[server.name]["peak_memory_mb"] = server.peak_kb / 1024
            print(
                f"{server.name}: {rate(results[server.name], 'throughput_8')} req/s at 8 clients, "
                f"{results[server.name]['peak_memory_mb']:.0f} MB",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "label": args.label,
        "dump": args.dump.name,
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "requests_per_query": args.requests,
        "seconds_per_run": args.seconds,
        "timeout_s": args.timeout,
        "mix": sorted(mix),
    }
    (out / f"{args.label}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    table = report(meta, results, qs)
    (out / f"{args.label}.md").write_text(table)
    print(table)


def rate(result: dict[str, object], key: str) -> str:
    if key not in result:
        return "— (answered too few queries)"
    failed = result.get(key.replace("throughput", "failed"), 0)
    return f"{result[key]:.1f}" + (f" ({failed} refused)" if failed else "")


def cell(latency: dict[str, object]) -> str:
    if "error" in latency:
        error = str(latency["error"])
        if error.startswith("no answer within"):
            return "timed out"
        if error.startswith("not measured"):
            return "not measured"
        return "stopped at its time limit" if error.startswith("HTTP 503") else f"error ({error[:40]})"
    return f"{latency['median_ms']:.1f} / {latency['p95_ms']:.1f}"


def report(meta: dict[str, object], results: dict[str, dict[str, object]], qs: dict[str, str]) -> str:
    ours = results.get("hotline-kg")
    peers = [p for p in results if p != "hotline-kg"]
    lines = [f"# Benchmark {meta['label']} ({meta['dump']}, {meta['date']}, {meta['cores']} cores)", ""]
    head = (
        "| query | "
        + " | ".join(f"{s} median / p95 ms" for s in results)
        + "".join(f" | ratio vs {p}" for p in peers)
        + " |"
    )
    lines += [head, "|" + "---|" * (1 + len(results) + len(peers))]
    for name in qs:
        cells = [cell(results[s]["latency"][name]) for s in results]  # type: ignore[index]
        ratios = []
        for p in peers:
            if ours:
                mine = ours["latency"][name]["median_ms"]  # type: ignore[index]
                theirs = results[p]["latency"][name]["median_ms"]  # type: ignore[index]
                ratios.append("—" if math.isnan(mine) or math.isnan(theirs) else f"{theirs / mine:.2f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + "".join(f" | {r}" for r in ratios) + " |")
    lines += [
        "",
        "ratio = peer's median / ours (above 1: ours is faster); "
        f"a client waits {meta['timeout_s']:g} s at most (hotline-kg stops a query after its own 10 s limit)",
        "",
        "Throughput mix (the queries every server answered): " + ", ".join(meta["mix"]),  # type: ignore[arg-type]
        "",
    ]
    lines += [
        "| server | ready s | mix req/s, 1 client | mix req/s, 8 clients | mix by GET, cache allowed, 8 clients "
        "| peak memory MB |",
        "|---|---|---|---|---|---|",
    ]
    for s, r in results.items():
        lines.append(
            f"| {s} | {r['ready_s']:.2f} | {rate(r, 'throughput_1')} | {rate(r, 'throughput_8')} "
            f"| {rate(r, 'throughput_cached_8')} | {r['peak_memory_mb']:.0f} |"
        )
    lines += [
        "",
        "Every figure but the cached mix is measured with `Cache-Control: no-cache` (hotline-kg then "
        "bypasses its answer cache; the peers have none).",
        "",
        "hotline-kg runs with its per-client limits off (`--client-rate 0 --client-queries 0`): the peers "
        "have none, and every client of the benchmark comes from the same address.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
