"""Fuzz the pipeline for longer than the test suite does: bad input to `extract` and `build`.

The mutations and the checks are those of tests/test_fuzz_pipeline.py (issue 13, part 5):
report texts with lines deleted, duplicated or moved, breaks moved, characters swapped or
replaced, binary noise and very long lines go through ``hotline-kg extract``, which must end
with exit 0 or 1 and errors naming the file and line, never a traceback or a hang; facts
tables, code lists and sources.csv with cells, rows, columns or bytes changed go through
``hotline-kg build`` into a folder holding a previous good build, which must end with exit 1
and an error naming the file and row, the previous build untouched, or exit 0 and a whole
build. Every example runs in process under a time limit. The counts and each kind of problem
found (with its first example) go to bench/results/fuzz-pipeline.md, in a section of its own
per ``--label`` (a run with the same label replaces its section).

    .venv/bin/python bench/fuzz_pipeline.py --examples 3000 --build-examples 300
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import test_fuzz_pipeline as fz  # noqa: E402  (the mutations and checks, shared with the test)

RESULTS = ROOT / "bench" / "results" / "fuzz-pipeline.md"


@dataclass
class Tally:
    """Outcomes of one target's examples, and each kind of problem with its first example."""

    examples: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    failed_examples: int = 0
    slowest: tuple[float, str] = (0, "")

    def add(self, run: fz.Run, problems: list[str], example: str) -> None:
        self.examples += 1
        self.exits["hang" if run.crash.startswith("hang") else "exception" if run.crash else str(run.status)] += 1
        self.seconds.append(run.seconds)
        self.slowest = max(self.slowest, (run.seconds, example))
        self.failed_examples += bool(problems)
        for problem in dict.fromkeys(kind(p) for p in problems):
            self.problems[problem] += 1
            self.first.setdefault(problem, example)


def kind(problem: str) -> str:
    """A problem without its particulars (paths, numbers, quoted text), to count alike ones together."""
    text = re.sub(r"/\S*/", "…/", problem)
    text = re.sub(r"“[^”]*”|'[^']*'|\"[^\"]*\"", "“…”", text)
    text = re.sub(r"\d+", "N", text)
    return text[:220]


def short(ops: Any, limit: int = 300) -> str:
    text = repr(ops)
    return text if len(text) <= limit else text[:limit] + "…"


def fuzz_extract(examples: int, stretch: int, rng_seed: int) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="fuzz-extract-") as tmp:
        folder = Path(tmp)

        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(rng_seed)
        @given(report=st.sampled_from(fz.REPORTS), ops=fz.text_mutations(stretch))
        def one(report: Path, ops: list[tuple[Any, ...]]) -> None:
            try:
                problems, run, data = fz.fuzz_extract(report, ops, folder)
            except Exception as exc:  # the fuzzer's own fault: counted, not fatal to a long run
                problems, run, data = [f"fuzzer error: {type(exc).__name__}: {exc}"], fz.Run(None, "", "", 0), b""
            tally.add(run, problems, f"{report.name} ({len(data)} bytes) {short(ops)}")
            if tally.examples % 100 == 0:
                print(f"extract: {tally.examples} examples, {tally.failed_examples} with a problem", flush=True)

        one()
    return tally


def fuzz_build(examples: int, rng_seed: int) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="fuzz-build-") as tmp:
        root = fz.copy_project(Path(tmp) / "project")
        dist = Path(tmp) / "dist"
        good = fz.run_cli(["build", "--root", str(root), "--out", str(dist)], fz.BUILD_LIMIT)
        if good.status != 0:
            raise SystemExit(f"the unmutated project does not build:\n{good.stderr}")
        targets = fz.build_targets(root)

        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(rng_seed)
        @given(target=st.sampled_from(targets), ops=fz.csv_mutations())
        def one(target: Path, ops: list[tuple[Any, ...]]) -> None:
            try:
                problems, run = fz.fuzz_build(root, dist, target, ops)
            except Exception as exc:  # the fuzzer's own fault
                problems, run = [f"fuzzer error: {type(exc).__name__}: {exc}"], fz.Run(None, "", "", 0)
            tally.add(run, problems, f"{target.relative_to(root)} {short(ops)}")
            if tally.examples % 20 == 0:
                print(f"build: {tally.examples} examples, {tally.failed_examples} with a problem", flush=True)

        one()
    return tally


def section(label: str, args: argparse.Namespace, extract: Tally, build: Tally, seconds: float) -> str:
    def table(name: str, tally: Tally) -> list[str]:
        if not tally.examples:
            return []
        times = sorted(tally.seconds)
        exits = ", ".join(f"{k} {v}" for k, v in sorted(tally.exits.items()))
        lines = [
            f"**{name}**: {tally.examples} mutated inputs; outcomes: {exits}; "
            f"{tally.failed_examples} with a problem; seconds per run median {statistics.median(times):.2f}, "
            f"max {times[-1]:.2f} (`{tally.slowest[1]}`).",
            "",
        ]
        if tally.problems:
            lines += ["| problem | examples | first example |", "|---|---|---|"]
            for problem, count in tally.problems.most_common():
                cell = tally.first[problem].replace("|", "\\|").replace("\n", " ")
                name = problem.replace("|", "\\|")
                lines.append(f"| {name} | {count} | `{cell}` |")
            lines.append("")
        else:
            lines += ["No problem found.", ""]
        return lines

    head = [
        f"## {label}",
        "",
        f"`python bench/fuzz_pipeline.py --examples {args.examples} --build-examples {args.build_examples} "
        f"--stretch {args.stretch} --seed {args.seed} --limit {args.limit:g}`, {dt.date.today().isoformat()}, "
        f"Python {platform.python_version()}, {seconds:.0f} s.",
        "",
    ]
    return "\n".join([*head, *table("extract", extract), *table("build", build)])


def write(out: Path, label: str, text: str) -> None:
    """Put the section for ``label`` into the results file, replacing an earlier one of that label."""
    intro = (
        "# Fuzzing the pipeline with bad input\n\n"
        "`bench/fuzz_pipeline.py` (the mutations and checks of tests/test_fuzz_pipeline.py, for longer). "
        "extract: exit 0 or 1, every error naming the file and line (or refusing the whole file: empty, "
        "too large, no report year, no facts), facts citing lines of the text, no traceback, no hang "
        "(each run limited to --limit seconds). build: exit 1 naming a file and row with the previous "
        f"build untouched, or exit 0 with a whole build (each run limited to {fz.BUILD_LIMIT} s).\n"
    )
    old = out.read_text(encoding="utf-8") if out.exists() else intro
    parts = re.split(r"(?m)^(?=## )", old)
    kept = [p for p in parts[1:] if not p.startswith(f"## {label}\n")]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "\n".join(p.rstrip("\n") + "\n" for p in [parts[0].rstrip("\n") + "\n", *kept, text]), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="mutated report texts for extract")
    parser.add_argument("--build-examples", type=int, default=300, help="mutated tables for build")
    parser.add_argument("--stretch", type=int, default=5000, help="how many times a line may be repeated on itself")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=float, default=fz.EXTRACT_LIMIT, help="seconds an extract run may take")
    parser.add_argument("--label", default="latest", help="the results file's section for this run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    fz.EXTRACT_LIMIT = args.limit
    started = time.perf_counter()
    extract = fuzz_extract(args.examples, args.stretch, args.seed) if args.examples else Tally()
    print(f"extract: {extract.examples} examples, problems {dict(extract.problems)}", flush=True)
    build = fuzz_build(args.build_examples, args.seed) if args.build_examples else Tally()
    print(f"build: {build.examples} examples, problems {dict(build.problems)}", flush=True)
    write(args.out, args.label, section(args.label, args, extract, build, time.perf_counter() - started))
    print(f"wrote {args.out}")
    return 1 if extract.problems or build.problems else 0


if __name__ == "__main__":
    sys.exit(main())
