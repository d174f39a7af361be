"""Facts-table rows → observations: a pure function of the facts and the code lists.

A figure enters here as a row of data/facts/<year>.csv and leaves as an
``Observation``: its period, subject code and measure (which make its URI), its
value as a decimal (signed for a fall), the printed figure and unit, and the
lines (and PDF pages, where known) it was read from. A figure the report states
twice (“N.0 万件” and “约 N 万件”) is one observation with two sources; two
different values for one observation are an error. What the columns, measures
and units mean is defined in ``hotline_kg.schema``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from hotline_kg.rdf.errors import BuildError, read_table
from hotline_kg.rdf.reference import Code, Reference
from hotline_kg.schema import (
    APPROXIMATE,
    COLUMN_NAMES,
    FALL,
    GROWTH,
    MAX_FIGURE_DIGITS,
    MEASURE_UNITS,
    MEASURES,
    NUMBER_FORMAT,
    PERIOD_FORMAT,
    PERIOD_SOURCES,
    UNITS,
    WORDS,
    Unit,
)

# The facts table's measures, units and figures in words are defined in hotline_kg.schema;
# MEASURES, GROWTH, UNITS, Unit and WORDS are re-exported here for the graph.
__all__ = [
    "GROWTH",
    "MEASURES",
    "UNITS",
    "WORDS",
    "Observation",
    "Unit",
    "kebab",
    "observations",
    "parse_value",
    "period_path",
    "read_facts",
    "subject_codes",
]

PERIOD_RE = re.compile(f"^({PERIOD_FORMAT})$")
YEAR_RE = re.compile("[0-9]{4}")
#: Characters no cell holds: control characters (a page break or a line break inside a quote is
#: removed by the extractor).
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: A share or rate is at most this many per cent; a change falls by at most this many.
PERCENT = 100
#: The most digits of a line or page number (a report has a few hundred lines).
MAX_DIGITS = 9
NUMBER_RE = re.compile(NUMBER_FORMAT)
NAME_KINDS = ("hotline", "district_group", "district", "category", "channel", "disposition", "theme")


@dataclass(frozen=True)
class Observation:
    """One figure of one report, ready to become triples."""

    report_year: int
    period: str  # "2024" or "2024-11"
    subject: Code
    measure: str  # local name of the hl: measure property
    value: Decimal
    printed: str
    unit: Unit
    sources: tuple[tuple[int, int | None, str], ...]  # (source line, source page or None, quote)
    period_sources: tuple[str, ...]  # where the period was stated (schema.PERIOD_SOURCES), once per source
    approximate: bool = False
    share_of: str = ""  # path of the whole
    base_period: str = ""
    qualifiers: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"obs/{self.report_year}/{self.subject.path}/{kebab(self.measure)}/{self.period}"

    @property
    def cases(self) -> Decimal | None:
        if self.measure != "requests" or self.unit.cases is None:
            return None
        return self.value * self.unit.cases


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def period_path(period: str) -> str:
    return f"year/{period}" if len(period) == 4 else f"month/{period}"


def read_facts(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a facts table with their line numbers; the header must be the documented one,
    and every row of one report year."""
    header, rows = read_table(path)
    if tuple(header) != COLUMN_NAMES:
        raise BuildError(path, 1, f"columns must be {','.join(COLUMN_NAMES)}")
    if not rows:
        raise BuildError(path, 1, "no facts under the header")
    for line, row in rows:
        for column, cell in row.items():
            if m := CONTROL_RE.search(cell):
                raise BuildError(path, line, f"{column} holds a control character (U+{ord(m.group()):04X})")
        if not YEAR_RE.fullmatch(row["year"]):
            raise BuildError(path, line, f"year must be a number: “{row['year']}”")
        if row["year"] != rows[0][1]["year"]:
            raise BuildError(
                path, line, f"a facts table holds one report year: {row['year']} here, {rows[0][1]['year']} above"
            )
    return rows


def observations(path: Path, rows: Iterable[tuple[int, dict[str, str]]], ref: Reference) -> list[Observation]:
    """Turn the rows of one facts table into observations (merged where a figure is stated twice)."""
    found: dict[str, tuple[Observation, int]] = {}
    for line, row in rows:
        obs = _observation(path, line, row, ref)
        if obs.path in found:
            first, first_line = found[obs.path]
            if first.value != obs.value or first.unit != obs.unit:
                raise BuildError(
                    path,
                    line,
                    f"{row['subject']} {row['measure']} {row['period']} is {obs.printed} {obs.unit.label_zh} "
                    f"here but {first.printed} {first.unit.label_zh} at row {first_line}",
                )
            obs = replace(
                first,
                sources=first.sources + obs.sources,
                period_sources=tuple(dict.fromkeys(first.period_sources + obs.period_sources)),
                approximate=first.approximate and obs.approximate,
                qualifiers=tuple(dict.fromkeys(first.qualifiers + obs.qualifiers)),
            )
            found[obs.path] = (obs, first_line)
        else:
            found[obs.path] = (obs, line)
        _check_quote(path, line, row)
    return [obs for obs, _ in found.values()]


def subject_codes(path: Path, line: int, row: dict[str, str], ref: Reference) -> list[Code]:
    try:
        return ref.resolve(row["subject"], row["subject_kind"], int(row["year"]))
    except KeyError as exc:
        raise BuildError(path, line, f"{exc.args[0]} is not in the reference data (data/reference/*.csv)") from exc


def _observation(path: Path, line: int, row: dict[str, str], ref: Reference) -> Observation:
    if not YEAR_RE.fullmatch(row["year"]):
        raise BuildError(path, line, f"year must be a number: “{row['year']}”")
    if not PERIOD_RE.match(row["period"]):
        raise BuildError(path, line, f"period must be YYYY or YYYY-MM: “{row['period']}”")
    unit = UNITS.get(row["unit"])
    if unit is None:
        raise BuildError(path, line, f"unknown unit “{row['unit']}” (one of {' '.join(UNITS)})")
    qualifiers = tuple(row["qualifier"].split())
    measure = _measure(path, line, row, qualifiers)
    value = parse_value(row["value"])
    if value is None:
        raise BuildError(path, line, f"malformed value “{row['value']}”: not a number")
    _check_figure(path, line, row, value)
    if measure == "yoyChange" and FALL & set(qualifiers):
        value = -value
    codes = subject_codes(path, line, row, ref)
    share_of = base_period = ""
    if row["relative_to"]:
        if PERIOD_RE.match(row["relative_to"]):
            base_period = row["relative_to"]
        else:
            share_of = _whole(path, line, row["relative_to"], ref)
    source_line = _positive(path, line, row, "source_line")
    source_page = _positive(path, line, row, "source_page") if row["source_page"] else None
    return Observation(
        report_year=int(row["year"]),
        period=row["period"],
        subject=codes[-1],
        measure=measure,
        value=value,
        printed=row["value"],
        unit=unit,
        sources=((source_line, source_page, row["quote"]),),
        period_sources=(_period_source(path, line, row),),
        approximate=APPROXIMATE in qualifiers,
        share_of=share_of,
        base_period=base_period,
        qualifiers=tuple(q for q in qualifiers if q != APPROXIMATE),
    )


def _period_source(path: Path, line: int, row: dict[str, str]) -> str:
    if row["period_source"] not in PERIOD_SOURCES:
        raise BuildError(
            path, line, f"period_source must be one of {' '.join(PERIOD_SOURCES)}: “{row['period_source']}”"
        )
    return row["period_source"]


def _check_figure(path: Path, line: int, row: dict[str, str], value: Decimal) -> None:
    """What the shapes check of one figure, checked here so that the error names its row: its unit
    fits its measure, it has a bounded number of digits, a per cent is within bounds, a month is
    of the report's year (and ``_check_quote``: it is printed in its quote)."""
    units = MEASURE_UNITS.get(row["measure"], ())
    if units and row["unit"] not in units:
        raise BuildError(
            path, line, f"unit “{row['unit']}” does not fit the measure {row['measure']} ({' '.join(units)})"
        )
    if sum(ch.isdigit() for ch in row["value"]) > MAX_FIGURE_DIGITS:
        raise BuildError(path, line, f"value “{row['value']}” has more than {MAX_FIGURE_DIGITS} digits")
    if row["unit"] == "%" and value > PERCENT and row["measure"] != "yoy_change":
        raise BuildError(path, line, f"a {row['measure']} of {row['value']}% is more than {PERCENT}%")
    if row["measure"] == "yoy_change" and value > PERCENT and FALL & set(row["qualifier"].split()):
        raise BuildError(path, line, f"a fall of {row['value']}% is more than {PERCENT}%")
    for column in ("period", "relative_to"):
        if len(row[column]) == len("YYYY-MM") and PERIOD_RE.match(row[column]) and row[column][:4] != row["year"]:
            raise BuildError(path, line, f"{column} {row[column]} is a month of another year than the report's")


def _check_quote(path: Path, line: int, row: dict[str, str]) -> None:
    """The printed figure occurs in the quote (shapes/consistency.ttl, PrintedIsQuoted)."""
    printed = re.escape(row["value"])
    if not re.search(rf"(?:^|[^0-9.]){printed}(?:[^0-9.]|[.][^0-9]|[.]$|$)", row["quote"]):
        raise BuildError(path, line, f"value “{row['value']}” does not occur in its quote")


def _positive(path: Path, line: int, row: dict[str, str], column: str) -> int:
    text = row[column]
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS or int(text) < 1:
        raise BuildError(path, line, f"{column} must be a positive whole number: “{text}”")
    return int(text)


def _measure(path: Path, line: int, row: dict[str, str], qualifiers: tuple[str, ...]) -> str:
    """The ontology term of the row's measure (a growth multiple's by its base period or basis)."""
    measure = MEASURES.get(row["measure"])
    if measure is None:
        raise BuildError(path, line, f"unknown measure “{row['measure']}”")
    if measure.name == "growth_multiple" and not row["relative_to"]:
        basis = next((q for q in qualifiers if q in GROWTH), "")
        return GROWTH[basis]
    return measure.term


def parse_value(printed: str) -> Decimal | None:
    """The printed figure as a decimal: digits as they are, a figure in words by its value."""
    if printed in WORDS:
        return Decimal(WORDS[printed])
    if not NUMBER_RE.fullmatch(printed):
        return None
    try:
        return Decimal(printed)
    except InvalidOperation:
        return None


def _whole(path: Path, line: int, name: str, ref: Reference) -> str:
    for kind in NAME_KINDS:
        if (kind, name) in ref.by_name:
            return ref.by_name[(kind, name)]
    raise BuildError(path, line, f"relative_to “{name}” is not in the reference data")
