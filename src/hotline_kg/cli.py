"""The one command: ``hotline-kg extract|…``. I/O lives here; the steps are pure."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from hotline_kg.extract import ReportError, extract_file, to_csv
from hotline_kg.io import write_atomic
from hotline_kg.rdf import build as rdf_build
from hotline_kg.rdf.errors import BuildError
from hotline_kg.rdf.vocab import BASE_ENV, DEFAULT_BASE, Site, default_base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline-kg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    ex = commands.add_parser("extract", help="report text → one CSV row per stated fact")
    ex.add_argument("reports", nargs="+", type=Path, metavar="REPORT.txt")
    out = ex.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, metavar="FACTS.csv", help="write here (default: stdout)")
    out.add_argument("--out-dir", type=Path, metavar="DIR", help="write DIR/<year>.csv for each report")
    ex.add_argument(
        "--unclaimed",
        action="store_true",
        help="list the numbers in the text that no fact used (exit 1 if any)",
    )
    bd = commands.add_parser("build", help="facts + code lists + ontology → dist/ (graphs, dumps, VoID/DCAT)")
    bd.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    bd.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    bd.add_argument("--base-uri", default=None, help=f"base of every URI (default: ${BASE_ENV} or {DEFAULT_BASE})")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(args)
    return extract(args)


def build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        site = Site(args.base_uri or default_base())
    except ValueError as err:
        print(f"error: --base-uri: {err}", file=sys.stderr)
        return 2
    try:
        built = rdf_build.build(site, rdf_build.Inputs(args.root), last_change(args.root))
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        print(f"nothing written; {args.out} is unchanged", file=sys.stderr)
        return 1
    rdf_build.write_dir(args.out, built.files)
    triples = {str(name).removeprefix(site.base): len(g) for name, g in built.graphs.items()}
    observations = sum(len(o) for o in built.observations.values())
    print(
        f"built {args.out}/: {sum(triples.values())} triples in {len(triples)} graphs "
        f"({', '.join(f'{k} {v}' for k, v in triples.items())}), {observations} observations, "
        f"{len(built.files)} files, in {time.perf_counter() - started:.1f} s"
    )
    return 0


def last_change(root: Path) -> dt.date:
    """The date of the last commit touching the inputs (deterministic for a checkout), else today."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", "data", "ontology"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        return dt.date.fromisoformat(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return dt.date.today()


def extract(args: argparse.Namespace) -> int:
    if args.output and len(args.reports) > 1:
        print("hotline-kg extract: -o takes one report; use --out-dir for several", file=sys.stderr)
        return 2
    status = 0
    for path in args.reports:
        try:
            result = extract_file(path)
        except ReportError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        except Exception as err:  # a bug, not bad input: still one line, never a traceback
            if os.environ.get("HOTLINE_KG_DEBUG"):
                raise
            print(
                f"error: {path}: the extractor failed ({type(err).__name__}: {err}); "
                "set HOTLINE_KG_DEBUG=1 for details",
                file=sys.stderr,
            )
            status = 2
            continue
        for line, message in result.warnings:
            print(f"{path}:{line}: warning: {message}", file=sys.stderr)
        if args.unclaimed:
            for n in result.unclaimed:
                print(f"{path}:{n.line}:{n.column + 1}: unclaimed number {n.text}")
            print(
                f"{path}: {len(result.unclaimed)} unclaimed numbers, {len(result.facts)} facts",
                file=sys.stderr,
            )
            status = max(status, 1 if result.unclaimed else 0)
            continue
        csv_text = to_csv(result.facts)
        if args.out_dir:
            write_atomic(args.out_dir / f"{result.year}.csv", csv_text)
        elif args.output:
            write_atomic(args.output, csv_text)
        else:
            sys.stdout.write(csv_text)
    return status


if __name__ == "__main__":
    sys.exit(main())
