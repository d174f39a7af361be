"""A synthetic cube for benchmarks: the real graph plus N more observations of the same shape.

    python bench/generate.py dist/hotline.nt.gz 100000 -o bench/synthetic-100k.nt.gz

Extra observations reuse the real subjects, measures and units, in years 1900-1999 of
one synthetic data set each, so the example queries meet many more rows. Deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
from pathlib import Path

BASE = "http://127.0.0.1:8000/"
HL = BASE + "def/hotline#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SUBJECT_RE = re.compile(rf"<{re.escape(HL)}subject> <([^>]+)>")
MEASURE_RE = re.compile(rf"<{re.escape(HL)}measure> <([^>]+)>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    real = gzip.decompress(args.source.read_bytes()).decode("utf-8")
    subjects = sorted(set(SUBJECT_RE.findall(real)))
    measures = sorted(set(MEASURE_RE.findall(real)))
    rng = random.Random(12345)
    lines = [real.rstrip("\n")]
    qb = "http://purl.org/linked-data/cube#"
    for year in range(1900, 2000):
        ds = f"<{BASE}id/dataset/{year}>"
        lines.append(f"{ds} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{qb}DataSet> .")
        lines.append(f"{ds} <{qb}structure> <{BASE}id/structure/hotline> .")
        lines.append(f'<{BASE}id/year/{year}> <http://www.w3.org/2000/01/rdf-schema#label> "{year}"@en .')
        lines.append(f"<{BASE}id/year/{year}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{HL}Year> .")
    for i in range(args.n):
        year = 1900 + i % 100
        subject, measure = rng.choice(subjects), rng.choice(measures)
        obs = f"<{BASE}id/obs/synthetic/{i}>"
        value = f"{rng.randint(0, 99999) / 10:.1f}"
        lines += [
            f"{obs} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{qb}Observation> .",
            f"{obs} <{qb}dataSet> <{BASE}id/dataset/{year}> .",
            f"{obs} <{HL}refPeriod> <{BASE}id/year/{year}> .",
            f"{obs} <{HL}subject> <{subject}> .",
            f"{obs} <{HL}measure> <{measure}> .",
            f"{obs} <{HL}report> <{BASE}id/report/{year}> .",
            f'{obs} <http://purl.org/linked-data/sdmx/2009/measure#obsValue> "{value}"^^<{XSD}decimal> .',
            f'{obs} <{HL}printedValue> "{value}" .',
            f'{obs} <{HL}sourceLine> "{1 + i % 700}"^^<{XSD}positiveInteger> .',
        ]
    args.output.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    print(f"{args.output}: {len(lines)} triples")


if __name__ == "__main__":
    main()
