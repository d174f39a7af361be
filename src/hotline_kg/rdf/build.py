"""`hotline-kg build`: facts + code lists + ontology → dist/.

Reads data/facts/*.csv, data/reference/*.csv, data/raw/sources.csv and
ontology/hotline.ttl; writes the graphs as dumps with VoID/DCAT metadata and
SHA256SUMS. Everything is computed in memory first; dist/ is replaced in one
rename at the end, so a failed build leaves the previous dist/ as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from hotline_kg.rdf import dumps, tables
from hotline_kg.rdf.errors import BuildError
from hotline_kg.rdf.graphs import Source, ontology_graph, reference_graph, report_graph
from hotline_kg.rdf.metadata import metadata_graph
from hotline_kg.rdf.observations import Observation, observations, read_facts, subject_codes
from hotline_kg.rdf.reference import Code, load
from hotline_kg.rdf.vocab import Site


@dataclass(frozen=True)
class Inputs:
    """Where the build reads from, relative to the project root."""

    root: Path

    @property
    def facts(self) -> list[Path]:
        return sorted((self.root / "data" / "facts").glob("*.csv"))

    @property
    def reference(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def sources(self) -> Path:
        return self.root / "data" / "raw" / "sources.csv"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "hotline.ttl"


@dataclass(frozen=True)
class Built:
    """The graphs of a build (graph name → graph) and the files made from them."""

    graphs: dict[URIRef, Graph]
    files: dict[str, bytes]
    observations: dict[int, list[Observation]]


def build_graphs(site: Site, inputs: Inputs) -> tuple[dict[URIRef, Graph], dict[int, list[Observation]], Graph]:
    """All named graphs, in a fixed order: ontology, reference, then one per report."""
    if not inputs.ontology.exists():
        raise BuildError(inputs.ontology, None, "ontology missing")
    try:
        ontology = ontology_graph(site, inputs.ontology)
    except Exception as exc:  # rdflib raises several types for bad Turtle
        raise BuildError(inputs.ontology, None, f"not valid Turtle: {exc}") from exc
    ref = load(inputs.reference)
    sources = read_sources(inputs.sources)
    if not inputs.facts:
        raise BuildError(inputs.root / "data" / "facts", None, "no facts tables (run hotline-kg extract)")
    by_year: dict[int, list[Observation]] = {}
    codes: dict[str, Code] = dict(ref.codes)
    for path in inputs.facts:
        rows = read_facts(path)
        years = {row["year"] for _, row in rows}
        if len(years) != 1:
            raise BuildError(path, None, f"a facts table holds one report year, found {sorted(years)}")
        year = int(years.pop())
        if year not in sources:
            raise BuildError(inputs.sources, None, f"no row for {year}, the year of {path}")
        if year in by_year:
            raise BuildError(path, None, f"a second facts table for {year}")
        for line, row in rows:
            for code in subject_codes(path, line, row, ref):
                codes.setdefault(code.path, code)
        by_year[year] = observations(path, rows, ref)
    periods = sorted(
        {o.period for obs in by_year.values() for o in obs}
        | {o.base_period for obs in by_year.values() for o in obs if o.base_period}
        | {str(y) for y in sources}
    )
    graphs = {
        site.graph("ontology"): ontology,
        site.graph("reference"): reference_graph(
            site,
            sorted(codes.values(), key=lambda c: c.path),
            ref.close_matches,
            periods,
            [sources[y] for y in sorted(sources)],
        ),
    }
    for year in sorted(by_year):
        graphs[site.graph(f"report/{year}")] = report_graph(site, ontology, sources[year], by_year[year])
    return graphs, by_year, ontology


def build(site: Site, inputs: Inputs, modified: dt.date) -> Built:
    """The graphs and the data files of dist/, in memory (SHA256SUMS comes last: `with_checksums`)."""
    graphs, by_year, _ = build_graphs(site, inputs)
    whole = dumps.union(site, graphs)
    files: dict[str, bytes] = {
        "hotline.ttl": dumps.turtle(site, whole),
        "hotline.nt.gz": dumps.gz(("\n".join(dumps.ntriples_lines(whole)) + "\n").encode("utf-8")),
        "hotline.nq.gz": dumps.gz(dumps.nquads(graphs)),
        "hotline.jsonld": dumps.jsonld(site, graphs, dumps.jsonld_context(site, graphs[site.graph("ontology")])),
        "ontology.ttl": dumps.turtle(site, graphs[site.graph("ontology")]),
    }
    for year in sorted(by_year):
        files[f"report-{year}.ttl"] = dumps.turtle(site, graphs[site.graph(f"report/{year}")])
    files.update(tables.files(site, by_year, modified))  # observations CSVs, their CSVW metadata, the .xlsx
    sources = read_sources(inputs.sources)
    examples = [site.id("category/market-management"), site.id("district/110108")]
    examples += [site.id(obs[0].path) for _, obs in sorted(by_year.items()) if obs][:1]
    meta = metadata_graph(
        site,
        graphs,
        whole,
        files,
        [sources[y] for y in sorted(sources)],
        modified,
        [e for e in examples if (e, None, None) in whole],
    )
    files["void.ttl"] = dumps.turtle(site, meta)
    return Built(graphs, files, by_year)


def with_checksums(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files plus SHA256SUMS over all of them."""
    return {**files, "SHA256SUMS": dumps.sha256sums({k: v for k, v in files.items() if k != "SHA256SUMS"})}


def read_sources(path: Path) -> dict[int, Source]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            out = {}
            for row in reader:
                try:
                    out[int(row["year"])] = Source(
                        int(row["year"]),
                        row["file"],
                        row["sha256"],
                        row["title_zh"],
                        row["title_en"],
                        row["publisher_zh"],
                        row["publisher_en"],
                    )
                except (KeyError, ValueError) as exc:
                    raise BuildError(path, reader.line_num, f"incomplete row: {exc}") from exc
            return out
    except FileNotFoundError as exc:
        raise BuildError(path, None, "missing") from exc


def write_dir(out: Path, files: dict[str, bytes]) -> None:
    """Replace ``out`` with a directory of exactly these files, in one rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        old = out.parent / f".{out.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
