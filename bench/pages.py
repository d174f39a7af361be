"""Pages at any size: the latency and weight of each kind of page, and how the server starts.

    python bench/pages.py --label after [--sizes real,100k,1m] [--requests 20]

For each size, starts `hotline-kg serve` (every limit on but the per-client ones, as in
``run.py``): over ``dist/`` for the real size, and over the cubes ``bench/generate.py`` makes from
the build with 100 000 and 1 000 000 observations (``--data``, the store where ``auto`` puts it;
made once into .venv-bench/). It records the seconds until the server answers and the peak
memory of its process tree (proportional set size, sampled from the start: the load and the
start-up queries count), then fetches each page of ``PAGES`` once (cold: the first fetch since
the start) and ``--requests`` times more (warm): p50 and p95 latency, status and weight (bytes of
the body, uncompressed).

Results go to bench/results/pages.json, one entry per label and size (a run replaces its own),
and bench/results/pages.md, a table per size with every label side by side (``--label before
--code WORKTREE`` on the old code, ``--label after`` on the new: the same table before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import NO_CLIENT_LIMITS, ROOT, Server, free_port

CUBES = {"100k": 100_000, "1m": 1_000_000}
#: One page of each kind, by path; those of the real data, which every cube holds too.
PAGES = {
    "home": "/",
    "district": "/id/district/110105",
    "district .json": "/id/district/110105.json",
    "district .csv": "/id/district/110105.csv",
    "category": "/id/category/market-management",
    "subcategory": "/id/category/urban-and-rural-construction/unauthorised-structures",
    "year": "/id/year/2024",
    "report": "/id/report/2024",
    "dataset": "/id/dataset/2024",
    "topic": "/id/topic/2024/travel-agency-management",
    "handler": "/id/handler/bus-company",
    "measure": "/id/measure/requests",
    "unit": "/id/unit/xiang",
    "hotline": "/id/hotline/beijing-12345-citizen-service-hotline",
    "observation": "/id/obs/2024/topic/2024/travel-agency-management/requests/2024",
    "ontology": "/def/hotline",
    "search": "/search?q=chaoyang",
}
RESULTS = ROOT / "bench" / "results"


def cube(size: str) -> Path:
    """The cube of ``size`` observations, made once from the build."""
    path = ROOT / ".venv-bench" / f"synthetic-{size}.nq.gz"  # the real data in its graphs (the vocabulary's …)
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        source = ROOT / "dist" / "hotline.nq.gz"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py"), str(source), str(CUBES[size]), "-o", str(path)],
            check=True,
        )
    return path


def server(size: str, port: int, code: Path, kept: Path | None = None) -> Server:
    command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--port", str(port), *NO_CLIENT_LIMITS]
    if size == "real":
        command += ["--dist", str(ROOT / "dist")]
    else:
        command += ["--data", str(cube(size)), "--dist", str(Path(tempfile.gettempdir()) / "no-dist")]
    if kept is not None:
        command += ["--store-dir", str(kept)]
    env = {"PYTHONPATH": str(code / "src")}  # the code served: this tree's, or another's (--code)
    return Server("hotline-kg", command, f"http://127.0.0.1:{port}/sparql", env, watch_load=True)


def fetch(client: httpx.Client, url: str) -> tuple[float, int, int]:
    """Seconds, status and body size of one GET."""
    started = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - started, response.status_code, len(response.content)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(size: str, requests: int, timeout: float, code: Path, kept: bool) -> dict[str, object]:
    """One size: the start (with ``kept``, a first start that loads the store into a --store-dir,
    then the start that finds it there), and each page on the last."""
    port = free_port()
    first: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        if kept:
            loading = server(size, port, code, Path(folder))
            first = {"ready_first_s": loading.start(START_WAIT), "peak_first_mb": loading.peak_kb / 1024}
            loading.stop()
        return first | _measure(server(size, port, code, Path(folder) if kept else None), port, size, requests, timeout)


#: Seconds a server may take to be ready (a first start at a million observations loads ~17M quads).
START_WAIT = 900


def _measure(running: Server, port: int, size: str, requests: int, timeout: float) -> dict[str, object]:
    ready = running.start(START_WAIT)
    pages: dict[str, dict[str, object]] = {}
    try:
        with httpx.Client(timeout=timeout, base_url=f"http://127.0.0.1:{port}") as client:
            for name, path in PAGES.items():
                cold, status, weight = fetch(client, path)
                warm = [fetch(client, path)[0] for _ in range(requests)]
                pages[name] = {
                    "path": path,
                    "status": status,
                    "bytes": weight,
                    "cold_ms": cold * 1000,
                    "p50_ms": statistics.median(warm) * 1000,
                    "p95_ms": percentile(warm, 0.95) * 1000,
                }
                print(f"{size} {name}: {status} {weight} B, cold {cold * 1000:.0f} ms", flush=True)
            found = client.get("/search.json", params={"q": "chaoyang"}).json()
            finds = any("朝阳区" in (hit.get("label_zh") or "") for hit in found.get("results", []))
    finally:
        running.stop()
    return {"ready_s": ready, "peak_memory_mb": running.peak_kb / 1024, "search_finds_chaoyang": finds, "pages": pages}


def report(results: dict[str, dict[str, dict[str, object]]]) -> str:
    labels = list(results)
    lines = [
        "# Pages at any size",
        "",
        "`python bench/pages.py` (`make bench-pages`): each page fetched once after the start (cold), then "
        "`--requests` times (warm: 20 unless the run says); p50 / p95 of the warm fetches, ms; weight of the "
        "body, kB (uncompressed). Ready: "
        "seconds until the server answers; peak: memory of its process tree from the start (PSS).",
        "",
    ]
    sizes = [s for s in ("real", *CUBES) if any(s in results[label] for label in labels)]
    for size in sizes:
        runs = {label: results[label][size] for label in labels if size in results[label]}
        lines += [f"## {size}", ""]
        for label, run in runs.items():
            meta: dict[str, object] = run["meta"]  # type: ignore[assignment]
            when = f"{meta['date']}, {meta['commit']}, {meta['cores']} cores, {meta.get('requests', 20)} warm fetches"
            finds = "yes" if run["search_finds_chaoyang"] else "no"
            started = f"ready {run['ready_s']:.1f} s, peak {run['peak_memory_mb']:.0f} MB"
            if "ready_first_s" in run:  # a first start into --store-dir, then the start that found the store
                started = (
                    f"first start (loads the store into --store-dir) ready {run['ready_first_s']:.1f} s, peak "
                    f"{run['peak_first_mb']:.0f} MB; next start (finds it there) {started}"
                )
            lines.append(f'- **{label}** ({when}): {started}, search finds 朝阳区 by "chaoyang": {finds}')
        lines += ["", "| page | " + " | ".join(f"{label}: status · cold · p50 / p95 ms · kB" for label in runs) + " |"]
        lines.append("|---|" + "---|" * len(runs))
        for name in PAGES:
            cells = []
            for run in runs.values():
                page = run["pages"].get(name)  # type: ignore[union-attr]
                if page is None:
                    cells.append("–")
                    continue
                cells.append(
                    f"{page['status']} · {page['cold_ms']:.0f} · {page['p50_ms']:.0f} / {page['p95_ms']:.0f} · "
                    f"{page['bytes'] / 1000:.0f}"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", required=True)
    parser.add_argument("--sizes", default="real,100k,1m")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="serve this tree's code (a git worktree of an older commit)"
    )
    parser.add_argument(
        "--store-dir", action="store_true", help="cubes: start twice over a --store-dir (the first loads it)"
    )
    args = parser.parse_args()
    store = RESULTS / "pages.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=args.code)
    for size in args.sizes.split(","):
        run = measure(size, args.requests, args.timeout, args.code, args.store_dir and size != "real")
        run["meta"] = {
            "date": time.strftime("%Y-%m-%d"),
            "commit": commit.stdout.strip(),
            "cores": os.cpu_count(),
            "requests": args.requests,
        }
        results.setdefault(args.label, {})[size] = run
        store.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / "pages.md").write_text(report(results) + "\n", encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
