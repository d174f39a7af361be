"""The long fuzz run: many generated requests against a real server, from parallel clients.

    python bench/fuzz.py [--requests 100000] [--clients 4] [--dist dist] [--url URL] [--out bench/results/fuzz.md]

Starts `hotline-kg serve` over ``--dist`` with small limits (``--timeout 2 --workers 2``), unless
``--url`` names a server already running, and sends it ``--requests`` requests made by the
strategies of ``tests/sparql_strategies.py`` (SPARQL from the grammar, valid and nearly valid,
inside raw protocol requests: odd methods, paths, headers, Accept and Content-Type values,
encodings, bodies, repeated parameters), plus malformed request heads now and then. Every answer
must be a 2xx, 3xx or 4xx (or a 503 saying the query ran out of time or the workers were busy),
arrive within the deadline, and leave the server up (a health query after any connection closed
without an answer). Writes the count, the status histogram, the duration and every finding, with
the shortest request that showed it, to ``--out``; exits 1 if there was any finding.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import sparql_strategies as ss  # noqa: E402

#: Server limits the run uses (small, so the time limit and the busy answer are exercised).
TIMEOUT = 2
WORKERS = 2


@dataclass
class Finding:
    kind: str
    count: int = 0
    shortest: bytes = b""
    answer: str = ""


@dataclass
class Tally:
    sent: int = 0
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    time_limit_503: int = 0
    closed: int = 0
    slowest: float = 0
    findings: dict[str, Finding] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, data: bytes, reply: ss.Reply, problem: str | None) -> None:
        with self.lock:
            self.sent += 1
            self.statuses[str(reply.status) if reply.status else "no response"] += 1
            self.slowest = max(self.slowest, reply.seconds)
            if reply.status == 503 and problem is None:
                self.time_limit_503 += 1
            if reply.status is None and problem is None:
                self.closed += 1
            if problem:
                found = self.findings.setdefault(_key(problem), Finding(problem))
                found.count += 1
                if not found.shortest or len(data) < len(found.shortest):
                    found.shortest, found.answer = (
                        data,
                        (reply.head[:200] + b"\n\n" + reply.body[:300]).decode("latin-1"),
                    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`hotline-kg serve` over a build, restarted if it dies."""

    def __init__(self, dist: Path, extra: list[str]) -> None:
        self.dist, self.extra = dist, extra
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="fuzz-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = -1

    def start(self) -> None:
        limits = ["--timeout", str(TIMEOUT), "--workers", str(WORKERS), "--store", "memory"]
        try:
            self.proc = ss.serve(self.dist, self.port, Path(self.log.name), *limits, *self.extra)
        except RuntimeError as err:
            raise SystemExit(str(err)) from err
        self.restarts += 1

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def tracebacks(self) -> list[str]:
        text = Path(self.log.name).read_text(errors="replace")
        return [t.strip().splitlines()[-1] for t in text.split("Traceback (most recent call last):")[1:] if t.strip()]


def items(texts: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[bytes, bool]]:
    """What a client sends: a generated request, or (one in twenty) a malformed head."""
    generated = ss.requests(texts).map(lambda r: (r.wire(), False))
    malformed = st.sampled_from(ss.MALFORMED).map(lambda b: (b, True))
    return st.one_of(generated, generated, generated, generated, generated, generated, generated, generated,
                     generated, generated, generated, generated, generated, generated, generated, generated,
                     generated, generated, generated, malformed)  # fmt: skip


def run(host: str, port: int, total: int, clients: int, tally: Tally, server: Server | None, run_seed: int) -> None:
    work: queue.Queue[tuple[bytes, bool] | None] = queue.Queue(maxsize=clients * 8)
    deadline = 2 * TIMEOUT + 8  # a wait for a worker (up to the limit), the query (up to it), and margin
    down = threading.Lock()

    def client() -> None:
        while (item := work.get()) is not None:
            data, malformed = item
            reply = ss.send(host, port, data, deadline + 5)
            problem = ss.verdict(data, reply, deadline)
            if reply.status is None and problem and (problem.startswith("no response") or malformed):
                problem = None  # closing (or keeping) the connection of a bad request is fine, if the server stays up
            if (reply.status is None or problem) and not ss.healthy(host, port, deadline):
                problem = "the server stopped answering" + (f" after: {problem}" if problem else "")
                with down:
                    if server and not ss.healthy(host, port, 5):
                        server.stop()
                        server.start()
            tally.note(data, reply, problem)
            if malformed is False and tally.sent % 5000 == 0:
                print(f"{tally.sent} requests, {len(tally.findings)} findings", flush=True)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()

    @seed(run_seed)
    @settings(
        max_examples=total,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(items(ss.sparql_texts))
    def generate(item: tuple[bytes, bool]) -> None:
        work.put(item)

    generate()
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()


def _key(problem: str) -> str:
    return re.sub(r"\d+", "N", problem)[:90]


def _simpler(data: bytes) -> list[bytes]:
    """Requests a little simpler than ``data``: a header line, a query-string parameter or the body
    left out (the Content-Length put right)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return []
    lines = head.split(b"\r\n")
    out = []
    for i in range(1, len(lines)):
        if not lines[i].lower().startswith((b"host:", b"connection:")):
            out.append(b"\r\n".join(lines[:i] + lines[i + 1 :]) + sep + body)
    parts = lines[0].split(b" ")
    if len(parts) == 3 and b"?" in parts[1]:
        path, _, query = parts[1].partition(b"?")
        params = query.split(b"&")
        for i in range(len(params)):
            target = path + (b"?" + b"&".join(params[:i] + params[i + 1 :]) if len(params) > 1 else b"")
            out.append(b" ".join([parts[0], target, parts[2]]) + b"\r\n" + b"\r\n".join(lines[1:]) + sep + body)
    if body:
        kept = [x for x in lines if not x.lower().startswith((b"content-length:", b"transfer-encoding:"))]
        out.append(b"\r\n".join(kept) + sep)
    return out


def shrink(host: str, port: int, finding: Finding, deadline: float, tries: int = 200) -> None:
    """Make a finding's reproducer as small as it goes while it still shows the same problem."""
    want = _key(finding.kind)
    current = finding.shortest
    improved = True
    while improved and tries > 0:
        improved = False
        for candidate in sorted(_simpler(current), key=len):
            tries -= 1
            reply = ss.send(host, port, candidate, deadline + 5)
            problem = ss.verdict(candidate, reply, deadline)
            if problem and _key(problem) == want:
                current, improved = candidate, True
                finding.answer = (reply.head[:200] + b"\n\n" + reply.body[:300]).decode("latin-1")
                break
            if tries <= 0:
                break
    finding.shortest = current


def report(tally: Tally, seconds: float, args: argparse.Namespace, server: Server | None) -> str:
    lines = [
        "# Fuzzing the server",
        "",
        f"`python bench/fuzz.py --requests {args.requests} --clients {args.clients} --seed {args.seed}`, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, against `hotline-kg serve --timeout {TIMEOUT} "
        f"--workers {WORKERS} --store memory` over `{args.dist}`"
        + (" (a server at " + args.url + ")" if args.url else "")
        + ".",
        "",
        "Requests come from `tests/sparql_strategies.py`: SPARQL built from the grammar over the dataset's",
        "vocabulary (valid, and nearly valid: tokens dropped, repeated, swapped, cut short, SERVICE / LOAD /",
        "updates / foreign FROM injected, deep nesting, bad escapes) inside raw HTTP requests (odd methods and",
        "paths, Accept and Content-Type values, body encodings and Content-Encoding, repeated and broken",
        "parameters), plus one in twenty a malformed request head; each goes out byte for byte on its own",
        "connection.",
        "",
        "| | |",
        "|---|---|",
        f"| requests | {tally.sent} |",
        f"| duration | {seconds:.0f} s ({tally.sent / max(seconds, 1):.0f} requests/s, {args.clients} clients) |",
        f"| findings | {sum(f.count for f in tally.findings.values())} requests, {len(tally.findings)} kinds |",
        f"| 503 for the time limit or busy workers (allowed) | {tally.time_limit_503} |",
        f"| connections closed without an answer, server still up (allowed) | {tally.closed} |",
        f"| slowest answer | {tally.slowest:.2f} s |",
    ]
    if server:
        lines.append(f"| server restarts | {server.restarts} |")
    lines += ["", "## Status codes", "", "| status | requests |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(tally.statuses.items())]
    lines += ["", "## Findings", ""]
    if not tally.findings:
        lines.append("None: no 5xx (but 503 for the time limit), no hang, the server stayed up.")
    for f in sorted(tally.findings.values(), key=lambda f: -f.count):
        lines += [
            f"### {f.kind}",
            "",
            f"{f.count} requests; the shortest, made smaller by leaving out what did not matter:",
            "",
            "```python",
            repr(f.shortest)[:2000],
        ]
        lines += ["```", "", "answered:", "", "```", f.answer.strip()[:600], "```", ""]
    if server:
        errors = collections.Counter(server.tracebacks())
        lines += ["", "## Tracebacks in the server's log", ""]
        lines += [f"- {n} × `{e}`" for e, n in errors.most_common(20)] or ["None."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--url", help="fuzz this running server instead of starting one")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.md")
    args = parser.parse_args()
    server = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        server = Server(args.dist, [])
        server.start()
        host, port = "127.0.0.1", server.port
    tally = Tally()
    started = time.monotonic()
    try:
        run(host, port, args.requests, args.clients, tally, server, args.seed)
        for finding in tally.findings.values():
            if "stopped answering" not in finding.kind:
                shrink(host, port, finding, 2 * TIMEOUT + 8)
        if not ss.healthy(host, port, 10):
            tally.findings["down"] = Finding("the server does not answer at the end of the run", 1)
    finally:
        seconds = time.monotonic() - started
        text = report(tally, seconds, args, server)
        if server:
            server.stop()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(f"{tally.sent} requests in {seconds:.0f} s, {len(tally.findings)} kinds of finding; see {args.out}")
    return 1 if tally.findings else 0


if __name__ == "__main__":
    sys.exit(main())
