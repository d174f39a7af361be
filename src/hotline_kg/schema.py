"""The facts table's schema, defined once: columns, measures, units, subject kinds, figures in words.

The extractor writes data/facts/<year>.csv with these columns (``hotline_kg.extract.facts``);
the build reads it back and turns measures, units and kinds into ontology terms
(``hotline_kg.rdf.observations``, ``hotline_kg.rdf.reference``). Both take the definitions from
here, and so does the CSV on the Web description of the tables, data/facts/facts.csv-metadata.json
(``csvw_metadata``; regenerate it with ``python -m hotline_kg.schema data/facts``).

A value is a figure printed in digits (``NUMBER``) or in words (``WORDS``):

>>> [bool(re.fullmatch(NUMBER, printed)) for printed in ("5742.8", "20.3", "13", "翻倍")]
[True, True, True, False]
>>> [bool(re.fullmatch(VALUE_FORMAT, printed)) for printed in ("5742.8", "八", "翻倍")]
[True, True, True]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline_kg.io import write_atomic

# --- units ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit a figure is printed in; ``cases`` is the number of single cases per unit, for counts of requests."""

    slug: str  # its code: id/unit/<slug>
    label_zh: str
    label_en: str
    cases: int | None


#: printed unit (the ``unit`` column) → unit
UNITS: dict[str, Unit] = {
    "万件": Unit("ten-thousand-cases", "万件", "ten thousand cases", 10000),
    "件": Unit("cases", "件", "cases", 1),
    "%": Unit("percent", "%", "per cent", None),
    "倍": Unit("times", "倍", "times (multiple)", None),
    "个": Unit("ge", "个", "items (个)", None),
    "项": Unit("xiang", "项", "items (项)", None),
    "条": Unit("tiao", "条", "items (条)", None),
}

# --- values -----------------------------------------------------------------------------------

#: Figures printed in words → their value (翻倍, "doubled", is a growth multiple of 1).
WORDS: dict[str, int] = {
    "翻倍": 1,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
#: A digit of a printed figure: ASCII (the extractor reads full-width digits as ASCII ones first).
DIGIT = "[0-9]"
#: A run of digits: a figure's whole part, or its decimal part after the point.
DIGITS = f"{DIGIT}+"
#: A figure printed in digits: digits, optionally a decimal point and more digits; no sign (a fall is a
#: qualifier). The one definition of a printed figure: the extractor's patterns that read one are built
#: from it, so it has no capturing group of its own.
NUMBER = rf"{DIGITS}(?:\.{DIGITS})?"
#: The same, as the ``value`` column's format (a CSVW format is an XML Schema regular expression,
#: which has no ``(?:…)``). The shapes, which cannot import it, spell it out (shapes/core.ttl,
#: printed value; shapes/consistency.ttl, ValueIsPrinted): tests/test_schema_sources.py checks them.
NUMBER_FORMAT = NUMBER.replace("(?:", "(")
#: A year, or a month as YYYY-MM.
PERIOD_FORMAT = r"[0-9]{4}(-(0[1-9]|1[0-2]))?"


def _one_of(names: Iterable[str]) -> str:
    """A regular expression matching exactly one of the names."""
    return "|".join(re.escape(name) for name in names)


#: The ``value`` column: digits, or a figure in words.
VALUE_FORMAT = f"{NUMBER_FORMAT}|{_one_of(WORDS)}"

# --- measures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """What a figure measures. ``term`` is its local name in the ontology (camelCase): the
    observation's measure is the concept id/measure/<term in kebab-case>."""

    name: str  # as in the ``measure`` column
    term: str
    description: str


_MEASURES = (
    Measure("requests", "requests", "number of requests (万件 or 件)"),
    Measure("yoy_change", "yoyChange", "year-on-year change in %, direction in qualifier (上升/下降)"),
    Measure("share", "share", "share in % of the subject named in relative_to"),
    Measure("resolution_rate", "resolutionRate", "requests resolved, % (诉求解决率)"),
    Measure("satisfaction_rate", "satisfactionRate", "requesters satisfied, % (满意率)"),
    Measure("response_rate", "responseRate", "requests responded to, % (响应率)"),
    Measure(
        "growth_multiple",
        "growthMultiple",
        "growth as a multiple (倍) from the period in relative_to; without one, year-on-year "
        "or period-on-period by its qualifier (同比/环比)",
    ),
    Measure("topics", "topicCount", "number of topics (个)"),
    Measure("tasks", "taskCount", "number of tasks completed (项)"),
    Measure("policies", "policyCount", "number of policies issued (项)"),
    Measure("measures", "measureCount", "number of measures introduced (条)"),
)
#: measure (the ``measure`` column) → measure
MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURES}
#: measure → the units a figure of it is printed in. The build checks each row against it
#: (``hotline_kg.rdf.observations``), the extractor reads a count of requests or of the topic programme's
#: items by it (``hotline_kg.extract.rules``); shapes/consistency.ttl (UnitFitsMeasure) spells it out,
#: and tests/test_schema_sources.py checks that it agrees.
MEASURE_UNITS: dict[str, tuple[str, ...]] = {
    "requests": ("万件", "件"),
    "yoy_change": ("%",),
    "share": ("%",),
    "resolution_rate": ("%",),
    "satisfaction_rate": ("%",),
    "response_rate": ("%",),
    "growth_multiple": ("倍",),
    "topics": ("个",),
    "tasks": ("项",),
    "policies": ("项",),
    "measures": ("条",),
}
#: Where a figure's period was read → what that means: the figure's own clause, an earlier clause of
#: its sentence, the heading of its part, the report's stated reporting period (a whole calendar year).
PERIOD_SOURCES: dict[str, str] = {
    "clause": "the figure's own clause states it",
    "sentence": "an earlier clause of the figure's sentence states it",
    "heading": "the heading of the figure's part states it",
    "report": "the report's stated reporting period (or the year given to the extractor)",
}
#: The most digits a printed figure has (so that its value and its count in single cases stay exact).
MAX_FIGURE_DIGITS = 15
#: A growth multiple without a base period (relative_to): its basis qualifier → ontology term.
GROWTH: dict[str, str] = {"": "yoyGrowthMultiple", "同比": "yoyGrowthMultiple", "环比": "periodGrowthMultiple"}
#: The qualifier that makes a year-on-year change a fall (a negative value).
FALL: frozenset[str] = frozenset({"下降"})
#: The qualifier of an approximate figure.
APPROXIMATE = "约"

# --- subject kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectKind:
    """What kind of thing a figure is about, and where its codes come from."""

    name: str  # as in the ``subject_kind`` column
    code_class: str  # ontology class (hl:…) of the codes of its list
    path: str  # URI path prefix of its codes under id/
    listed_in: str  # its code list in data/reference ("" if its codes are made of others')
    description: str


_KINDS = (
    SubjectKind("hotline", "Hotline", "hotline", "subjects.csv", "the hotline as a whole (12345热线)"),
    SubjectKind(
        "disposition", "Disposition", "disposition", "subjects.csv", "how requests were dealt with (诉求派单 …)"
    ),
    SubjectKind("channel", "Channel", "channel", "channels.csv", "a channel requests came in by (电话渠道 …)"),
    SubjectKind("theme", "Theme", "theme", "subjects.csv", "a theme the report counts requests of (企业来电 …)"),
    SubjectKind("category_group", "CategoryGroup", "category-group", "subjects.csv", "categories taken together"),
    SubjectKind("category", "Category", "category", "categories.csv", "a request category"),
    SubjectKind("subcategory", "Subcategory", "category", "subcategories.csv", "a subcategory: Category/Subcategory"),
    SubjectKind(
        "district_group", "DistrictGroup", "district-group", "subjects.csv", "districts taken together (十六区)"
    ),
    SubjectKind("district", "District", "district", "districts.csv", "a district of Beijing"),
    SubjectKind(
        "district_part",
        "AdministrativeLevel",
        "level",
        "subjects.csv",
        "a district's part: District/区级部门 or District/街道乡镇 (its level is listed; the part is a district body)",
    ),
    SubjectKind("city_department", "CityDepartment", "handler", "handlers.csv", "a municipal department or body"),
    SubjectKind(
        "state_owned_enterprise", "StateOwnedEnterprise", "handler", "handlers.csv", "a state-owned enterprise"
    ),
    SubjectKind("topic_program", "TopicProgramme", "programme", "subjects.csv", "the 每月一题 programme"),
    SubjectKind(
        "monthly_topic", "MonthlyTopic", "topic", "topics.csv", "a monthly topic (每月一题) of the report's year"
    ),
    SubjectKind("topic_handler", "TopicHandling", "topic", "", "a topic's handler: Topic/Handler"),
)
#: subject kind (the ``subject_kind`` column) → subject kind
SUBJECT_KINDS: dict[str, SubjectKind] = {k.name: k for k in _KINDS}

# --- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the facts table. ``datatype`` is a CSVW (XML Schema) datatype; ``format`` is
    the regular expression a whole string value matches; an empty cell is a missing value,
    allowed only where the column is not ``required``."""

    name: str
    datatype: str
    description: str
    required: bool = True
    format: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def csvw(self) -> dict[str, Any]:
        """The column as a CSVW column description."""
        datatype: dict[str, Any] = {"base": self.datatype}
        if self.format:
            datatype["format"] = self.format
        if self.minimum is not None:
            datatype["minimum"] = self.minimum
        if self.maximum is not None:
            datatype["maximum"] = self.maximum
        return {
            "name": self.name,
            "titles": self.name,
            "dc:description": self.description,
            "datatype": datatype if len(datatype) > 1 else self.datatype,
            "required": self.required,
            "null": "",
        }


#: Columns of data/facts/<year>.csv, in order.
COLUMNS: tuple[Column, ...] = (
    Column(
        "year",
        "integer",
        "the report's year: its stated reporting period; for a text that states none, the year of the figure's "
        "own period",
        minimum=1000,
        maximum=9999,
    ),
    Column(
        "section",
        "string",
        "the part of the report the figure is printed in (summary, overview, categories, districts, …)",
        format="[a-z][a-z_]*",
    ),
    Column(
        "subject",
        "string",
        "what the figure is about, in Chinese as printed; a subcategory as Category/Subcategory, a district's "
        "part as District/区级部门 or District/街道乡镇, a topic's handler as Topic/Handler",
    ),
    Column(
        "subject_kind",
        "string",
        "the kind of subject: " + "; ".join(f"{k.name}: {k.description}" for k in _KINDS),
        format=_one_of(SUBJECT_KINDS),
    ),
    Column(
        "measure",
        "string",
        "what the figure measures: " + "; ".join(f"{m.name}: {m.description}" for m in _MEASURES),
        format=_one_of(MEASURES),
    ),
    Column(
        "value",
        "string",
        "the figure exactly as printed: digits with an optional decimal part (trailing zeros kept, as in “N.0”), "
        "or a figure in words ("
        + ", ".join(f"{word} = {n}" for word, n in WORDS.items())
        + "); never signed, a fall is a qualifier",
        format=VALUE_FORMAT,
    ),
    Column(
        "unit",
        "string",
        "the unit as printed: " + "; ".join(f"{zh}: {u.label_en}" for zh, u in UNITS.items()),
        format=_one_of(UNITS),
    ),
    Column("period", "string", "the year (YYYY), or the month (YYYY-MM) of a monthly figure", format=PERIOD_FORMAT),
    Column(
        "period_source",
        "string",
        "where the period was read: " + "; ".join(f"{k}: {v}" for k, v in PERIOD_SOURCES.items()),
        format=_one_of(PERIOD_SOURCES),
    ),
    Column(
        "relative_to",
        "string",
        "for a share: the whole it is a share of (a subject as printed); for a growth multiple: the base period; "
        "empty otherwise",
        required=False,
    ),
    Column(
        "qualifier",
        "string",
        "printed words that qualify the value, separated by spaces: 上升/下降 (direction of a change), 约 "
        "(approximately), 最多/最少/其次 (ranking), 最高/相对高点 (a monthly peak), 同比/环比 (basis); empty if none",
        required=False,
        format=r"\S+( \S+)*",
    ),
    Column("source_line", "positiveInteger", "the 1-based line of the figure in the report text (data/raw)"),
    Column(
        "source_page",
        "positiveInteger",
        "the 1-based page of the PDF the figure was printed on; empty when the report text carries no page "
        "breaks (form feeds)",
        required=False,
    ),
    Column(
        "quote",
        "string",
        "the sentence (or table row) the figure came from, with PDF line breaks and spaces removed",
    ),
)
#: Column names, in order: the header of a facts table.
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)

# --- CSV on the Web ---------------------------------------------------------------------------

#: The CSVW metadata file beside the facts tables.
METADATA_FILE = "facts.csv-metadata.json"
#: A facts table's file name: <year>.csv.
TABLE_RE = re.compile(r"[0-9]{4}\.csv")


def table_schema() -> dict[str, Any]:
    """The CSVW table schema every facts table shares."""
    return {"columns": [c.csvw() for c in COLUMNS]}


def csvw_metadata(tables: Iterable[str]) -> dict[str, Any]:
    """The CSVW table group describing the facts tables named (file names beside the metadata
    file, e.g. "2024.csv"), each with the shared table schema.

    >>> [table["url"] for table in csvw_metadata(["2024.csv", "2022.csv"])["tables"]]
    ['2022.csv', '2024.csv']
    >>> csvw_metadata(["facts.csv"])
    Traceback (most recent call last):
    ValueError: not a facts table name (<year>.csv): facts.csv
    """
    names = sorted(set(tables))
    bad = [name for name in names if not TABLE_RE.fullmatch(name)]
    if bad:
        raise ValueError(f"not a facts table name (<year>.csv): {', '.join(bad)}")
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "dc:title": "Facts of the Beijing 12345 citizen-service hotline annual reports",
        "dc:description": "One row per figure a report states, with the line (and page) it came from. "
        "Generated from hotline_kg.schema: do not edit by hand.",
        "dialect": {"encoding": "utf-8", "header": True, "lineTerminators": ["\n"], "trim": False},
        "tables": [
            {
                "url": name,
                "dc:title": f"Facts of the {name.removesuffix('.csv')} report",
                "tableSchema": table_schema(),
            }
            for name in names
        ],
    }


def facts_tables(folder: Path) -> list[str]:
    """The facts tables in a folder: <year>.csv, sorted."""
    return sorted(p.name for p in folder.iterdir() if TABLE_RE.fullmatch(p.name))


def csvw_text(tables: Iterable[str]) -> str:
    """The metadata file's text, as committed."""
    return json.dumps(csvw_metadata(tables), ensure_ascii=False, indent=2) + "\n"


def write_csvw_metadata(folder: Path) -> Path:
    """Write (or rewrite) the CSVW metadata of the facts tables in ``folder``; returns its path."""
    path = folder / METADATA_FILE
    write_atomic(path, csvw_text(facts_tables(folder)))
    return path


def main(argv: list[str] | None = None) -> int:
    """python -m hotline_kg.schema [FOLDER]: write FOLDER/facts.csv-metadata.json (default data/facts)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "data/facts")
    print(write_csvw_metadata(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
