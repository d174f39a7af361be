"""The fact record and the facts CSV: one row per figure stated in a report.

The columns, measures, units and subject kinds are defined in ``hotline_kg.schema``;
``COLUMNS`` (the column names) and ``MEASURES`` are re-exported here for the extractor.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from hotline_kg.schema import COLUMN_NAMES, MEASURES

#: Columns of data/facts/<year>.csv, in order (names; their definitions are hotline_kg.schema.COLUMNS).
COLUMNS = COLUMN_NAMES

__all__ = ["COLUMNS", "MEASURES", "Fact", "to_csv"]


@dataclass(frozen=True)
class Fact:
    """One stated figure. ``claims`` are the raw (line, column) places of the
    numbers this fact used (value, months, years), for the unclaimed check.
    ``source_page`` is the PDF page of ``source_line``, None where the text has no page breaks."""

    year: int
    section: str
    subject: str
    subject_kind: str
    measure: str
    value: str
    unit: str
    period: str
    source_line: int
    period_source: str
    quote: str
    relative_to: str = ""
    qualifier: str = ""
    source_page: int | None = None
    claims: frozenset[tuple[int, int]] = field(default=frozenset(), compare=False)
    order: tuple[int, ...] = field(default=(0,), compare=False)

    def brief(self) -> str:
        """The fact in one line, for examples and messages: subject, measure, value and unit,
        period, then its qualifier and what it is relative to, where it has them."""
        parts = [self.subject, self.measure, self.value, self.unit, self.period, self.qualifier]
        if self.relative_to:
            parts.append(f"relative_to {self.relative_to}")
        return " ".join(part for part in parts if part)

    def row(self) -> dict[str, str]:
        """The fact as a row of the facts table (None, a missing page, as "")."""
        return {name: "" if (v := getattr(self, name)) is None else str(v) for name in COLUMNS}


def to_csv(facts: list[Fact]) -> str:
    """The facts as CSV text (UTF-8, "\\n" line ends), in the order of the report."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for fact in sorted(facts, key=lambda f: f.order):
        writer.writerow(fact.row())
    return out.getvalue()
