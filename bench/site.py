"""The static site, measured: its size and how long `hotline-kg site` takes, the weight of each kind
of page, SPARQL and search in the browser (cold and warm), pages from nginx against
`hotline-kg serve` at 8 clients in the same run, and the in-browser store at larger sizes.

    python bench/site.py [--cubes 10k,30k,100k] [--seconds 10]

Needs what `make test` needs (nginx, wrk, Chromium, node with tests/js and web installed). The
cubes are made by bench/generate.py into .venv-bench/ (once). For each cube, the real site is
served with its dump replaced by the cube: the query page loads it into Oxigraph (WebAssembly)
as a reader's browser would, and the time and memory it takes say where the static site should
send its readers to a server instead. Results: bench/results/site.md and site.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from run import NO_CLIENT_LIMITS, ROOT, Server, free_port

from balancer import Nginx

RESULTS = ROOT / "bench" / "results"
CUBES = {"10k": 10_000, "30k": 30_000, "100k": 100_000}
#: The pages whose weight and throughput are measured, by kind.
PAGES = {
    "home": "/",
    "district": "/id/district/110105",
    "year": "/id/year/2024",
    "observation": "/id/obs/2024/topic/2024/travel-agency-management/requests/2024",
    "ontology": "/def/hotline",
    "query": "/query",
    "search": "/search",
}
#: What each kind of page loads besides its HTML (the query page's worker and WebAssembly come
#: with the first query; the search page's index with its first search).
ASSETS = {
    "query": ["/static/site.css", "/static/query.css", "/static/query.js", "/static/dom.js"],
    "search": ["/static/site.css", "/static/search.js", "/static/dom.js", "/static/search-index.js"],
}
ON_FIRST_USE = {
    "query": ["/static/sparql-worker.js", "/static/oxigraph/web.js", "/static/oxigraph/web_bg.wasm"],
    "search": ["/search-index.json"],
}
#: The query the browser is timed with: the first example (the top categories of a year).
QUERY = sorted((ROOT / "queries").glob("*.rq"))[0]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def file_of(site: Path, path: str) -> Path:
    inner = path.strip("/")
    found = site / inner
    return found if found.is_file() else site / inner / "index.html"


def write_site(dist: Path, out: Path) -> dict[str, object]:
    began = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv/bin/hotline-kg"), "site", "--dist", str(dist), "--site-dir", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    seconds = time.perf_counter() - began
    files = [p for p in out.rglob("*") if p.is_file()]

    def part(test: object) -> dict[str, int]:
        chosen = [p for p in files if test(p.relative_to(out).as_posix())]  # type: ignore[operator]
        return {"files": len(chosen), "bytes": sum(p.stat().st_size for p in chosen)}

    twins = (".ttl", ".jsonld", ".nt", ".rdf", ".json", ".csv")
    parts = {
        "pages (HTML)": part(lambda r: r.endswith(".html") and not r.startswith("p/")),
        "later pages and filters (p/)": part(lambda r: r.startswith("p/")),
        "twins (RDF, JSON, CSV)": part(lambda r: r.startswith(("id/", "def/")) and r.endswith(twins)),
        "dumps": part(lambda r: r.startswith("dumps/")),
        "Oxigraph (WebAssembly, JS)": part(lambda r: r.startswith("static/oxigraph/")),
        "scripts and styles": part(lambda r: r.startswith("static/") and not r.startswith("static/oxigraph/")),
        "search index": part(lambda r: r == "search-index.json"),
    }
    return {
        "seconds": round(seconds, 1),
        "line": done.stdout.strip().splitlines()[0],
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "parts": parts,
    }


def weights(site: Path) -> dict[str, dict[str, int]]:
    out = {}
    for kind, path in PAGES.items():
        html = file_of(site, path).read_bytes()
        assets = [file_of(site, a).read_bytes() for a in ASSETS.get(kind, ["/static/site.css"])]
        later = [file_of(site, a).read_bytes() for a in ON_FIRST_USE.get(kind, [])]
        out[kind] = {
            "html": len(html),
            "html_gz": gz(html),
            "with_assets": len(html) + sum(map(len, assets)),
            "with_assets_gz": gz(html) + sum(map(gz, assets)),
            "on_first_use": sum(map(len, later)),
            "on_first_use_gz": sum(map(gz, later)),
        }
    return out


def wrk(url: str, seconds: int) -> dict[str, float]:
    done = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", done)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "rps": rate,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p50_ms": round(float(p50.group(1)) * scale[p50.group(2)], 3) if p50 else 0.0,
    }


def browser(url: str) -> dict[str, object]:
    done = subprocess.run(
        ["node", str(ROOT / "bench" / "site_browser.mjs"), url, QUERY.read_text(encoding="utf-8")],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def cube(size: str, dist: Path) -> Path:
    path = ROOT / ".venv-bench" / f"synthetic-{size}.nq.gz"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                str(dist / "hotline.nq.gz"),
                str(CUBES[size]),
                "-o",
                str(path),
            ],
            check=True,
        )
    return path


def with_dump(site: Path, dump: Path, folder: Path) -> Path:
    """The site, its dump replaced by ``dump`` (links to the rest: nothing copied)."""
    folder.mkdir()
    for entry in site.iterdir():
        if entry.name != "dumps":
            (folder / entry.name).symlink_to(entry)
    (folder / "dumps").mkdir()
    (folder / "dumps" / "hotline.nq.gz").symlink_to(dump.resolve())
    return folder


def served_by_nginx(site: Path, folder: Path) -> Nginx:
    """nginx with the configuration the site holds, serving ``site`` (a copy made of links too)."""
    conf = (site / "_hosting" / "nginx.conf").read_text()
    conf = re.sub(r"(?m)^    root .*;$", f"    root {site};", conf)
    folder.mkdir()
    server = Nginx(conf, folder, "listen 8080;")
    server.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--cubes", default="10k,30k,100k")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    try:
        site = work / "site"
        result: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "written": write_site(args.dist, site)}
        result["weights"] = weights(site)
        nginx = served_by_nginx(site, work / "nginx")
        port = free_port()
        server = Server(
            "hotline-kg",
            [
                str(ROOT / ".venv/bin/hotline-kg"),
                "serve",
                "--dist",
                str(args.dist),
                "--port",
                str(port),
                *NO_CLIENT_LIMITS,
            ],
            f"http://127.0.0.1:{port}/sparql",
        )
        server.start()
        try:
            result["browser"] = browser(nginx.url)
            rates = {}
            for kind, path in PAGES.items():
                rates[kind] = {
                    "nginx": wrk(nginx.url + path, args.seconds),
                    "hotline-kg serve": wrk(f"http://127.0.0.1:{port}{path}", args.seconds),
                }
            result["rates"] = rates
        finally:
            server.stop()
            nginx.stop()
        sizes = {}
        for size in [s for s in args.cubes.split(",") if s]:
            dump = cube(size, args.dist)
            big = with_dump(site, dump, work / f"site-{size}")
            server_of = served_by_nginx(big, work / f"nginx-{size}")
            try:
                sizes[size] = {"dump_bytes": dump.stat().st_size, **browser(server_of.url)}
            finally:
                server_of.stop()
        result["cubes"] = sizes
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (RESULTS / "site.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / "site.md").write_text(report(result))
    print(report(result))


def kb(n: object) -> str:
    return f"{int(n) / 1024:.1f} kB"  # type: ignore[call-overload]


def mb(n: object) -> str:
    return f"{int(n) / 2**20:.1f} MB"  # type: ignore[call-overload]


def report(r: dict[str, object]) -> str:
    w = r["written"]
    assert isinstance(w, dict)
    lines = [
        "# The static site",
        "",
        f"{r['date']} · `python bench/site.py` · two cores · the real build (`dist/`)",
        "",
        f"## Written: `hotline-kg site` in {w['seconds']} s",
        "",
        f"{w['files']} files, {mb(w['bytes'])} (`{w['line']}`)",
        "",
        "| part | files | size |",
        "|---|---|---|",
        *(f"| {name} | {p['files']} | {mb(p['bytes'])} |" for name, p in w["parts"].items()),
        "",
        "## Page weights",
        "",
        "The page's HTML, then with what it loads (styles, scripts), then what it loads on first use",
        "(the query page: the worker and Oxigraph's WebAssembly with the first query, then the dump;",
        "the search page: the index with the first search). Raw / gzipped.",
        "",
        "| page | HTML | with styles and scripts | on first use |",
        "|---|---|---|---|",
    ]
    weights_ = r["weights"]
    assert isinstance(weights_, dict)
    for kind, x in weights_.items():
        lines.append(
            f"| {kind} | {kb(x['html'])} / {kb(x['html_gz'])} | {kb(x['with_assets'])} / {kb(x['with_assets_gz'])} | "
            + (f"{kb(x['on_first_use'])} / {kb(x['on_first_use_gz'])} |" if x["on_first_use"] else "– |")
        )
    b = r["browser"]
    assert isinstance(b, dict)
    lines += [
        "",
        "## SPARQL and search in the browser (Chromium, headless, the site behind nginx)",
        "",
        f"The first example query (`{QUERY.name}`):",
        "",
        f"- cold, a new browser: **{b.get('cold_ms')} ms** to its answer, of which {b.get('load_ms')} ms loading "
        f"{b.get('quads')} quads (the dump and its copy as the default graph) into "
        f"{mb(b.get('memory', 0))} of WebAssembly memory;",
        f"- warm, the same query again: **{b.get('warm_ms')} ms**;",
        f"- after a reload (the HTTP cache warm, the store loaded again): {b.get('reload_ms')} ms "
        f"({b.get('reload_load_ms')} ms loading);",
        f"- the search page, cold, to its first results for `chaoyang`: {b.get('search_cold_ms')} ms.",
        "",
        "## Pages per second at 8 clients: nginx (the static site) vs `hotline-kg serve`",
        "",
        "`wrk -t2 -c8`, the same machine, one after the other in the same run (the server without its",
        "per-client limits, which one address at this rate would meet).",
        "",
        "| page | nginx | hotline-kg serve | ratio | p50 nginx | p50 serve |",
        "|---|---|---|---|---|---|",
    ]
    rates = r["rates"]
    assert isinstance(rates, dict)
    for kind, x in rates.items():
        n, s = x["nginx"], x["hotline-kg serve"]
        bad = " (non-2xx!)" if n["non_2xx"] or s["non_2xx"] else ""
        lines.append(
            f"| {kind} | {n['rps']:.0f} | {s['rps']:.0f} | {n['rps'] / s['rps']:.0f}× | {n['p50_ms']} ms | "
            f"{s['p50_ms']} ms{bad} |"
        )
    lines += [
        "",
        "## Larger data in the browser",
        "",
        "The site with its dump replaced by a cube of `bench/generate.py` (the real graph and N more",
        "observations), the first example query cold, as above.",
        "",
        "| observations added | dump (gzipped) | quads loaded | load | first answer (cold) | same query again "
        "| WebAssembly memory |",
        "|---|---|---|---|---|---|---|",
    ]
    cubes = r["cubes"]
    assert isinstance(cubes, dict)
    for size, x in cubes.items():
        if "error" in x:
            lines.append(f"| {size} | {mb(x['dump_bytes'])} | failed: {x['error']} | | | | |")
        else:
            lines.append(
                f"| {size} | {mb(x['dump_bytes'])} | {x['quads']} | {x['load_ms'] / 1000:.1f} s | "
                f"{x['cold_ms'] / 1000:.1f} s | {x['warm_ms']} ms | {mb(x['memory'])} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
