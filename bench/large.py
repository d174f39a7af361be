"""A large synthetic cube served by hotline-kg alone: time until it answers, memory, a few queries.

    python bench/large.py DUMP.nt.gz --label synthetic-1m [--store-dir DIR]

Starts ``hotline-kg serve --data DUMP`` (every limit on but the per-client ones, off as in
``run.py``; the store goes where ``auto`` puts it),
and records: seconds until the first answer, peak and settled memory (proportional set size of
the server's process tree, sampled every 0.1 s from the start, so the load counts), and the
median latency of each example query (``Cache-Control: no-cache``). With ``--store-dir``, it
starts the server twice over the same folder, to time a restart that finds the store already
built. Results go to bench/results/<label>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import NO_CLIENT_LIMITS, ROOT, Server, ask, free_port, queries, tree_pss_kb


def serve(dump: Path, port: int, store_dir: Path | None) -> Server:
    command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--data", str(dump), "--port", str(port)]
    command += ["--dist", str(Path(tempfile.gettempdir()) / "no-dist"), *NO_CLIENT_LIMITS]
    env = {"HOTLINE_KG_STORE_DIR": str(store_dir)} if store_dir else None
    return Server("hotline-kg", command, f"http://127.0.0.1:{port}/sparql", env, watch_load=True)


def measure(server: Server, qs: dict[str, str], n: int, timeout: float) -> dict[str, object]:
    ready = server.start()
    try:
        time.sleep(2)
        assert server.proc is not None
        settled = tree_pss_kb(server.proc.pid) / 1024
        latency: dict[str, object] = {}
        with httpx.Client(timeout=timeout) as client:
            for name, query in qs.items():
                try:
                    ask(client, server.url, query)
                    times = sorted(ask(client, server.url, query) for _ in range(n))
                    latency[name] = {"median_ms": statistics.median(times) * 1000}
                except (RuntimeError, httpx.HTTPError) as err:
                    latency[name] = {"error": str(err)[:200]}
    finally:
        server.stop()
    return {"ready_s": ready, "settled_memory_mb": settled, "peak_memory_mb": server.peak_kb / 1024, "latency": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--label", required=True)
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--store-dir", type=Path, help="also time a restart over a store kept here")
    args = parser.parse_args()
    qs = queries()
    runs = {"first start": measure(serve(args.dump, free_port(), args.store_dir), qs, args.requests, args.timeout)}
    if args.store_dir:
        runs["restart, store kept"] = measure(serve(args.dump, free_port(), args.store_dir), qs, 1, args.timeout)
    meta = {
        "label": args.label,
        "dump": args.dump.name,
        "dump_mb": round(args.dump.stat().st_size / 2**20, 1),
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
    }
    out = ROOT / "bench" / "results"
    (out / f"{args.label}.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=1) + "\n")
    lines = [
        f"# Large cube {args.label} ({meta['dump']}, {meta['dump_mb']} MB gzipped, {meta['date']}, "
        f"{meta['cores']} cores)",
        "",
        "hotline-kg alone, every limit on but the per-client ones (`--client-rate 0 --client-queries 0`, "
        "as in the comparison with the peers), the store where `auto` puts it (on disk above 20 MB of input).",
        "",
        "| run | ready s | peak memory MB (PSS, load included) | settled memory MB |",
        "|---|---|---|---|",
    ]
    for name, run in runs.items():
        memory = f"{run['peak_memory_mb']:.0f} | {run['settled_memory_mb']:.0f}"
        lines.append(f"| {name} | {run['ready_s']:.1f} | {memory} |")
    lines += ["", "| query | median ms (first start) |", "|---|---|"]
    for name, result in runs["first start"]["latency"].items():  # type: ignore[union-attr]
        cell = f"{result['median_ms']:.1f}" if "median_ms" in result else result["error"]
        lines.append(f"| {name} | {cell} |")
    (out / f"{args.label}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
