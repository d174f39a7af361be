"""`make conformance`: the W3C SPARQL 1.0 and 1.1 query test suites, sent through `hotline-kg
serve` over the SPARQL Protocol, over each engine behind it; and, where the engine has an
endpoint of its own, to the engine alone, so that what the wrapper adds or takes away shows.

Every test's files go into one dataset, each file a named graph under its suite IRI
(``w3c_suite.file_iri``). A test names its dataset in the request, as a client of the Protocol
does: ``default-graph-uri`` for its ``qt:data`` files (an unknown graph when it has none: an
empty default graph) and ``named-graph-uri`` for its ``qt:graphData``; a query with FROM or
FROM NAMED names its own. Reading the manifests and comparing answers is ``w3c_suite``'s work.

Results: ``bench/results/conformance.md`` (passed, failed, refused and skipped per engine and
suite folder) and ``conformance.json`` (every test's outcome, with the difference or the
refusal). A test the wrapper refuses on purpose (SERVICE, a FROM that names no graph of the
dataset, an update, a limit) is "refused", with the reason the wrapper gave.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import multiprocessing.connection
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import w3c_suite as suite

from hotline_kg.server.engine import local
from hotline_kg.server.query_text import declares_base

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT.parent / "shared" / "w3c" / "rdf-tests-sparql"
RESULTS = ROOT / "bench" / "results"
#: The engines: the embedded store in memory and on disk, and the two remote engines.
ENGINES = ("memory", "disk", "oxigraph", "virtuoso")
#: The embedded engine's stores, and the column of pyoxigraph alone, their reference.
EMBEDDED, EMBEDDED_ALONE = ("memory", "disk"), "pyoxigraph alone"
#: The default graph of a test that has no data: a graph no file names, so an empty one.
EMPTY = "urn:x-hotline-kg:conformance:empty"
#: Refusals the wrapper makes on purpose, by a word of their reason: SERVICE, FROM, updates, limits,
#: and a query the engine behind it answers wrongly ("the engine behind this endpoint").
DELIBERATE = (
    "SERVICE",
    "FROM / FROM NAMED",
    "read-only",
    "time limit",
    "row limit",
    "rows",
    "the engine behind this endpoint",
)
TIMEOUT = 10
#: Seconds to compare an answer with the expected one.
COMPARE_SECONDS = 20


@dataclass(frozen=True)
class Outcome:
    """One test over one engine: passed, failed, refused (by the wrapper, on purpose) or skipped."""

    test: str
    folder: str
    status: str
    detail: str = ""


# --- the dataset -----------------------------------------------------------------------------------------


def dataset_files(tests: list[suite.Test]) -> dict[str, Path]:
    """Every file a test reads, by the IRI of the graph it goes into."""
    files: dict[str, Path] = {}
    for test in tests:
        files.update(zip(test.data_iris, test.data, strict=True))
        files.update(dict(test.graph_data))
        files.update(dict(test.query_graphs))
    return files


def write_dataset(files: dict[str, Path], out: Path) -> dict[str, str]:
    """All files as one N-Quads file, each in its named graph; the files that cannot be read,
    with the parser's reason (the tests that need them are skipped)."""
    store = ox.Store()
    unreadable = {}
    for iri, path in sorted(files.items()):
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        try:
            quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(iri)) for t in _triples(path, fmt, iri)]
        except (SyntaxError, ValueError, OSError) as err:
            unreadable[iri] = f"{path.name}: {err}"
            continue
        store.extend(quads)
    store.dump(out, format=ox.RdfFormat.N_QUADS)
    return unreadable


def _triples(path: Path, fmt: ox.RdfFormat, iri: str) -> list[ox.Triple]:
    """A file's triples, its blank nodes made its own: the parser keeps their labels (_:a), and
    two files with the same label must not share a node once in one dataset."""
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def own(term):  # type: ignore[no-untyped-def]
        return fresh.setdefault(term, ox.BlankNode()) if isinstance(term, ox.BlankNode) else term

    return [
        ox.Triple(own(q.subject), q.predicate, own(q.object)) for q in ox.parse(path=path, format=fmt, base_iri=iri)
    ]


# --- the engines -----------------------------------------------------------------------------------------

#: A running endpoint: its URL, and whether every process behind it is still alive.
Running = tuple[str, Callable[[], bool]]
#: How to start an endpoint (anew after a crash).
Starter = Callable[[], contextlib.AbstractContextManager[Running]]


@contextlib.contextmanager
def _process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        local.stop(proc)


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} ended at start:\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.post(url, data={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:g} s:\n{log.read_text(errors='replace')[-2000:]}")


def load(engine: str, dump: Path, folder: Path) -> None:
    """Load the dataset into a remote engine's database folder, as `hotline-kg load` does."""
    if engine == "oxigraph":
        local.load_oxigraph(folder, [dump])
    elif engine == "virtuoso":
        local.load_virtuoso(folder, [dump], TIMEOUT, 100000)


@contextlib.contextmanager
def remote_engine(engine: str, folder: Path) -> Iterator[Running]:
    """The Oxigraph server or Virtuoso over its loaded folder; its endpoint."""
    port = local.free_port()
    if engine == "oxigraph":
        command = local.oxigraph_command(folder, "127.0.0.1", port, TIMEOUT)
        url = f"http://127.0.0.1:{port}/query"
    else:
        local.virtuoso_config(folder, local.free_port(), port, TIMEOUT, 100000)
        command = local.virtuoso_command(folder)
        url = f"http://127.0.0.1:{port}/sparql"
    log = folder.parent / f"{engine}.log"
    with _process(command, log) as proc:
        _wait(url, proc, log)
        yield url, lambda: proc.poll() is None


@contextlib.contextmanager
def wrapper(args: list[str], folder: Path) -> Iterator[Running]:
    """`hotline-kg serve` with these arguments, no answer cache and no rate limits; its endpoint."""
    port = local.free_port()
    command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--port", str(port), "--timeout", str(TIMEOUT)]
    command += ["--max-rows", "100000", "--cache-mb", "0", "--client-rate", "0", "--client-queries", "0", *args]
    url = f"http://127.0.0.1:{port}/sparql"
    log = folder / "serve.log"
    with _process(command, log) as proc:
        _wait(url, proc, log)
        yield url, lambda: proc.poll() is None


def columns(
    engine: str, dump: Path, folder: Path
) -> dict[str, Callable[[], contextlib.AbstractContextManager[Running]]]:
    """How to start each endpoint to test for ``engine``: the wrapper over it, and the engine alone
    where it has an endpoint of its own (each started anew after a crash)."""
    if engine in EMBEDDED:
        return {engine: lambda: wrapper(["--data", str(dump), "--store", engine], folder)}
    database = folder / "db"
    return {engine: over(engine, database, folder), f"{engine} alone": lambda: remote_engine(engine, database)}


def over(engine: str, database: Path, folder: Path, args: tuple[str, ...] = ()) -> Starter:
    """How to start the wrapper (with ``args``) over a remote engine, the engine with it; alive
    while both are."""

    @contextlib.contextmanager
    def start() -> Iterator[Running]:
        with (
            remote_engine(engine, database) as (alone, engine_alive),
            wrapper([*args, "--engine", alone], folder) as (url, alive),
        ):
            yield url, lambda: alive() and engine_alive()

    return start


# --- running the tests -------------------------------------------------------------------------------------


#: An answer: HTTP status, Content-Type and body.
Reply = tuple[int, str, bytes]
#: How a test's request is sent: (query, dataset parameters, Accept) → the reply.
Send = Callable[[str, list[tuple[str, str]], str], Reply]


def http_send(client: httpx.Client, url: str) -> Send:
    """Send over the SPARQL Protocol: a form POST with the dataset's parameters."""

    def send(query: str, dataset: list[tuple[str, str]], accept: str) -> Reply:
        form = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode([("query", query), *dataset])
        response = client.post(url, content=body, headers=form, timeout=TIMEOUT + 5)
        return response.status_code, response.headers.get("content-type", ""), response.content

    return send


def store_send(store: ox.Store) -> Send:
    """Ask pyoxigraph itself, in this process: the embedded engine alone, with the same dataset
    (the Protocol's parameters as pyoxigraph's own), in the media type asked for."""
    results = {media: fmt for fmt, media in RESULT_TYPES.items()}

    def send(query: str, dataset: list[tuple[str, str]], accept: str) -> Reply:
        default = [ox.NamedNode(v) for k, v in dataset if k == "default-graph-uri"]
        named = [ox.NamedNode(v) for k, v in dataset if k == "named-graph-uri"]
        kwargs = {"default_graph": default, "named_graphs": named} if dataset else {}  # none: the query's FROM
        try:
            answer = store.query(query, **kwargs)  # type: ignore[arg-type]
            if isinstance(answer, ox.QueryTriples):
                return 200, "application/n-triples", answer.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
            media = accept if accept in results else "application/sparql-results+json"
            return 200, media, answer.serialize(format=results[media]) or b""
        except (SyntaxError, ValueError, OSError, RuntimeError) as err:
            return 400, "text/plain", str(err).encode()

    return send


def in_process_alone(dump: Path, tests: list[suite.Test], unreadable: dict[str, str]) -> list[Outcome]:
    """Every test asked of pyoxigraph alone (``store_send``), in a child process over the dataset:
    a query that aborts the engine ends the child, not the run, and a new child takes the next."""
    context = multiprocessing.get_context("fork")
    outcomes: list[Outcome] = []
    remaining = list(tests)
    while remaining:
        ours, theirs = context.Pipe()
        child = context.Process(target=_answer_from_store, args=(dump, theirs), daemon=True)
        child.start()
        send = _pipe_send(ours)
        while remaining:
            test = remaining.pop(0)
            try:
                outcomes.append(run_test(send, test, unreadable))
            except (EOFError, ConnectionError):
                outcomes.append(Outcome(test.id, test.folder, "failed", "the engine ended (crashed) on this query"))
                break
        child.kill()
        child.join()
    return outcomes


def _pipe_send(conn: multiprocessing.connection.Connection) -> Send:
    def send(query: str, dataset: list[tuple[str, str]], accept: str) -> Reply:
        conn.send((query, dataset, accept))
        return conn.recv()  # type: ignore[no-any-return]

    return send


def _answer_from_store(dump: Path, conn: multiprocessing.connection.Connection) -> None:
    store = ox.Store()
    store.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
    send = store_send(store)
    while True:
        conn.send(send(*conn.recv()))


#: The results formats pyoxigraph writes, by media type.
RESULT_TYPES = {
    ox.QueryResultsFormat.JSON: "application/sparql-results+json",
    ox.QueryResultsFormat.XML: "application/sparql-results+xml",
    ox.QueryResultsFormat.CSV: "text/csv",
    ox.QueryResultsFormat.TSV: "text/tab-separated-values",
}


def run_column(start: Starter, tests: list[suite.Test], unreadable: dict[str, str]) -> list[Outcome]:
    """Every test over one endpoint. A test after which a process behind it has ended failed by
    crashing it; the endpoint is started anew for the next one."""
    outcomes: list[Outcome] = []
    remaining = list(tests)
    while remaining:
        with start() as (url, alive), httpx.Client() as client:
            send = http_send(client, url)
            while remaining:
                test = remaining.pop(0)
                outcome = run_test(send, test, unreadable)
                if not alive():
                    outcomes.append(Outcome(test.id, test.folder, "failed", "the engine ended (crashed) on this query"))
                    break
                outcomes.append(outcome)
    return outcomes


def request_dataset(test: suite.Test) -> list[tuple[str, str]]:
    """The Protocol's dataset parameters of a test: none when its query names its own (FROM)."""
    if test.query_graphs or test.unknown_query_graphs:
        return []
    params = [("default-graph-uri", iri) for iri in test.data_iris] or [("default-graph-uri", EMPTY)]
    return params + [("named-graph-uri", iri) for iri, _ in test.graph_data]


def run_test(send: Send, test: suite.Test, unreadable: dict[str, str]) -> Outcome:
    """Send one test and judge its answer."""
    reason = suite.skip_reason(test)
    missing = [unreadable[iri] for iri in _iris(test) if iri in unreadable]
    if reason or missing:
        return Outcome(test.id, test.folder, "skipped", reason or "data not readable: " + "; ".join(missing))
    try:
        text = test.query.read_text(encoding="utf-8")
        query = text if declares_base(text) else suite.query_text(test)  # one BASE: Virtuoso refuses two
    except UnicodeDecodeError as err:
        return Outcome(test.id, test.folder, "skipped", f"query not UTF-8: {err}")
    expected = suite.expected_answer(test) if test.kind == "evaluation" else None
    # a syntax test is run over an empty dataset, in whatever format the endpoint gives first
    accept = suite.accept_for(test, expected) if expected is not None else "*/*"
    dataset = request_dataset(test) if test.kind == "evaluation" else [("default-graph-uri", EMPTY)]
    try:
        status, media, content = send(query, dataset, accept)
    except httpx.HTTPError as err:
        return Outcome(test.id, test.folder, "failed", f"no answer: {type(err).__name__}: {err}")
    body = content[:300].decode("utf-8", errors="replace").strip()
    if test.kind == "negative-syntax":
        ok = 400 <= status < 500
        return Outcome(test.id, test.folder, "passed" if ok else "failed", "" if ok else f"{status}")
    if status != 200:
        deliberate = status in (400, 501, 503) and any(word in body for word in DELIBERATE)
        return Outcome(test.id, test.folder, "refused" if deliberate else "failed", f"{status}: {body}")
    if test.kind == "positive-syntax":
        return Outcome(test.id, test.folder, "passed")
    assert expected is not None
    try:
        actual = suite.parse_answer(media, content)
    except (SyntaxError, ValueError) as err:
        return Outcome(test.id, test.folder, "failed", f"unreadable answer: {err}")
    try:
        with _time_limit(COMPARE_SECONDS):
            difference = suite.check(test, expected, actual)
    except TimeoutError:
        return Outcome(test.id, test.folder, "failed", f"its answer could not be compared in {COMPARE_SECONDS} s")
    return Outcome(test.id, test.folder, "failed" if difference else "passed", difference or "")


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """TimeoutError once ``seconds`` have passed (matching blank nodes of a wrong answer can take
    exponential time)."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _iris(test: suite.Test) -> list[str]:
    return [*test.data_iris, *(iri for iri, _ in test.graph_data), *(iri for iri, _ in test.query_graphs)]


# --- the report --------------------------------------------------------------------------------------------


def table(results: dict[str, list[Outcome]]) -> str:
    """Markdown: per endpoint, passed / failed / refused / skipped, per suite folder and in all."""
    columns = list(results)
    folders = sorted({o.folder for outcomes in results.values() for o in outcomes})
    head = "| folder | " + " | ".join(columns) + " |"
    lines = [head, "|---|" + "---|" * len(columns)]
    for folder in [*folders, "all"]:
        cells = []
        for column in columns:
            counts = Counter(o.status for o in results[column] if folder in ("all", o.folder))
            cells.append(_cell(counts))
        name = f"**{folder}**" if folder == "all" else folder
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(counts: Counter[str]) -> str:
    text = f"{counts['passed']} ✓ · {counts['failed']} ✗"
    if counts["refused"]:
        text += f" · {counts['refused']} refused"
    if counts["skipped"]:
        text += f" · {counts['skipped']} skipped"
    return text


def passed_alone_but(results: dict[str, list[Outcome]], status: str = "failed") -> list[str]:
    """Tests an engine passes alone and fails through the wrapper (the wrapper must add none); with
    ``status="refused"``, those it refuses on purpose (a query of a kind the engine answers wrongly on other
    data, though right on the test's own)."""
    found = []
    for column in results:
        alone = results.get(f"{column} alone") or (results.get(EMBEDDED_ALONE) if column in EMBEDDED else None)
        if alone is None:
            continue
        passed_alone = {o.test for o in alone if o.status == "passed"}
        for outcome in results[column]:
            if outcome.test in passed_alone and outcome.status == status:
                found.append(f"{column}: {outcome.test}: {outcome.detail}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=SUITE, help="the rdf-tests-sparql folder")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--only", help="only the suite folders whose name contains this")
    parser.add_argument("--out", type=Path, default=RESULTS / "conformance.md")
    args = parser.parse_args(argv)
    if not args.suite.is_dir():
        print(f"error: {args.suite}: no W3C SPARQL test suite there (--suite)", file=sys.stderr)
        return 2
    tests = [t for t in suite.read_tests(args.suite) if not args.only or args.only in t.folder]
    results: dict[str, list[Outcome]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        dump = Path(tmp) / "suite.nq"
        unreadable = write_dataset(dataset_files(tests), dump)
        if set(EMBEDDED) & set(args.engines):  # the embedded engine alone: pyoxigraph in this process
            started = time.monotonic()
            results[EMBEDDED_ALONE] = in_process_alone(dump, tests, unreadable)
            counts = Counter(o.status for o in results[EMBEDDED_ALONE])
            print(f"{EMBEDDED_ALONE}: {dict(counts)} ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        for engine in args.engines:
            folder = Path(tmp) / engine
            folder.mkdir()
            load(engine, dump, folder / "db")
            for column, start in columns(engine, dump, folder).items():
                started = time.monotonic()
                results[column] = run_column(start, tests, unreadable)
                counts = Counter(o.status for o in results[column])
                print(f"{column}: {dict(counts)} ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    write_report(args.out, results, len(tests))
    added = passed_alone_but(results)
    for line in added:
        print(f"the wrapper adds a failure: {line}", file=sys.stderr)
    for line in passed_alone_but(results, "refused"):
        print(f"the wrapper refuses what the engine passes alone: {line[:160]}", file=sys.stderr)
    return 1 if added else 0


def write_report(out: Path, results: dict[str, list[Outcome]], total: int) -> None:
    """The table (Markdown) and every outcome (JSON, beside it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    added, refused = passed_alone_but(results), passed_alone_but(results, "refused")
    text = [
        "# W3C SPARQL query test suites, through the wrapper\n",
        f"`make conformance` ({time.strftime('%Y-%m-%d')}): {total} tests of `rdf-tests-sparql` (sparql10, sparql11: "
        "query evaluation, result formats, positive and negative syntax), sent over the SPARQL Protocol to "
        "`hotline-kg serve` over each engine, and to the engine alone where it has an endpoint of its own. "
        "✓ passed, ✗ failed; *refused*: the wrapper refuses the query on purpose (SERVICE, a FROM outside the "
        "dataset, an update, a limit, or a kind of query the engine behind it answers wrongly); *skipped*: the "
        "test needs what the Protocol cannot carry "
        "(entailment, SERVICE data).\n",
        table(results),
        f"\nTests the engine passes alone and fails through the wrapper: {len(added)}.\n",
        *(f"- {line}\n" for line in added),
        f"\nTests the engine passes alone that the wrapper refuses on purpose (a FROM outside the dataset; a kind "
        f"of query the engine behind it answers wrongly on other data, though right on the test's own): "
        f"{len(refused)}.\n",
        *(f"- {line[:300]}\n" for line in refused),
    ]
    out.write_text("\n".join(text), encoding="utf-8")
    detail = {column: [o.__dict__ for o in outcomes] for column, outcomes in results.items()}
    out.with_suffix(".json").write_text(json.dumps(detail, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
