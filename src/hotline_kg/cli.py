"""The one command: ``hotline-kg extract|…``. I/O lives here; the steps are pure.

The graph-building modules (rdflib, pandas, pyshacl) are imported by the commands that use them,
so that ``serve`` does not carry them in memory."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline_kg import schema
from hotline_kg.extract import Extraction, ReportError, extract_file, raw, to_csv
from hotline_kg.extract.report import extract_pdf
from hotline_kg.io import write_atomic
from hotline_kg.rdf.vocab import Site
from hotline_kg.server import settings

if TYPE_CHECKING:
    from hotline_kg.server.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("load", "build", "validate"):  # each setting not given: its variable, or its default
        try:
            vars(args).update(settings.resolved(args, args.command))
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    return args.run(args)  # type: ignore[no-any-return]


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per step. The options of a setting (``server.settings``)
    come from its field: a setting not given is left None, so that its HOTLINE_KG_* variable or
    its default applies."""
    top = argparse.ArgumentParser(prog="hotline-kg", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    for add in (_extract_command, _build_command, _validate_command, _serve_command, _load_command, _site_command):
        add(commands)
    return top


def _extract_command(commands: Any) -> None:
    ex = commands.add_parser("extract", help="report text or PDF → one CSV row per stated fact")
    ex.set_defaults(run=extract)
    ex.add_argument(
        "reports",
        nargs="+",
        type=Path,
        metavar="REPORT",
        help="a report text (.txt) or PDF (.pdf; its text is kept beside it as <year>.txt), "
        "or a folder: the reports its sources.csv lists",
    )
    out = ex.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, metavar="FACTS.csv", help="write here (default: stdout)")
    out.add_argument("--out-dir", type=Path, metavar="DIR", help="write DIR/<year>.csv for each report")
    ex.add_argument(
        "--year",
        type=_year,
        metavar="YYYY",
        help="the reporting period of a text that states none (a whole calendar year); never guessed from the text",
    )
    ex.add_argument(
        "--unclaimed",
        action="store_true",
        help="list the numbers in the text that no fact used (exit 1 if any)",
    )


def _build_command(commands: Any) -> None:
    bd = commands.add_parser("build", help="facts + code lists + ontology → dist/ (graphs, dumps, VoID/DCAT)")
    bd.set_defaults(run=build)
    bd.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    bd.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    bd.add_argument(
        "--site", action="store_true", help="then write the static site into OUT/site/ (as `hotline-kg site` does)"
    )
    settings.add_options(bd, "build")


def _validate_command(commands: Any) -> None:
    vd = commands.add_parser("validate", help="check RDF against shapes/ (SHACL); exit 1 on any violation")
    vd.set_defaults(run=run_validate)
    vd.add_argument("data", nargs="*", type=Path, metavar="DATA", help="RDF files (default: the built graph in dist/)")
    vd.add_argument("--format", choices=("text", "turtle", "json"), default="text", help="output (default: text)")
    vd.add_argument(
        "--report", type=Path, help="write the SHACL report here (default for dist/: dist/validation-report.ttl)"
    )
    vd.add_argument("--root", type=Path, default=Path("."), help="project folder with shapes/ and ontology/")
    settings.add_options(vd, "validate")


def _serve_command(commands: Any) -> None:
    sv = commands.add_parser("serve", help="serve dist/ (or --data files): SPARQL endpoint, URIs, pages, dumps")
    sv.set_defaults(run=serve)
    settings.add_options(sv, "serve")
    sv.add_argument(
        "--named-graph",
        nargs=2,
        action="append",
        default=[],
        metavar=("IRI", "FILE"),
        help="serve the triples of FILE as the named graph IRI (repeatable; instead of dist/)",
    )


def _load_command(commands: Any) -> None:
    ld = commands.add_parser(
        "load", help="put a build into a SPARQL engine's own database folder, ready to serve with `serve --engine`"
    )
    ld.set_defaults(run=load)
    ld.add_argument("--engine", choices=("oxigraph", "virtuoso"), required=True, help="the engine")
    ld.add_argument("--location", type=Path, required=True, metavar="DIR", help="the engine's database folder")
    ld.add_argument(
        "--file",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="load these files instead of the build",
    )
    settings.add_options(ld, "load")  # --dist, and the wrapper's limits, which the engine is given as its own


def build(args: argparse.Namespace) -> int:
    """Build the graph in memory, validate it, and only then replace dist/, holding its lock
    throughout: a second build of the same folder fails at once, naming the lock file."""
    from hotline_kg.rdf import build as rdf_build
    from hotline_kg.rdf.errors import BuildError

    try:
        with rdf_build.locked(args.out):
            code = _build(args)
    except BuildError as err:  # the lock is held, or the new build cannot be written (a full disk …)
        print(f"error: {err}", file=sys.stderr)
        return 1
    if code != 0 or not args.site:
        return code
    given = argparse.Namespace(**{name: None for name in settings.options("site")})
    given.dist, given.site_dir, given.base_uri = args.out, args.out / "site", args.base_uri
    given.raw, given.queries = args.root / "data" / "raw", args.root / "queries"
    return site(given)


def _build(args: argparse.Namespace) -> int:
    from rdflib import Graph

    from hotline_kg import validate
    from hotline_kg.rdf import build as rdf_build
    from hotline_kg.rdf import dumps, integrity
    from hotline_kg.rdf.errors import BuildError

    started = time.perf_counter()
    site = _site(args)
    if site is None:
        return 2
    if args.out.exists() and not (
        args.out.is_dir() and (not any(args.out.iterdir()) or (args.out / "SHA256SUMS").exists())
    ):
        print(
            f"error: --out {args.out} exists and is not a previous build (no SHA256SUMS); not replacing it",
            file=sys.stderr,
        )
        return 2
    try:
        blocking = raw.check(args.root / "data" / "raw")
    except ReportError as err:
        blocking = [str(err)]
    if blocking:
        sys.stderr.write("".join(f"error: {problem}\n" for problem in blocking))
        print(
            f"{len(blocking)} numbers or reports block the build; nothing written, {args.out} is unchanged",
            file=sys.stderr,
        )
        return 1
    try:
        built = rdf_build.build(site, rdf_build.Inputs(args.root), last_change(args.root))
        shapes = validate.load_shapes(site, args.root / "shapes")
        metadata = Graph().parse(data=built.files["void.ttl"], format="turtle")
        units = validate.built_units(site, built.graphs, metadata)
        report = validate.validate_units(units, shapes, args.validation_cache)
    except (BuildError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        print(f"nothing written; {args.out} is unchanged", file=sys.stderr)
        return 1
    violated = integrity.check(dumps.union(site, built.graphs))
    if violated:
        sys.stderr.write("".join(f"error: {v.constraint} ({v.meaning}): {v.node}\n" for v in violated))
        print(
            f"error: {len(violated)} violations of the Data Cube integrity constraints; nothing written, "
            f"{args.out} is unchanged",
            file=sys.stderr,
        )
        return 1
    print(validate.summary(report), end="", file=sys.stderr if not report.conforms else sys.stdout)
    if not report.conforms:
        print(
            f"error: the graph does not conform to shapes/; nothing written, {args.out} is unchanged", file=sys.stderr
        )
        return 1
    files = {
        **built.files,
        "shapes.ttl": dumps.turtle(site, validate.merged(shapes)),
        "validation-report.ttl": dumps.turtle(site, validate.report_graph(site, report)),
    }
    rdf_build.write_dir(args.out, rdf_build.with_checksums(files))
    triples = {str(name).removeprefix(site.base): len(g) for name, g in built.graphs.items()}
    observations = sum(len(o) for o in built.observations.values())
    print(
        f"built {args.out}/: {sum(triples.values())} triples in {len(triples)} graphs "
        f"({', '.join(f'{k} {v}' for k, v in triples.items())}), {observations} observations, "
        f"{len(files) + 1} files, in {time.perf_counter() - started:.1f} s"
    )
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Validate dist/ (default) or the given RDF files; write and print the report."""
    from rdflib import Graph

    from hotline_kg import validate
    from hotline_kg.rdf import dumps
    from hotline_kg.rdf import graphs as rdf_graphs

    site = _site(args)
    if site is None:
        return 2
    try:
        shapes = validate.load_shapes(site, args.root / "shapes")
        if args.data:
            ontology = rdf_graphs.ontology_graph(site, args.root / "ontology" / "hotline.ttl")
            built = args.dist / "hotline.nq.gz"
            reference = validate.read_data([built])[0].get(site.graph("reference")) if built.is_file() else None
            units = validate.units_of_files(site, args.data, ontology, reference)
        else:
            named, _ = validate.read_data([args.dist / "hotline.nq.gz"])
            metadata = Graph().parse(args.dist / "void.ttl")
            units = validate.built_units(site, named, metadata)
        report = validate.validate_units(units, shapes, args.validation_cache)
    except (OSError, ValueError, SyntaxError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # rdflib's parsers raise many types for a malformed file
        print(f"error: cannot read the data: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    turtle = dumps.turtle(site, validate.report_graph(site, report))
    target = args.report or (None if args.data else args.dist / "validation-report.ttl")
    if target is not None:
        write_atomic(target, turtle)
    if args.format == "turtle":
        sys.stdout.write(turtle.decode("utf-8"))
    elif args.format == "json":
        print(validate.as_json(report))
    else:
        sys.stdout.write(validate.summary(report))
    return 0 if report.conforms else 1


def _site_command(commands: Any) -> None:
    st = commands.add_parser(
        "site", help="write the static site: every page, its twins, the dumps, SPARQL and search in the browser"
    )
    st.set_defaults(run=site)
    settings.add_options(st, "site")


def site(args: argparse.Namespace) -> int:
    """Write the static site of the build (``hotline_kg.site``): one line says what was written."""
    from pydantic import ValidationError

    from hotline_kg.server.engine import Unavailable
    from hotline_kg.server.settings import Settings
    from hotline_kg.server.views.dumps import Mismatch
    from hotline_kg.site import crawl, write

    chosen_site = _site(args)
    if chosen_site is None:
        return 2
    try:  # the crawl is one client: no rate limit; the answer cache would only hold pages once read
        chosen = Settings(
            **{**settings.given(args, "site"), "base_uri": chosen_site.base, "client_rate": 0, "cache_mb": 0}
        )
    except ValidationError as err:
        sys.stderr.write("".join(f"error: {problem}\n" for problem in settings.problems(err)))
        return 2
    for name in ("site_server", "site_url"):
        value = getattr(chosen, name)
        if value and not settings.is_web_address(value):
            print(f"error: --{name.replace('_', '-')}: not an http(s) address: {value!r}", file=sys.stderr)
            return 2
    try:
        written = write.write_site(chosen, chosen.site_dir, chosen.oxigraph_js, chosen.site_url)
    except (write.SiteError, crawl.CrawlError, Mismatch, Unavailable, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"wrote {chosen.site_dir}/: {written.files} files, {written.size / 2**20:.1f} MB, "
        f"{written.pages} pages, in {written.seconds:.1f} s"
    )
    if written.broken:
        nowhere = ", ".join(written.broken)
        print(f"note: {len(written.broken)} links of the pages lead nowhere on the server either: {nowhere}")
    return 0


def serve(args: argparse.Namespace) -> int:
    """Check what is to be served, start the engine, and serve until stopped (Ctrl+C, SIGTERM);
    one line says when it is ready, and where."""
    import uvicorn

    from hotline_kg.server import limits
    from hotline_kg.server.app import create_app, make_engine

    chosen = _serve_settings(args)
    if chosen is None:
        return 2
    problem = _serve_problem(chosen)
    if problem is None:
        try:
            engine = make_engine(chosen)
        except (ValueError, OSError) as err:
            problem = str(err)
    if problem is None and chosen.engine:
        problem = _unreachable(chosen)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    app = create_app(chosen, engine)
    config = uvicorn.Config(
        app,
        host=chosen.host,
        port=chosen.port,
        log_level="warning",
        loop="uvloop",
        http=limits.guarded(chosen),  # httptools, with time limits on headers and bodies and size caps
        # the client is the peer, unless a trusted proxy names another in X-Forwarded-For
        proxy_headers=bool(chosen.trusted_proxies),
        forwarded_allow_ips=chosen.trusted_proxies or "",
        server_header=False,
    )
    server = _Announced(config, lambda port: _ready_line(chosen, engine, app.state.build, port))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: uvicorn has shut down; as uvicorn.run, end quietly
        server.run()
    return 0


def _serve_settings(args: argparse.Namespace) -> Settings | None:
    """The settings of ``serve``: the options given over the ``HOTLINE_KG_*`` variables over the
    defaults; None (the problems printed) if any is bad."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from hotline_kg.server.settings import Settings

    site = _site(args)
    if site is None:
        return None
    named = [(iri, Path(file)) for iri, file in args.named_graph]
    try:
        return Settings(**{**settings.given(args, "serve"), "named": named, "base_uri": site.base})
    except ValidationError as err:
        sys.stderr.write("".join(f"error: {problem}\n" for problem in settings.problems(err)))
    except SettingsError as err:  # a list setting's variable that is not JSON
        print(f'error: {err} (a list is given as JSON, e.g. ["a.nt", "b.nt"])', file=sys.stderr)
    return None


def _serve_problem(chosen: Settings) -> str | None:
    """Why what ``chosen`` says to serve cannot be served (a file missing, a build that does not
    match its checksums …), or None."""
    named = chosen.named
    bad = [iri for iri, _ in named if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$", iri)]
    if bad:
        return f"--named-graph: {', '.join(bad)} is not an absolute IRI"
    given = [*chosen.data, *(path for _, path in named)]
    if chosen.engine and given:
        return "--engine serves a remote endpoint: give it without --data or --named-graph"
    if chosen.engine and not re.match(r"^https?://", chosen.engine):
        return f"--engine: {chosen.engine} is not an http(s) URL of a SPARQL endpoint"
    missing = [] if chosen.engine else [p for p in (given or [chosen.dist / "hotline.nq.gz"]) if not p.is_file()]
    if missing:
        hint = "" if given else " (run `hotline-kg build` first)"
        return f"{', '.join(map(str, missing))} not found{hint}"
    if not chosen.engine and not given:  # the build's graph is served only while it matches its checksum
        from hotline_kg.server.views.dumps import Mismatch, verify

        try:
            verify(chosen.dist, "hotline.nq.gz")
        except (Mismatch, OSError) as err:
            return f"{err}; not serving {chosen.dist}"
    return None


def _unreachable(chosen: Settings) -> str | None:
    """Why the remote engine cannot be reached (one line, before the server starts), or None."""
    from hotline_kg.server.engine import RemoteEngine, Unavailable

    assert chosen.engine is not None
    url = chosen.engine

    async def reach() -> None:
        probe = RemoteEngine(url, 1, chosen.timeout, chosen.max_rows)
        await probe.start()
        await probe.stop()

    try:
        asyncio.run(reach())
    except Unavailable as err:
        return f"--engine: {err}"
    return None


def _ready_line(chosen: Settings, engine: Any, build: str, port: int) -> str:
    """What ``serve`` prints once it answers: where, what it serves, and how to stop it."""
    host = f"[{chosen.host}]" if ":" in chosen.host else chosen.host
    if chosen.engine:
        what = f"the SPARQL endpoint {chosen.engine}"
    else:
        files = ", ".join(map(str, [*chosen.data, *(p for _, p in chosen.named)] or [chosen.dist]))
        where = "in memory" if engine.location is None else "on disk"
        what = f"{files} ({engine.size()} triples; Oxigraph {where}, {chosen.workers} workers)"
    return f"hotline-kg: serving {what}, build {build}, at http://{host}:{port}/ — Ctrl+C to stop"


class _Announced:
    """A uvicorn server that prints one line once it is ready (its lifespan done, its socket bound),
    with the port it listens on (``--port 0``: the one the system gave)."""

    def __new__(cls, config: Any, line: Callable[[int], str]) -> Any:
        import uvicorn

        class Announced(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:
                    bound = [s.getsockname()[1] for server in self.servers for s in server.sockets]
                    print(line(bound[0] if bound else config.port), flush=True)

        return Announced(config)


def load(args: argparse.Namespace) -> int:
    from hotline_kg.server.engine import local

    files = args.file or [args.dist / "hotline.nq.gz"]
    missing = [p for p in files if not p.is_file()]
    if missing:
        hint = "" if args.file else " (run `hotline-kg build` first)"
        print(f"error: {', '.join(map(str, missing))} not found{hint}", file=sys.stderr)
        return 2
    try:
        if args.engine == "oxigraph":
            local.load_oxigraph(args.location, files)
            command = local.oxigraph_command(args.location, "127.0.0.1", 7878, args.timeout)
            url = "http://127.0.0.1:7878/query"
        else:
            local.load_virtuoso(args.location, files, args.timeout, args.max_rows)
            local.virtuoso_config(args.location, 1111, 8890, args.timeout, args.max_rows)
            command = local.virtuoso_command(args.location)
            url = "http://127.0.0.1:8890/sparql"
    except (RuntimeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"loaded {', '.join(map(str, files))} into {args.location}; serve it with\n  {' '.join(command)}")
    print(f"and the pages and endpoint over it with\n  hotline-kg serve --engine {url}")
    return 0


def _site(args: argparse.Namespace) -> Site | None:
    try:
        return Site(args.base_uri or settings.default_base())
    except ValueError as err:
        print(f"error: --base-uri: {err}", file=sys.stderr)
        return None


def last_change(root: Path) -> dt.date:
    """The date of the last commit touching the inputs (the same for every build of a commit)."""
    from hotline_kg.rdf.metadata import ISSUED

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
        return ISSUED  # outside a git checkout: deterministic, never today's date


def extract(args: argparse.Namespace) -> int:
    try:
        debug = settings.read("debug")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    reports = _report_paths(args.reports)
    if reports is None:
        return 1
    if args.output and len(reports) > 1:
        print("error: hotline-kg extract: -o takes one report; use --out-dir for several", file=sys.stderr)
        return 2
    status = 0
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    for path, listed_year in reports:
        year = args.year or listed_year  # a text that states no reporting period takes the year given for it
        try:
            if path.suffix.lower() == ".pdf":
                result, text = extract_pdf(path, year)
                try:
                    write_atomic(result.path, text)
                    print(f"{path}: its text is kept in {result.path}", file=sys.stderr)
                except OSError as err:  # a read-only folder: the facts still come, their lines uncitable
                    print(f"{path}: warning: cannot keep its text in {result.path}: {err.strerror}", file=sys.stderr)
            else:
                result = extract_file(path, year)
        except ReportError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        except Exception as err:  # a bug, not bad input: still one line, never a traceback
            if debug:
                raise
            print(
                f"error: {path}: the extractor failed ({type(err).__name__}: {err}); "
                "set HOTLINE_KG_DEBUG=1 for details",
                file=sys.stderr,
            )
            status = 2
            continue
        status = max(status, _report_extraction(args, result))
    if args.out_dir and not args.unclaimed:
        schema.write_csvw_metadata(args.out_dir)  # the tables' CSV on the Web description lists each year
    return status


def _year(text: str) -> int:
    """A --year: a calendar year of four digits."""
    if not re.fullmatch(r"[0-9]{4}", text):
        raise argparse.ArgumentTypeError(f"“{text}” is not a year of four digits (YYYY)")
    return int(text)


def _report_paths(given: list[Path]) -> list[tuple[Path, int | None]] | None:
    """The reports named, each with the year sources.csv lists for it (None for a file named
    alone), a folder standing for the reports its sources.csv lists."""
    paths: list[tuple[Path, int | None]] = []
    for path in given:
        if path.is_dir():
            try:
                paths += [(file, year) for year, file in raw.reports(path)]
            except ReportError as err:
                print(f"error: {err}", file=sys.stderr)
                return None
        else:
            paths.append((path, None))
    return paths


def _report_extraction(args: argparse.Namespace, result: Extraction) -> int:
    """Print warnings and unclaimed numbers, write the facts; the exit status for this report."""
    path = result.path
    for line, message in result.warnings:
        print(f"{path}:{line}: warning: {message}", file=sys.stderr)
    listing = "".join(f"{path}:{n.line}:{n.column + 1}: unclaimed number {n.text}: {n.why}\n" for n in result.unclaimed)
    counts = f"{path}: {len(result.facts)} facts, {len(result.unclaimed)} unclaimed numbers"
    if args.unclaimed:
        sys.stdout.write(listing)
        print(counts, file=sys.stderr)
        return 1 if result.unclaimed else 0
    if result.refused:
        sys.stderr.write(listing)
        print(f"error: {path}: {result.refused}; its {len(result.unclaimed)} numbers are listed above", file=sys.stderr)
        return 1
    if not result.facts:
        sys.stderr.write(listing)
        print(f"error: {path}: no facts found; {len(result.unclaimed)} unclaimed numbers listed above", file=sys.stderr)
        return 1
    if result.unclaimed:
        print(
            f"{counts} (listed by --unclaimed): `hotline-kg build` refuses the report until each is read "
            f"by a rule or accepted with a reason in data/raw/{raw.ACCEPTED}",
            file=sys.stderr,
        )
    csv_text = to_csv(result.facts)
    if args.out_dir and result.year is None:
        print(
            f"error: {path}: the text states no reporting period, so it has no <year>.csv; give --year YYYY "
            "or write its facts with -o",
            file=sys.stderr,
        )
        return 1
    if args.out_dir:
        write_atomic(args.out_dir / f"{result.year}.csv", csv_text)
    elif args.output:
        write_atomic(args.output, csv_text)
    else:
        sys.stdout.write(csv_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
