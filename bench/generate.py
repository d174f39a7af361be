"""A synthetic cube for benchmarks: the real graph plus N more observations of the same shape.

    python bench/generate.py dist/hotline.nt.gz 100000 -o bench/synthetic-100k.nt.gz
    python bench/generate.py dist/hotline.nq.gz 100000 -o bench/synthetic-100k.nq.gz

From N-Quads (``.nq.gz``) the real quads keep their named graphs (the vocabulary's, each
report's) and the extra observations go to the default graph.

Each extra observation copies a real one (every triple: subject, measure, unit, labels,
quote …) into a synthetic year from 1000 on, with a random figure, as if the series had
run for a few hundred more years. Like a real cube it holds one observation per data set,
subject, measure and period, so the example queries meet many more rows but no
combinatorial joins. Deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
from collections import defaultdict
from pathlib import Path

BASE = "https://w3id.org/hotline-kg/"
HL = BASE + "def/hotline#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
OBS_RE = re.compile(rf"^<({re.escape(BASE)}id/obs/[^>]+)> (<[^>]+>) (.*) \.$")
#: A quad's graph, at the end of its line.
GRAPH_RE = re.compile(r" <[^<>]*> \.$")
YEAR_RE = re.compile(r"(?<=/)(2\d{3})(?=[/>-])")
FIGURES = {f"<{HL}printedValue>", "<http://purl.org/linked-data/sdmx/2009/measure#obsValue>", f"<{HL}cases>"}


def observations(text: str, quads: bool = False) -> list[list[tuple[str, str]]]:
    """The real observations, each as its (predicate, object) pairs, in a fixed order (of
    N-Quads: without their graph)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in text.splitlines():
        match = OBS_RE.match(GRAPH_RE.sub(" .", line) if quads else line)
        if match:
            found[match.group(1)].append((match.group(2), match.group(3)))
    return [sorted(found[iri]) for iri in sorted(found)]


def synthetic(template: list[tuple[str, str]], i: int, year: int, rng: random.Random) -> list[str]:
    """Observation number i: the template moved to `year`, with a new figure."""
    obs = f"<{BASE}id/obs/synthetic/{i}>"
    value = rng.randint(0, 99999) / 10
    lines = []
    for predicate, obj in template:
        if predicate in FIGURES:
            if predicate == f"<{HL}printedValue>":
                obj = f'"{value:.1f}"'
            elif predicate == f"<{HL}cases>":
                obj = f'"{int(value * 10000)}"^^<{XSD}decimal>'
            else:
                obj = f'"{value:.1f}"^^<{XSD}decimal>'
        elif obj.startswith(f"<{BASE}id/"):
            obj = YEAR_RE.sub(str(year), obj)  # data set, period, report and year-scoped subjects
        lines.append(f"{obs} {predicate} {obj} .")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    real = gzip.decompress(args.source.read_bytes()).decode("utf-8")
    templates = observations(real, quads=".nq" in args.source.name)
    rng = random.Random(12345)
    lines = [real.rstrip("\n")]
    qb = "http://purl.org/linked-data/cube#"
    years = range(1000, 1000 + -(-args.n // len(templates)))
    for year in years:
        ds = f"<{BASE}id/dataset/{year}>"
        lines.append(f"{ds} {RDF_TYPE} <{qb}DataSet> .")
        lines.append(f"{ds} <{qb}structure> <{BASE}id/structure/hotline> .")
        lines.append(f'<{BASE}id/year/{year}> <http://www.w3.org/2000/01/rdf-schema#label> "{year}"@en .')
        lines.append(f"<{BASE}id/year/{year}> {RDF_TYPE} <{HL}Year> .")
    for i in range(args.n):
        lines += synthetic(templates[i % len(templates)], i, years[i // len(templates)], rng)
    args.output.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    print(f"{args.output}: {len(lines)} triples, {len(templates)} real observations as templates")


if __name__ == "__main__":
    main()
