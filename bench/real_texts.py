"""Score the extractor on the real published texts of tests/fixtures/real against their keys.

    python bench/real_texts.py [--heldback] [--label NAME] [-o FILE.md]

Prints (or writes) one row per text: facts written, right, wrong, the key's facts, recall,
recall of the figures stated whole in their clause, figures neither read nor listed; then
each wrong fact and each reason a number was left unclaimed, with how often. Run it with
another checkout's ``src`` first on PYTHONPATH to score older code on the same keys.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hotline_kg.extract import extract_file
from real_keys import REAL, Score, score, texts


def runs(heldback: bool) -> list[tuple[Path, str]]:
    """(folder, status) to score: the tuned texts, then (asked for) the held-back ones apart."""
    found = [(REAL, "tuned"), (REAL / "other", "tuned")]
    held = [(folder, status) for status in ("heldback", "heldback2") for folder in (REAL, REAL / "other")]
    return [*found, *held] if heldback else found


def table(scores: list[Score]) -> list[str]:
    out = [
        "| text | shape | facts | right | wrong | key facts | recall | in-clause recall | unaccounted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        recall = f"{s.recall:.0%}" if s.recall is not None else "–"
        clause = f"{s.right_in_clause}/{s.key_in_clause}" if s.key_in_clause else "–"
        refused = " (refused)" if s.refused else ""
        out.append(
            f"| {s.text.name}{refused} | {s.text.shape} | {s.facts} | {s.right} | {len(s.wrong)} | {s.key_facts} "
            f"| {recall} | {clause} | {len(s.unaccounted)} |"
        )
    total = Score(scores[0].text) if scores else None
    if total is not None:
        facts = sum(s.facts for s in scores)
        right = sum(s.right for s in scores)
        wrong = sum(len(s.wrong) for s in scores)
        key = sum(s.key_facts for s in scores)
        clause = sum(s.key_in_clause for s in scores)
        right_clause = sum(s.right_in_clause for s in scores)
        unacc = sum(len(s.unaccounted) for s in scores)
        out.append(
            f"| **all** | | {facts} | {right} | {wrong} | {key} | {right / key:.0%} | {right_clause}/{clause} "
            f"| {unacc} |"
            if key
            else f"| **all** | | {facts} | {right} | {wrong} | 0 | – | – | {unacc} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldback", action="store_true", help="score the held-back texts (both sets) too, apart")
    parser.add_argument("--label", default="", help="a name for this run")
    parser.add_argument("-o", "--output", type=Path, help="write the report here (default: stdout)")
    args = parser.parse_args()
    lines = [f"# Real texts{': ' + args.label if args.label else ''}", ""]
    for folder, status in runs(args.heldback):
        scores = [score(t, extract_file) for t in texts(folder, status)]
        lines += [f"## {folder.relative_to(REAL.parents[2])}: {status}", "", *table(scores), ""]
        wrong = [f"- {s.text.name}: {w}" for s in scores for w in s.wrong]
        if wrong:
            lines += ["Wrong facts:", "", *wrong, ""]
        missing = [f"- {s.text.name}: {u}" for s in scores for u in s.unaccounted]
        if missing:
            lines += ["Figures neither read nor listed:", "", *missing, ""]
        reasons = Counter()
        for s in scores:
            reasons.update(s.reasons)
        if reasons:
            lines += ["Unclaimed numbers by reason:", ""]
            lines += [f"- {n} × {why}" for why, n in reasons.most_common()]
            lines.append("")
    text = "\n".join(lines)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
