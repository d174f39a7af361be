"""The cue table: which printed words give a number its meaning.

``cues.csv`` beside this module lists every cue word with its role and meaning —
units, approximations, share and change words, directions, ranks, peaks,
subject names, section headings, words that make a number a date or a name.
Synonyms are rows of their own: a new report's wording goes in as a new row,
not as code. The rules ask this table for a role's cues (as a regular
expression, longest cue first) and for the meaning of the cue they matched.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

ROLES = (
    "unit",
    "approx",
    "numeral",
    "share",
    "whole",
    "direction",
    "base",
    "rate",
    "count",
    "rank",
    "peak",
    "subject",
    "filler",
    "part",
    "handling_part",
    "not_figure",
    "list_intro",
    "span",
    "span_after",
    "relative_year",
    "range",
    "compare",
    "event",
    "other_subject",
    "part_of_whole",
    "monthly",
    "theme_word",
    "trend_from",
    "trend_to",
    "other_rate",
    "bound",
    "bound_after",
    "rate_word",
)


@dataclass(frozen=True)
class Cues:
    """Cue → meaning per role, in the table's order (the first listed cue wins a tie)."""

    rows: dict[str, dict[str, str]] = field(default_factory=dict)

    def meaning(self, role: str, cue: str) -> str:
        """What a cue of the role means: "420.7万" is counted in 万件.

        >>> table().meaning("unit", "万")
        '万件'
        """
        return self.rows[role][cue]

    def cues(self, role: str) -> list[str]:
        return list(self.rows[role])

    def pattern(self, role: str) -> str:
        """A regular-expression alternation of the role's cues, longest first.

        >>> table().pattern("approx")
        '大约|约'
        """
        return "|".join(re.escape(c) for c in sorted(self.rows[role], key=len, reverse=True))

    def first(self, role: str, text: str) -> str | None:
        """The meaning of the first cue of the role (in table order) that occurs in the text.

        >>> table().first("peak", "薪酬纠纷问题在1月、12月为年度相对高点")
        '相对高点'
        >>> table().first("peak", "在8月份达到年度最高")
        '最高'
        """
        for cue, meaning in self.rows[role].items():
            if cue in text:
                return meaning
        return None


def parse(text: str, where: str = "cues.csv") -> Cues:
    """Read a cue table; a row with an unknown role or a repeated cue is an error naming its line."""
    rows: dict[str, dict[str, str]] = {role: {} for role in ROLES}
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or list(reader.fieldnames)[:3] != ["role", "cue", "meaning"]:
        raise ValueError(f"{where}:1: columns must start role,cue,meaning")
    for row in reader:
        role, cue = row["role"], row["cue"]
        if role not in rows:
            raise ValueError(f"{where}:{reader.line_num}: unknown role “{role}” (one of {', '.join(ROLES)})")
        if not cue or cue in rows[role]:
            raise ValueError(f"{where}:{reader.line_num}: empty or repeated cue “{cue}” for {role}")
        rows[role][cue] = row["meaning"]
    return Cues(rows)


@cache
def table() -> Cues:
    """The project's cue table (cues.csv, shipped with the package)."""
    text = resources.files("hotline_kg.extract").joinpath("cues.csv").read_text(encoding="utf-8")
    return parse(text)
