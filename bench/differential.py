"""Engines checked against each other: the queries of ``tests/sparql_strategies.py`` (from the
grammar over the dataset's vocabulary, and nearly valid ones) sent through `hotline-kg serve`
over each engine behind it, loaded with the same build, and their answers compared.

    python bench/differential.py [--queries 20000] [--seed 0] [--dist dist] [--out bench/results/differential.md]

The embedded store (in memory) is the reference; the Oxigraph server and Virtuoso are compared
with it. An answer is compared as far as the query decides it (``decided``): in full; by its
number of rows (a LIMIT, SAMPLE, GROUP_CONCAT, RAND … leaves which rows or values open); or by
its status only (a subquery with a LIMIT, a DESCRIBE). Terms are compared as the W3C suites
compare them (``w3c_suite.compare``), with two allowances (``comparable``): an integer of a type
derived from xsd:integer as xsd:integer (Oxigraph stores it so), and decimals and doubles to 14
significant digits (Virtuoso divides decimals to 15).

Outcomes (``Difference.kind``): "wrong" (both answered 200 with different answers: must not
happen, unless ``KNOWN`` says why), "refused" (an engine answered 4xx where the reference
answered: a clear refusal, naming the engine), "accepted" (an engine answered a query the
reference refused), "failed" (a 5xx). Exit 1 on an unknown "wrong" or any "failed".
``tests/test_differential.py`` runs a few hundred derandomised queries in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
from rdflib import Graph, Literal
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import conformance  # noqa: E402
import w3c_suite as suite  # noqa: E402

import sparql_strategies as ss  # noqa: E402
from hotline_kg.frames import INTEGER_TYPES  # noqa: E402
from hotline_kg.server.query_text import blanked  # noqa: E402

ENGINES = ("oxigraph", "virtuoso")
REFERENCE = "memory"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Differences the wrapper does not mend, each with its reason: a pattern of the query's code (its
#: strings, IRIs and comments blanked) and the engine that differs from the reference.
KNOWN: dict[tuple[str, str], str] = {
    (r"(?<!\|)\|(?!\|)", "virtuoso"): (
        "a property path with alternatives (p|q): a pair joined by both is one solution in Oxigraph (the embedded "
        "store and the Oxigraph server; by design, oxigraph#351) and two in Virtuoso (SPARQL 1.1 evaluates an "
        "alternative as a Union; the W3C group has open issues on the multiplicity of path evaluation); the "
        "wrapper does not rewrite property paths"
    ),
}
#: What leaves the rows of an answer open (which rows, or their values), but not how many there are.
OPEN_RE = re.compile(r"\b(LIMIT|OFFSET|SAMPLE|GROUP_CONCAT|RAND|NOW|UUID|STRUUID|BNODE)\b", re.IGNORECASE)
SUBQUERY_RE = re.compile(r"\{\s*SELECT\b", re.IGNORECASE)
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


@dataclass(frozen=True)
class Reply:
    status: int
    answer: suite.Answer | None = None
    text: str = ""


@dataclass
class Difference:
    kind: str  # wrong, refused, accepted, failed
    engine: str
    query: str
    detail: str


@dataclass
class Tally:
    queries: int = 0
    compared: Counter[str] = field(default_factory=Counter)  # how far: full, rows, status
    statuses: Counter[str] = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)
    uncompared: Counter[str] = field(default_factory=Counter)  # per endpoint: cut short, or it had ended
    ended: dict[str, list[str]] = field(default_factory=dict)  # per endpoint: the batches it ended in


def decided(query: str) -> str:
    """How far the query decides its answer: "full", "rows" (how many) or "status".

    >>> decided("SELECT * { ?s ?p ?o }"), decided("SELECT * { ?s ?p ?o } LIMIT 2"), decided("DESCRIBE ?s")
    ('full', 'rows', 'status')
    """
    code = blanked(query)
    if re.search(r"\b(DESCRIBE|REDUCED)\b", code, re.IGNORECASE):
        return "status"  # REDUCED: any number of the duplicates may be left out
    if SUBQUERY_RE.search(code) and re.search(r"\b(LIMIT|OFFSET|SAMPLE|RAND)\b", code, re.IGNORECASE):
        return "status"
    return "rows" if OPEN_RE.search(code) else "full"


def ask(client: httpx.Client, url: str, query: str) -> Reply:
    """The endpoint's answer to a query (POSTed as a form), read as the W3C runner reads one."""
    try:
        response = client.post(url, data={"query": query}, headers={"Accept": ACCEPT})
    except httpx.HTTPError as err:
        return Reply(599, None, f"no answer: {err}")
    if response.status_code != 200:
        return Reply(response.status_code, None, response.text[:300])
    media = response.headers.get("content-type", "").split(";")[0].strip()
    try:
        return Reply(200, suite.parse_answer(media, response.content))
    except Exception as err:  # an answer the runner cannot read is a difference of its own
        return Reply(598, None, f"unreadable {media} answer: {err}")


def comparable(answer: suite.Answer) -> suite.Answer:
    """The answer with the allowances of the module docstring applied to its terms."""
    if answer.kind == "graph" and answer.graph is not None:
        graph = Graph()
        for s, p, o in answer.graph:
            graph.add((s, p, _comparable(o)))
        return suite.graph_answer(graph)
    if answer.kind != "solutions":
        return answer
    rows = tuple({name: _comparable(term) for name, term in row.items()} for row in answer.rows)
    return suite.Answer(kind=answer.kind, variables=answer.variables, rows=rows, ordered=answer.ordered)


def _comparable(term: Node) -> Node:
    if not isinstance(term, Literal) or term.datatype is None:
        return term
    datatype = str(term.datatype)
    try:
        if datatype in INTEGER_TYPES and datatype != XSD + "integer":
            return Literal(str(term), datatype=XSD + "integer", normalize=False)
        if datatype in (XSD + "decimal", XSD + "double", XSD + "float") and "INF" not in str(term):
            value = Decimal(str(term).strip())
            if value.is_finite() and value != 0:
                rounded = f"{+value.normalize():.13e}"
                return Literal(rounded, datatype=term.datatype, normalize=False)
    except (InvalidOperation, ValueError):
        pass
    return term


def differ(query: str, reference: Reply, other: Reply, engine: str) -> Difference | None:
    """The difference between the reference's reply and an engine's, if any."""
    if reference.status in CUT_SHORT or other.status in CUT_SHORT:
        return None  # a time limit, or an engine that ended: not an answer
    if other.status >= 500 and other.status not in (503, 504):
        return Difference("failed", engine, query, f"HTTP {other.status}: {other.text}")
    if reference.status != 200 and other.status != 200:
        return None
    if reference.status == 200 and other.status != 200:
        return Difference("refused", engine, query, f"HTTP {other.status}: {other.text}")
    if reference.status != 200:
        return Difference("accepted", engine, query, f"the reference answered HTTP {reference.status}")
    assert reference.answer is not None and other.answer is not None
    how = decided(query)
    if how == "status":
        return None
    want, got = comparable(reference.answer), comparable(other.answer)
    if how == "rows":
        if want.kind != got.kind or len(want.rows) != len(got.rows) or want.boolean != got.boolean:
            return Difference("wrong", engine, query, f"{len(want.rows)} rows, {engine} gave {len(got.rows)}")
        return None
    reason = suite.compare(want, got)
    return None if reason is None else Difference("wrong", engine, query, reason)


def known(difference: Difference) -> str | None:
    """Why a difference is known and left as it is, or None."""
    code = blanked(difference.query)
    for (pattern, engine), reason in KNOWN.items():
        if difference.kind == "wrong" and engine == difference.engine and re.search(pattern, code):
            return reason
    return None


class Endpoint:
    """An endpoint that can be started anew (``conformance.Starter``): its URL while it runs."""

    def __init__(self, start: conformance.Starter) -> None:
        self._start, self._stack = start, contextlib.ExitStack()
        self.url, self.alive = self._stack.enter_context(start())

    def restart(self) -> None:
        self.close()
        self._stack = contextlib.ExitStack()
        self.url, self.alive = self._stack.enter_context(self._start())

    def close(self) -> None:
        self._stack.close()


def compare_all(
    queries: list[str], endpoints: dict[str, Endpoint], tally: Tally, clients: int = 3, batch: int = 300
) -> None:
    """Each query through every endpoint; the differences from the reference into ``tally``. After
    each batch, an endpoint that has ended is started anew."""

    def one(query: str) -> dict[str, Reply]:
        with httpx.Client(timeout=60, trust_env=False) as client:
            replies = {name: ask(client, endpoint.url, query) for name, endpoint in endpoints.items()}
        tally.queries += 1
        tally.compared[decided(query)] += 1
        for name, reply in replies.items():
            tally.statuses[f"{name} {reply.status}"] += 1
        for engine in endpoints:
            if engine == REFERENCE:
                continue
            if {replies[REFERENCE].status, replies[engine].status} & CUT_SHORT:
                tally.uncompared[engine] += 1
            found = differ(query, replies[REFERENCE], replies[engine], engine)
            if found is not None:
                tally.differences.append(found)
        return replies

    with ThreadPoolExecutor(clients) as pool:
        for at in range(0, len(queries), batch):
            part = queries[at : at + batch]
            replies = list(pool.map(one, part))
            for name, endpoint in endpoints.items():
                if endpoint.alive():
                    continue
                lost = [q for q, r in zip(part, replies, strict=True) if r[name].status in CUT_SHORT | {599}]
                tally.ended.setdefault(name, []).append(min(lost, key=len) if lost else "(none unanswered)")
                endpoint.restart()


#: Statuses of an answer cut short (a time limit, or an engine that ended): not compared.
CUT_SHORT = {503, 504}


def generated(count: int, run_seed: int) -> list[str]:
    """``count`` queries from the strategies: valid from the grammar, and one in four nearly valid."""
    made: list[str] = []
    ss.each_example(ss.queries() | ss.queries() | ss.queries() | ss.mutated(), count, run_seed, made.append)
    return made


@contextlib.contextmanager
def endpoints(dist: Path, folder: Path) -> Iterator[dict[str, Endpoint]]:
    """The wrapper over the embedded store and over each remote engine, all loaded with ``dist``."""
    dump = dist / "hotline.nq.gz"
    serve = ["--dist", str(dist), "--queries", str(ROOT / "queries")]
    starters: dict[str, conformance.Starter] = {}
    embedded = folder / REFERENCE
    embedded.mkdir()
    starters[REFERENCE] = lambda: conformance.wrapper([*serve, "--store", "memory"], embedded)
    for engine in ENGINES:
        place = folder / engine
        place.mkdir()
        conformance.load(engine, dump, place / "db")
        starters[engine] = conformance.over(engine, place / "db", place, tuple(serve))
    started: dict[str, Endpoint] = {}
    try:
        for name, start in starters.items():
            started[name] = Endpoint(start)
        yield started
    finally:
        for endpoint in started.values():
            endpoint.close()


def printable(text: str) -> str:
    r"""The report with control characters (from generated queries and engines' errors) written as
    escapes, so that it stays text; line ends and tabs are kept.

    >>> printable("a\x00b\n")
    'a\\x00b\n'
    """
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def report(tally: Tally, seconds: float, run_seed: int) -> str:
    kinds = Counter((d.kind, d.engine) for d in tally.differences)
    lines = [
        "# Engines checked against each other",
        "",
        f"{dt.date.today().isoformat()} · `python bench/differential.py` · {tally.queries} queries from "
        f"`tests/sparql_strategies.py` (seed {run_seed}) · {seconds:.0f} s · reference: the embedded store",
        "",
        "Compared: " + ", ".join(f"{n} {how}" for how, n in sorted(tally.compared.items())) + " "
        "(full: the whole answer; rows: how many; status: only whether it was answered).",
        "",
        "| difference | " + " | ".join(ENGINES) + " |",
        "|---|" + "---|" * len(ENGINES),
    ]
    for kind in ("wrong", "refused", "accepted", "failed"):
        lines.append(f"| {kind} | " + " | ".join(str(kinds[kind, e]) for e in ENGINES) + " |")
    lines.append("| not compared (cut short) | " + " | ".join(str(tally.uncompared[e]) for e in ENGINES) + " |")
    lines += ["", "Statuses: " + ", ".join(f"{k}: {n}" for k, n in sorted(tally.statuses.items())), ""]
    for name, suspects in sorted(tally.ended.items()):
        lines.append(f"**{name} ended {len(suspects)}× and was started anew** (the shortest query of each batch it")
        lines.append("did not answer, with its PREFIX lines left out):")
        lines += [f"- `{PROLOGUE_RE.sub('', ' '.join(q.split()))[:300]}`" for q in suspects]
        lines.append("")
    for kind in ("wrong", "failed", "accepted", "refused"):
        found = [d for d in tally.differences if d.kind == kind]
        if not found:
            continue
        lines += [f"## {kind}: by reason, with the shortest query (its PREFIX lines left out)", ""]
        reasons: dict[tuple[str, str], list[Difference]] = {}
        for d in found:
            reasons.setdefault((d.engine, _reason(d.detail)), []).append(d)
        for (engine, reason), group in sorted(reasons.items(), key=lambda item: -len(item[1])):
            shortest = min(group, key=lambda d: len(d.query))
            why = known(shortest)
            lines.append(f"- **{engine}**, {len(group)}×: {reason}" + (f" (known: {why})" if why else ""))
            lines.append(f"  `{PROLOGUE_RE.sub('', ' '.join(shortest.query.split()))[:500]}`")
        lines.append("")
    return "\n".join(lines)


PROLOGUE_RE = re.compile(r"(PREFIX\s+[\w.-]*:\s*<[^>]*>\s*)+", re.IGNORECASE)


def _reason(detail: str) -> str:
    """A difference's reason without what varies from query to query (positions, names, numbers)."""
    reason = re.sub(r"error at \d+:\d+", "error at …", detail.splitlines()[0] if detail else "")
    reason = re.sub(r"Line \d+", "Line …", reason)
    reason = re.sub(r"\?\w+", "?v", reason)
    return re.sub(r"\d+ rows, (\w+) gave \d+", r"rows differ in number", reason)[:200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "differential.md")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the engines it started, as on Ctrl-C
    queries = generated(args.queries, args.seed)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, endpoints(args.dist, Path(folder)) as urls:
        compare_all(queries, urls, tally)
    args.out.write_text(printable(report(tally, time.monotonic() - started, args.seed)) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8")[:3000])
    bad = [d for d in tally.differences if d.kind == "failed" or (d.kind == "wrong" and known(d) is None)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
