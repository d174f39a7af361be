"""The fact record and the facts CSV: one row per figure stated in a report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

#: Columns of data/facts/<year>.csv, in order.
COLUMNS = (
    "year",
    "section",
    "subject",
    "subject_kind",
    "measure",
    "value",
    "unit",
    "period",
    "relative_to",
    "qualifier",
    "source_line",
    "quote",
)

#: Measures a fact can state; the value's unit says how it is counted.
MEASURES = {
    "requests": "number of requests (万件 or 件)",
    "yoy_change": "year-on-year change in %, direction in qualifier (上升/下降)",
    "share": "share in % of the subject named in relative_to",
    "resolution_rate": "requests resolved, % (诉求解决率)",
    "satisfaction_rate": "requesters satisfied, % (满意率)",
    "response_rate": "requests responded to, % (响应率)",
    "growth_multiple": "growth as a multiple (倍)",
    "topics": "number of topics (个)",
    "tasks": "number of tasks completed (项)",
    "policies": "number of policies issued (项)",
    "measures": "number of measures introduced (条)",
}


@dataclass(frozen=True)
class Fact:
    """One stated figure. ``claims`` are the raw (line, column) places of the
    numbers this fact used (value, months, years), for the unclaimed check."""

    year: int
    section: str
    subject: str
    subject_kind: str
    measure: str
    value: str
    unit: str
    period: str
    source_line: int
    quote: str
    relative_to: str = ""
    qualifier: str = ""
    source_page: int | None = None
    claims: frozenset[tuple[int, int]] = field(default=frozenset(), compare=False)
    order: tuple[int, ...] = field(default=(0,), compare=False)

    def row(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in COLUMNS}


def to_csv(facts: list[Fact]) -> str:
    """The facts as CSV text (UTF-8, "\\n" line ends), in the order of the report."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for fact in sorted(facts, key=lambda f: f.order):
        writer.writerow(fact.row())
    return out.getvalue()
