"""The pipeline under bad input, fuzzed (issue 13, part 5).

``extract`` on mutated report texts — lines deleted, duplicated or moved, line breaks moved,
characters swapped or replaced, binary noise, very long lines, huge files — ends with exit 0
or 1, and every error names the file and the line (or says why the whole file is refused);
never a traceback, never a hang. ``build`` on mutated facts tables and code lists ends with
exit 1 and an error naming the file and row, the previous build in ``--out`` byte-identical;
or with exit 0 when the mutation is harmless, and then the new build is whole (it was
validated before it was written, and SHA256SUMS checks).

The runs go through ``hotline_kg.cli.main``, the entry of the ``hotline-kg`` command, in
process (each bounded by a timer, so that a hang fails instead of stalling the suite), plus a
few real subprocess runs. The budget is fixed and deterministic (``derandomize``, no example
database). ``bench/fuzz_pipeline.py`` runs the same mutations and checks for thousands of
examples and writes its counts to bench/results/fuzz-pipeline.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conftest
from hotline_kg import cli
from hotline_kg.extract import COLUMNS
from hotline_kg.extract.lines import MAX_REPORT_BYTES

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[1]
REPORTS = (ROOT / "data" / "raw" / "2022.txt", ROOT / "data" / "raw" / "2024.txt")
#: What the build reads (``hotline-kg build --root``).
#: Seconds one in-process run may take before it counts as a hang. A report extracts in well
#: under a second, a huge one at the size limit in a few; a build takes a few seconds.
EXTRACT_LIMIT = 30
BUILD_LIMIT = 120
#: The longest line a mutation makes, in characters: above the size limit (a UTF-8 character is 1-4 bytes).
LONGEST = 2 * MAX_REPORT_BYTES
#: Errors about the whole file, which name no line.
WHOLE_FILE = ("the file is empty", "no report year found", "no facts found", "the limit for a report text")


def fuzz(examples: int) -> settings:
    """A fixed budget of examples, the same on every run: no example database, no deadline."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


# --- running the command in process ----------------------------------------------------------------


class TooSlow(BaseException):
    """The time limit of a run passed (a BaseException: the command's own handlers do not catch it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def ring(_signum: int, _frame: Any) -> None:
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Run:
    status: int | None  # the exit status; None when an exception escaped or the time ran out
    stdout: str
    stderr: str
    seconds: float
    crash: str = ""  # the exception that escaped main(), or "hang …"


def run_cli(argv: Sequence[str], limit: float) -> Run:
    """``hotline-kg ARGV`` in this process, as the command runs it (``cli.main``)."""
    out, err = io.StringIO(), io.StringIO()
    status: int | None = None
    crash = ""
    start = time.perf_counter()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            with time_limit(limit):
                status = cli.main(list(argv))
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except TooSlow:
            crash = f"hang: still running after {limit} s"
        except Exception as exc:
            crash = f"traceback: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    return Run(status, out.getvalue(), err.getvalue(), time.perf_counter() - start, crash)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


# --- mutations ---------------------------------------------------------------------------------------

POS = st.integers(min_value=0, max_value=2**20)  # a place, taken modulo the length of what it is in
#: Characters that mean something to the extractor or to a CSV reader, and any other.
MEANINGFUL = '0123456789.%，。；：、（）“”年月日万件占比同比上升下降约倍个项条区第位的\f\r\t ,"　０５．％—-'
CHARS = st.one_of(
    st.sampled_from(list(MEANINGFUL)),
    st.characters(codec="utf-8"),  # any character UTF-8 can write (no lone surrogate)
)


def line_ops(stretch: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """One mutation of a text by lines or characters; ``stretch`` bounds how long a line may grow."""
    return st.one_of(
        st.tuples(st.just("delete"), POS, st.integers(1, 30)),  # lines deleted
        st.tuples(st.just("duplicate"), POS, st.integers(1, 30)),  # lines duplicated
        st.tuples(st.just("move"), POS, POS),  # a line moved elsewhere
        st.tuples(st.just("join"), POS),  # a line break removed
        st.tuples(st.just("split"), POS, POS),  # a line break added
        st.tuples(st.just("swap"), POS),  # two neighbouring characters swapped
        st.tuples(st.just("char"), POS, CHARS),  # a character replaced
        st.tuples(st.just("insert"), POS, st.text(CHARS, min_size=1, max_size=20)),  # characters inserted
        st.tuples(st.just("noise"), POS, st.binary(min_size=1, max_size=64)),  # binary noise
        st.tuples(st.just("stretch"), POS, st.integers(2, stretch)),  # a line repeated on itself: a long line
    )


def text_mutations(stretch: int = 200) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(line_ops(stretch), min_size=1, max_size=8)


def mutate_text(data: bytes, ops: Sequence[tuple[Any, ...]]) -> bytes:
    """The bytes of a text after the mutations (bytes that are not UTF-8 survive them as they are)."""
    text = data.decode("utf-8", "surrogateescape")
    for op in ops:
        kind, at = op[0], op[1]
        if kind == "noise":
            raw = text.encode("utf-8", "surrogateescape")
            at %= len(raw) + 1
            text = (raw[:at] + op[2] + raw[at:]).decode("utf-8", "surrogateescape")
        elif kind in ("swap", "char", "insert"):
            at %= len(text) + 1
            if kind == "swap" and at + 1 < len(text):
                text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
            elif kind == "char":
                text = text[:at] + op[2] + text[at + 1 :]
            elif kind == "insert":
                text = text[:at] + op[2] + text[at:]
        else:
            lines = text.split("\n")
            i = at % len(lines)
            if kind == "delete":
                del lines[i : i + op[2]]
            elif kind == "duplicate":
                lines[i:i] = lines[i : i + op[2]]
            elif kind == "move":
                line = lines.pop(i)
                lines.insert(op[2] % (len(lines) + 1), line)
            elif kind == "join" and i + 1 < len(lines):
                lines[i : i + 2] = [lines[i] + lines[i + 1]]
            elif kind == "split":
                cut = op[2] % (len(lines[i]) + 1)
                lines[i : i + 1] = [lines[i][:cut], lines[i][cut:]]
            elif kind == "stretch":  # up to a line of LONGEST characters
                lines[i] = lines[i] * min(op[2], max(1, LONGEST // max(1, len(lines[i]))))
            text = "\n".join(lines)
    return text.encode("utf-8", "surrogateescape")


#: Cells that a facts table or code list should not hold, and some that it may.
ODD_CELLS = st.one_of(
    st.sampled_from(
        ["", " ", "0", "-1", "1e3", "NaN", "x", "２０２４", "2024-13", "2024-00", "99999", "翻倍", "万件", "%"]
    ),
    st.text(CHARS, max_size=40),
)


def csv_ops() -> st.SearchStrategy[tuple[Any, ...]]:
    """One mutation of a CSV file: of its cells and rows, or of its bytes."""
    return st.one_of(
        st.tuples(st.just("cell"), POS, POS, ODD_CELLS),  # a cell replaced
        st.tuples(st.just("copy_cell"), POS, POS, POS),  # a cell takes the value of another row's
        st.tuples(st.just("delete_row"), POS),
        st.tuples(st.just("duplicate_row"), POS),
        st.tuples(st.just("drop_cell"), POS),  # a row one cell short
        st.tuples(st.just("add_cell"), POS, ODD_CELLS),  # a row one cell long
        st.tuples(st.just("drop_column"), POS),
        st.tuples(st.just("rename_column"), POS, ODD_CELLS),
        line_ops(4).filter(lambda op: op[0] not in ("stretch",)),  # the text: lines, characters, noise
    )


def csv_mutations() -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(csv_ops(), min_size=1, max_size=4)


ROW_OPS = {"cell", "copy_cell", "delete_row", "duplicate_row", "drop_cell", "add_cell", "drop_column", "rename_column"}


def mutate_csv(data: bytes, ops: Sequence[tuple[Any, ...]]) -> bytes:
    """The bytes of a CSV file after the mutations; cell and row mutations rewrite it as CSV."""
    for op in ops:
        if op[0] not in ROW_OPS:
            data = mutate_text(data, [op])
            continue
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))
        except csv.Error:
            continue
        if len(rows) < 2:
            continue
        body = rows[1:]
        r = op[1] % len(body)
        row = body[r]
        kind = op[0]
        if kind == "cell" and row:
            row[op[2] % len(row)] = op[3]
        elif kind == "copy_cell" and row:
            c = op[2] % len(row)
            other = body[op[3] % len(body)]
            if c < len(other):
                row[c] = other[c]
        elif kind == "delete_row":
            del body[r]
        elif kind == "duplicate_row":
            body.insert(r, list(row))
        elif kind == "drop_cell" and row:
            row.pop()
        elif kind == "add_cell":
            row.append(op[2])
        elif kind == "drop_column":
            c = op[1] % len(rows[0])
            for each in rows[:1] + body:
                if c < len(each):
                    del each[c]
        elif kind == "rename_column":
            rows[0][op[1] % len(rows[0])] = op[2]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0], *body])
        data = out.getvalue().encode("utf-8", "surrogateescape")
    return data


# --- what a run of extract must do ---------------------------------------------------------------------


def extract_problems(path: Path, data: bytes, run: Run, out: Path) -> list[str]:
    """What is wrong with how ``hotline-kg extract PATH -o OUT`` ended on these bytes ([] if nothing)."""
    if run.crash:
        return [first_line(run.crash)]
    problems = []
    errors = error_lines(run.stderr)
    if run.status not in (0, 1):
        problems.append(f"exit {run.status}: {first_line(errors[0] if errors else run.stderr)}")
    if "Traceback" in run.stderr:
        problems.append("a traceback on stderr")
    if run.status == 1 and not errors:
        problems.append(f"exit 1 without an error: {first_line(run.stderr)}")
    lines = data.count(b"\n") + 1
    for error in errors:
        m = re.match(rf"error: {re.escape(str(path))}(?::(\d+))?: (.*)", error)
        if m is None:
            problems.append(f"an error not naming the file: {first_line(error)}")
        elif m.group(1) is None and not any(why in m.group(2) for why in WHOLE_FILE):
            problems.append(f"an error naming no line: {first_line(error)}")
        elif m.group(1) is not None and not 1 <= int(m.group(1)) <= lines:
            problems.append(f"an error naming line {m.group(1)} of {lines}: {first_line(error)}")
    if run.status == 0:
        if errors:
            problems.append(f"exit 0 with an error: {first_line(errors[0])}")
        problems += facts_problems(out, lines)
    return problems


def facts_problems(out: Path, lines: int) -> list[str]:
    """A facts table written by extract: the documented columns, each row citing a line of the text."""
    if not out.is_file():
        return ["exit 0 but no facts table written"]
    with out.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        try:
            if tuple(reader.fieldnames or ()) != COLUMNS:
                return [f"facts table with columns {reader.fieldnames}"]
            for row in reader:
                line = row["source_line"]
                if not (line.isdigit() and 1 <= int(line) <= lines):
                    return [f"a fact citing line {line!r} of a text of {lines} lines"]
        except csv.Error as exc:  # as the build would read it
            return [f"the facts table cannot be read back: {exc}"]
    return []


def fuzz_extract(seed: Path, ops: Sequence[tuple[Any, ...]], folder: Path) -> tuple[list[str], Run, bytes]:
    """Mutate a report text, extract it in process; the problems found."""
    data = mutate_text(seed.read_bytes(), ops)
    path = folder / seed.name
    path.write_bytes(data)
    out = folder / "facts.csv"
    out.unlink(missing_ok=True)
    run = run_cli(["extract", str(path), "-o", str(out)], EXTRACT_LIMIT)
    return extract_problems(path, data, run, out), run, data


@pytest.mark.parametrize("seed", REPORTS, ids=lambda p: p.name)
def test_extract_on_mutated_reports(seed, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-extract")

    @fuzz(60)
    @given(ops=text_mutations())
    def check(ops: list[tuple[Any, ...]]) -> None:
        problems, run, _ = fuzz_extract(seed, ops, folder)
        assert not problems, f"{problems}\nstderr:\n{run.stderr[-2000:]}"

    check()


# --- huge files -----------------------------------------------------------------------------------------


def adversarial_texts(size: int) -> dict[str, bytes]:
    """Texts of about ``size`` bytes built to be slow to read: one very long line or sentence of
    characters the rules search for, or very many short sentences, after a valid report's start."""
    head = REPORTS[1].read_bytes()[: size // 4]
    fill = size - len(head)

    def times(piece: str) -> bytes:
        raw = piece.encode("utf-8")
        return raw * max(1, fill // len(raw))

    return {
        "share cue": head + times("占"),
        "digits": head + times("1"),
        "words": head + times("市场管理"),
        "ranks": head + times("最多的是第1位"),
        "figures": head + times("同比上升 1%，占比 2%，"),
        "sentences": head + times("占比由2024年。"),
        "lines": head + times("1\n"),
        "report": (REPORTS[1].read_bytes() * (1 + size // REPORTS[1].stat().st_size))[:size],
    }


@pytest.mark.parametrize("name", list(adversarial_texts(1000)))
def test_a_huge_text_at_the_size_limit_ends_in_time(name, tmp_path):
    data = adversarial_texts(MAX_REPORT_BYTES)[name][:MAX_REPORT_BYTES]
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    out = tmp_path / "facts.csv"
    run = run_cli(["extract", str(path), "-o", str(out)], EXTRACT_LIMIT)
    assert not extract_problems(path, data, run, out), run.stderr[-2000:]


def test_a_text_above_the_size_limit_is_refused_at_once(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_REPORT_BYTES * 64)  # sparse: no disk is used, and nothing should read it
    run = run_cli(["extract", str(path)], EXTRACT_LIMIT)
    assert run.status == 1 and run.seconds < 5
    assert f"error: {path}: {MAX_REPORT_BYTES * 64} bytes, more than the limit for a report text" in run.stderr


# --- build ----------------------------------------------------------------------------------------------


def copy_project(root: Path, years: Sequence[int] | None = None) -> Path:
    """A copy of what the build reads; ``years``: only those reports (a smaller, faster build)."""
    conftest.copy_project(root)
    if years is not None:
        sources = root / "data" / "raw" / "sources.csv"
        with sources.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        kept = [rows[0], *(r for r in rows[1:] if int(r[0]) in years)]
        for row in rows[1:]:
            if int(row[0]) not in years:
                (root / "data" / "raw" / row[1]).unlink()
                (root / "data" / "facts" / f"{row[0]}.csv").unlink()
        with sources.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(kept)
        topics = root / "data" / "reference" / "topics.csv"  # a monthly topic belongs to its report's year
        with topics.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        year = rows[0].index("year")
        with topics.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([rows[0], *(r for r in rows[1:] if int(r[year]) in years)])
    return root


def build_targets(root: Path) -> list[Path]:
    """The tables a build reads that the fuzzer mutates: facts, code lists, the list of reports."""
    reference = [p for p in sorted((root / "data" / "reference").glob("*.csv")) if p.name != "link-sources.csv"]
    return [*sorted((root / "data" / "facts").glob("*.csv")), *reference, root / "data" / "raw" / "sources.csv"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def build_problems(root: Path, dist: Path, before: dict[str, bytes], run: Run) -> list[str]:
    """What is wrong with how ``hotline-kg build --root ROOT --out DIST`` ended ([] if nothing)."""
    problems = [first_line(run.crash)] if run.crash else []
    errors = error_lines(run.stderr)
    if run.status not in (0, 1, None):
        problems.append(f"exit {run.status}: {first_line(errors[0] if errors else run.stderr)}")
    if "Traceback" in run.stderr:
        problems.append("a traceback on stderr")
    if run.status != 0 and snapshot(dist) != before:
        problems.append("the previous build in --out changed")
    if [p for p in dist.parent.iterdir() if p.name.startswith(f".{dist.name}")]:
        problems.append("temporary files left beside --out")
    if run.status == 1:
        named = []
        for error in errors:
            m = re.match(r"error: (\S+?\.(?:csv|txt)):(\d+)[:,]? ", error)
            if m and Path(m.group(1)).is_file() and Path(m.group(1)).is_relative_to(root):
                lines = Path(m.group(1)).read_bytes().count(b"\n") + 1
                if 1 <= int(m.group(2)) <= lines:
                    named.append(error)
        if not named:
            problems.append(f"no file and row named: {first_line(errors[0] if errors else run.stderr)}")
    if run.status == 0:
        sums = dict(reversed(line.split("  ", 1)) for line in (dist / "SHA256SUMS").read_text().splitlines())
        if set(sums) != set(snapshot(dist)) - {"SHA256SUMS"}:
            problems.append("SHA256SUMS does not list every file")
        elif any(hashlib.sha256((dist / name).read_bytes()).hexdigest() != digest for name, digest in sums.items()):
            problems.append("a file does not match SHA256SUMS")
    return problems


def fuzz_build(root: Path, dist: Path, target: Path, ops: Sequence[tuple[Any, ...]]) -> tuple[list[str], Run]:
    """Mutate one table of the project, build in process, put the table back; the problems found."""
    pristine = target.read_bytes()
    target.write_bytes(mutate_csv(pristine, ops))
    try:
        before = snapshot(dist)
        run = run_cli(["build", "--root", str(root), "--out", str(dist)], BUILD_LIMIT)
        return build_problems(root, dist, before, run), run
    finally:
        target.write_bytes(pristine)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> tuple[Path, Path]:
    """One report's project and a good build of it in dist/."""
    root = copy_project(tmp_path_factory.mktemp("fuzz-build") / "project", years=(2024,))
    dist = root.parent / "dist"
    run = run_cli(["build", "--root", str(root), "--out", str(dist)], BUILD_LIMIT)
    assert run.status == 0, run.stderr
    return root, dist


def test_build_on_mutated_tables(small_project):
    root, dist = small_project
    targets = build_targets(root)

    @fuzz(12)
    @given(target=st.sampled_from(targets), ops=csv_mutations())
    def check(target: Path, ops: list[tuple[Any, ...]]) -> None:
        problems, run = fuzz_build(root, dist, target, ops)
        assert not problems, f"{target.name} {ops}: {problems}\nstderr:\n{run.stderr[-2000:]}"

    check()


# --- a few real runs of the command --------------------------------------------------------------------


def command(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


MUTANTS = {
    "binary noise": [("noise", 5000, bytes(range(256)))],
    "lines shuffled": [("move", 40, 3), ("move", 7, 90), ("delete", 20, 5), ("duplicate", 60, 10)],
    "breaks moved": [("join", i * 7) for i in range(30)] + [("split", i * 11, i * 5) for i in range(30)],
    "long line": [("stretch", 30, 3000)],
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_extract_command_on_mutants(name, tmp_path):
    data = mutate_text(REPORTS[1].read_bytes(), MUTANTS[name])
    path = tmp_path / "2024.txt"
    path.write_bytes(data)
    out = tmp_path / "facts.csv"
    result = command("extract", path, "-o", out, timeout=EXTRACT_LIMIT * 2)
    run = Run(result.returncode, result.stdout, result.stderr, 0)
    assert not extract_problems(path, data, run, out), result.stderr[-2000:]


def test_build_command_on_a_broken_table(small_project, tmp_path):
    root, dist = tmp_path / "project", tmp_path / "dist"
    shutil.copytree(small_project[0], root)
    shutil.copytree(small_project[1], dist)  # a previous good build
    before = snapshot(dist)
    table = root / "data" / "reference" / "categories.csv"
    table.write_bytes(mutate_csv(table.read_bytes(), [("duplicate_row", 3)]))
    result = command("build", "--root", root, "--out", dist)
    assert result.returncode == 1
    assert f"error: {table}:" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(dist) == before
