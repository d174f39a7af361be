"""Score the extractor on real published texts against their hand-written keys
(tests/fixtures/real/README.md): wrong facts, recall, and numbers left unaccounted for.

A fact is right when the key has a row at its line with its value whose ``expect`` is
``fact`` and whose subject, measure, unit and period (and, for a share, the whole it is
of) are the fact's. Any other fact is wrong. A figure of the key (``fact`` or
``unclaimed``) is accounted for when it is a right fact or the extractor lists it as
unclaimed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline_kg.extract import Extraction, ReportError

REAL = Path(__file__).parent / "fixtures" / "real"
COMPARED = ("subject", "measure", "unit", "period")
#: Full-width digits and point, as a key writes them in ASCII.
ASCII = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"．": "."})


@dataclass(frozen=True)
class Text:
    name: str
    path: Path
    key: Path
    status: str  # tuned | heldback
    shape: str
    url: str


@dataclass
class Score:
    text: Text
    facts: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    key_facts: int = 0
    key_in_clause: int = 0
    right_in_clause: int = 0
    key_figures: int = 0
    unaccounted: list[str] = field(default_factory=list)
    refused: str = ""
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def recall(self) -> float | None:
        return self.right / self.key_facts if self.key_facts else None

    @property
    def precision(self) -> float | None:
        return self.right / self.facts if self.facts else None


def texts(folder: Path = REAL, status: str = "tuned") -> list[Text]:
    """The texts of one status (``tuned`` or ``heldback``) a folder's sources.csv lists
    (missing files are an error, not a skip)."""
    found = []
    with (folder / "sources.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"] != status:
                continue
            path = folder / row["file"]
            key = path.with_name(path.stem + "-key.csv")
            if not path.is_file() or not key.is_file():
                raise FileNotFoundError(f"{folder / 'sources.csv'}: {row['file']} or its key is missing")
            found.append(Text(path.stem, path, key, row["status"], row["shape"], row["url"]))
    return found


def key_rows(text: Text) -> list[dict[str, str]]:
    with text.key.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["value"] = row["value"].strip().translate(ASCII)
    return rows


def score(text: Text, run: Callable[[Path], Extraction]) -> Score:
    """Run the extractor (``run``) on a text and score it against the key."""
    result = Score(text)
    try:
        extraction = run(text.path)
        facts, unclaimed = extraction.facts, extraction.unclaimed
        result.refused = getattr(extraction, "refused", "")  # older code raised instead
    except ReportError as err:
        facts, unclaimed, result.refused = [], [], err.message
    rows = key_rows(text)
    open_rows = list(rows)
    result.facts = len(facts)
    result.key_facts = sum(r["expect"] == "fact" for r in rows)
    result.key_in_clause = sum(r["expect"] == "fact" and r["in_clause"] == "yes" for r in rows)
    right_rows: list[dict[str, str]] = []
    for fact in facts:
        row = fact.row()
        here = [r for r in open_rows if r["line"] == row["source_line"] and r["value"] == row["value"]]
        match = next((r for r in here if r["expect"] == "fact" and _same(r, row)), None)
        if match is None:
            said = here[0] if here else None
            why = (
                "not in the key"
                if said is None
                else f"key says {said['expect']} ({said['reason']})"
                if said["expect"] != "fact"
                else "key: " + " ".join(said[c] for c in COMPARED)
            )
            got = " ".join(row[c] for c in COMPARED)
            result.wrong.append(f"line {row['source_line']} {row['value']}: {got} — {why}")
            continue
        open_rows.remove(match)
        right_rows.append(match)
        result.right += 1
        result.right_in_clause += match["in_clause"] == "yes"
    listed = [(str(n.line), n.text) for n in unclaimed]
    for n in unclaimed:
        reason = getattr(n, "why", "") or "(no reason)"
        result.reasons[reason] = result.reasons.get(reason, 0) + 1
    for row in rows:
        if row["expect"] not in ("fact", "unclaimed"):
            continue
        result.key_figures += 1
        if any(row is r for r in right_rows):
            continue
        if (row["line"], row["value"]) in listed:
            listed.remove((row["line"], row["value"]))
            continue
        result.unaccounted.append(f"line {row['line']} {row['value']} ({row['expect']})")
    return result


def _same(key: dict[str, str], fact: dict[str, str]) -> bool:
    if any(key[c] != fact[c] for c in COMPARED):
        return False
    return fact["measure"] != "share" or key["relative_to"] == fact["relative_to"]
