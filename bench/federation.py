"""How SERVICE is evaluated, measured: the wrapper's way (each SERVICE block called by the
server, its solutions put into the query as VALUES) against an engine calling the endpoint
itself (the Oxigraph server's own SERVICE, which the wrapper never lets run: it connects out
with no allow-list), in the same run, over the same local endpoint.

    python bench/federation.py [--runs 20]

The endpoint is an Oxigraph server holding the fictional Wikidata-shaped graph of
tests/test_federation.py; the query is the example queries/15 (requests per 10 000 residents)
with that endpoint in place of Wikidata's, and a join of N rows of the endpoint's answer with
this data (N = 16 … 5 000) to see how VALUES grows. Results: bench/results/federation.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from run import NO_CLIENT_LIMITS, ROOT, Server, free_port

from hotline_kg.server.engine import local
from test_federation import fictional_wikidata

RESULTS = ROOT / "bench" / "results"
#: A join of N rows from the endpoint (its items' triples, numbered) with this data's districts.
ROWS = """PREFIX hl: <https://w3id.org/hotline-kg/def/hotline#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT (COUNT(*) AS ?n) WHERE {{
  ?district a hl:District ; skos:exactMatch ?item .
  SERVICE <{endpoint}> {{ SELECT ?item ?k WHERE {{ ?item ?p ?o . FILTER (isIRI(?item)) VALUES ?k {{ {ks} }} }} }}
}}"""


def timed(url: str, query: str, runs: int) -> dict[str, float]:
    took = []
    for _ in range(runs):
        began = time.perf_counter()
        r = httpx.post(url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60)
        took.append((time.perf_counter() - began) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
    return {"median_ms": round(statistics.median(took), 2), "p95_ms": round(sorted(took)[int(len(took) * 0.95) - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    wd_port, ox_port, ours_port = free_port(), free_port(), free_port()
    local.load_oxigraph(work / "wd", [fictional_wikidata(work / "wikidata.ttl")])
    local.load_oxigraph(work / "data", [ROOT / "dist" / "hotline.nq.gz"])
    wd = subprocess.Popen(local.oxigraph_command(work / "wd", "127.0.0.1", wd_port, 30), stdout=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{wd_port}/query"
    native = Server(
        "oxigraph (its own SERVICE)",
        local.oxigraph_command(work / "data", "127.0.0.1", ox_port, 30),
        f"http://127.0.0.1:{ox_port}/query",
    )
    ours = Server(
        "hotline-kg (SERVICE as VALUES)",
        [
            str(ROOT / ".venv/bin/hotline-kg"),
            "serve",
            "--port",
            str(ours_port),
            "--allow-service",
            endpoint,
            *NO_CLIENT_LIMITS,
        ],
        f"http://127.0.0.1:{ours_port}/sparql",
    )
    local.wait_for_port(wd_port, wd, 60)
    example = (ROOT / "queries" / "15-requests-per-10000-residents.rq").read_text(encoding="utf-8")
    example = example.replace("https://query.wikidata.org/sparql", endpoint)
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for server in (native, ours):
            server.start()
            try:
                results[server.name] = {"example 15": timed(server.url, example, args.runs)}
                for n in (1, 10, 50, 120):
                    ks = " ".join(str(k) for k in range(n))
                    rows = 80 * n  # the items' 80 triples, each numbered n times
                    query = ROWS.format(endpoint=endpoint, ks=ks)
                    results[server.name][f"{rows} rows from the endpoint"] = timed(server.url, query, args.runs)
            finally:
                server.stop()
    finally:
        wd.terminate()
    lines = [
        "# SERVICE: the wrapper's VALUES against an engine's own call",
        "",
        f"{time.strftime('%Y-%m-%d')} · `python bench/federation.py --runs {args.runs}` · two cores · the endpoint: a "
        "local Oxigraph server with the fictional Wikidata-shaped graph of tests/test_federation.py",
        "",
        "Median / p95 of each query, ms (the Oxigraph server calls the endpoint itself; the wrapper calls it, "
        "puts the solutions in as VALUES, and the embedded store answers).",
        "",
        "| query | " + " | ".join(results) + " | ratio |",
        "|---|" + "---|" * (len(results) + 1),
    ]
    names = list(results)
    for key in results[names[0]]:
        a, b = results[names[0]][key], results[names[1]][key]
        lines.append(
            f"| {key} | {a['median_ms']} / {a['p95_ms']} | {b['median_ms']} / {b['p95_ms']} | "
            f"{a['median_ms'] / b['median_ms']:.2f} |"
        )
    lines += ["", "ratio: the engine's own call's median over the wrapper's (above 1: the wrapper is faster)."]
    (RESULTS / "federation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
