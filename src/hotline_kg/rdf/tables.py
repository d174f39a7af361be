"""Tidy downloads: the observations as a table, one row per observation, built with pandas.

``dist/observations.csv`` holds every report's observations, ``dist/observations-<year>.csv``
one report's; each has CSV on the Web metadata beside it (``<name>.csv-metadata.json``) whose
``aboutUrl`` template gives each row the observation's IRI in the graph, and whose columns
map to the graph's properties. ``dist/observations.xlsx`` is the same table for spreadsheet
users: a sheet of all reports, one sheet per report, and a sheet describing the columns.

The CSVs are UTF-8 without a byte-order mark (what CSVW, pandas and the csv tools expect); a
spreadsheet that needs the mark to read Chinese gets the .xlsx instead. Cells are strings made
here, never floats: a value is its exact decimal (digits as printed, a minus sign for a fall), so the same
observations give the same bytes. Rows are in reading order: report, source line, IRI.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from hotline_kg.rdf.observations import GROWTH, MEASURES, Observation, kebab
from hotline_kg.rdf.vocab import HL, SDMX_ATTRIBUTE, SDMX_MEASURE, Site
from hotline_kg.schema import PERIOD_FORMAT, UNITS

#: The table of all reports; one report's is observations-<year>.csv.
ALL = "observations"
#: The spreadsheet of the same table.
XLSX = f"{ALL}.xlsx"
#: Separator of the list-valued columns (further lines and pages stating the same figure).
LIST_SEPARATOR = " "

MEASURE_SLUGS = tuple(sorted({kebab(m.term) for m in MEASURES.values()} | {kebab(t) for t in GROWTH.values()}))
UNIT_SLUGS = tuple(sorted(u.slug for u in UNITS.values()))


#: A 1-based line or page: xsd:integer, 1 or more, as the graph writes it (not xsd:positiveInteger, which
#: Oxigraph stores as xsd:integer).
POSITIVE_INTEGER = {"base": "integer", "minimum": 1}


@dataclass(frozen=True)
class Column:
    """A column of the observations table: its CSVW datatype, what it means, and (``rdf``) how
    it maps to the graph — CSVW ``aboutUrl``/``propertyUrl``/``valueUrl``/``lang``, templates
    with ``{base}`` (the data's base URI) and ``{hl}`` (the vocabulary namespace) to fill in."""

    name: str
    datatype: str | dict[str, Any]
    description: str
    required: bool = True
    rdf: dict[str, Any] = field(default_factory=dict)


def _one_of(names: Iterable[str]) -> str:
    return "|".join(names)


COLUMNS: tuple[Column, ...] = (
    Column(
        "observation",
        "anyURI",
        "the observation's IRI in the graph (the same as the row's aboutUrl)",
        rdf={"suppressOutput": True},
    ),
    Column(
        "report",
        {"base": "integer", "minimum": 1000, "maximum": 9999},
        "the year of the report the figure is printed in",
        rdf={"propertyUrl": "{hl}report", "valueUrl": "{base}id/report/{report}"},
    ),
    Column(
        "period",
        {"base": "string", "format": PERIOD_FORMAT},
        "the period the figure is for: a year (YYYY) or a month (YYYY-MM)",
        rdf={"suppressOutput": True},
    ),
    Column(
        "subject_code",
        {"base": "string", "format": r"[a-z0-9-]+(/[a-z0-9-]+)*"},
        "the code of what the figure is about: its path under id/ (district/110105, category/market-management)",
        rdf={"suppressOutput": True},
    ),
    Column(
        "subject",
        "anyURI",
        "the IRI of what the figure is about (a SKOS concept of the code lists)",
        rdf={"propertyUrl": "{hl}subject", "valueUrl": "{base}id/{+subject_code}"},
    ),
    Column(
        "subject_zh",
        "string",
        "the subject's Chinese label",
        rdf={"suppressOutput": True},
    ),
    Column(
        "subject_en",
        "string",
        "the subject's English label",
        rdf={"suppressOutput": True},
    ),
    Column(
        "subject_class",
        {"base": "string", "format": "[A-Z][A-Za-z]*"},
        "the subject's class in the vocabulary (District, Category, MonthlyTopic …)",
        rdf={"suppressOutput": True},
    ),
    Column(
        "measure",
        {"base": "string", "format": _one_of(MEASURE_SLUGS)},
        "what the figure measures: " + ", ".join(MEASURE_SLUGS) + " (the concept id/measure/<measure>)",
        rdf={"propertyUrl": "{hl}measure", "valueUrl": "{base}id/measure/{measure}"},
    ),
    Column(
        "value",
        "decimal",
        "the figure as an exact decimal, in the unit; a fall is negative",
        rdf={"propertyUrl": str(SDMX_MEASURE.obsValue)},
    ),
    Column(
        "unit",
        {"base": "string", "format": _one_of(UNIT_SLUGS)},
        "the unit: " + "; ".join(f"{u.slug}: {u.label_zh}, {u.label_en}" for u in UNITS.values()),
        rdf={"propertyUrl": str(SDMX_ATTRIBUTE.unitMeasure), "valueUrl": "{base}id/unit/{unit}"},
    ),
    Column(
        "cases",
        "decimal",
        "for a count of requests: the value in single cases (N 万件 → N × 10000); empty otherwise",
        required=False,
        rdf={"propertyUrl": "{hl}cases"},
    ),
    Column(
        "source_line",
        POSITIVE_INTEGER,
        "the 1-based line of the report text (data/raw) the figure is first printed on",
        rdf={"propertyUrl": "{hl}sourceLine"},
    ),
    Column(
        "source_page",
        POSITIVE_INTEGER,
        "the 1-based page of the report PDF that line is on; empty for a report text without pages",
        required=False,
        rdf={"propertyUrl": "{hl}sourcePage"},
    ),
    Column(
        "quote",
        "string",
        "the sentence (or table row) of that line the figure came from",
        rdf={"propertyUrl": "{hl}quote", "lang": "zh"},
    ),
    Column(
        "other_source_lines",
        POSITIVE_INTEGER,
        "further lines that state the same figure again, separated by spaces (their quotes are in the graph); "
        "empty if none",
        required=False,
        rdf={"propertyUrl": "{hl}sourceLine", "separator": LIST_SEPARATOR},
    ),
    Column(
        "other_source_pages",
        POSITIVE_INTEGER,
        "the pages of those lines, separated by spaces; empty if none or without pages",
        required=False,
        rdf={"propertyUrl": "{hl}sourcePage", "separator": LIST_SEPARATOR},
    ),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
#: Columns whose cells are lists (separated by LIST_SEPARATOR).
LIST_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if "separator" in c.rdf)


def csv_name(year: int | None = None) -> str:
    """observations.csv, or observations-<year>.csv for one report."""
    return f"{ALL}.csv" if year is None else f"{ALL}-{year}.csv"


def metadata_name(table: str) -> str:
    """The CSVW metadata file of a table: <table>-metadata.json (the default CSVW location)."""
    return f"{table}-metadata.json"


def observation_template(site: Site) -> str:
    """The URI template (RFC 6570) of an observation's IRI, from the row's cells: the same
    function of report, subject code, measure and period as ``Observation.path``."""
    return f"{site.base}id/obs/{{report}}/{{+subject_code}}/{{measure}}/{{period}}"


def _text(value: Decimal) -> str:
    """A decimal as it is, never in exponent form (1.4E+6)."""
    return format(value, "f")


def _whole(value: Decimal) -> Decimal:
    """A whole count as an integer decimal (as the graph's hl:cases)."""
    return Decimal(int(value)) if value == value.to_integral_value() else value


def record(site: Site, o: Observation) -> dict[str, str]:
    """One observation as a row of string cells."""
    sources = sorted(o.sources, key=lambda s: (s[0], s[1] or 0, s[2]))
    (line, page, quote), others = sources[0], sources[1:]
    cases = o.cases
    return {
        "observation": str(site.id(o.path)),
        "report": str(o.report_year),
        "period": o.period,
        "subject_code": o.subject.path,
        "subject": str(site.id(o.subject.path)),
        "subject_zh": o.subject.label_zh,
        "subject_en": o.subject.label_en,
        "subject_class": o.subject.kind,
        "measure": kebab(o.measure),
        "value": _text(o.value),
        "unit": o.unit.slug,
        "cases": "" if cases is None else _text(_whole(cases)),
        "source_line": str(line),
        "source_page": "" if page is None else str(page),
        "quote": quote,
        "other_source_lines": LIST_SEPARATOR.join(str(s[0]) for s in others),
        "other_source_pages": LIST_SEPARATOR.join(str(s[1]) for s in others if s[1] is not None),
    }


def table(site: Site, observations: Iterable[Observation]) -> pd.DataFrame:
    """The observations as a table of string cells, in reading order (report, source line, IRI)."""
    frame = pd.DataFrame([record(site, o) for o in observations], columns=list(COLUMN_NAMES), dtype=object)
    keys = {"_report": frame["report"].astype("int64"), "_line": frame["source_line"].astype("int64")}
    frame = frame.assign(**keys).sort_values(["_report", "_line", "observation"], kind="mergesort")
    return frame.drop(columns=list(keys)).reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV: UTF-8 without a byte-order mark, a header, "\\n" line ends, quoted only where needed."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def csvw_metadata(site: Site, table_name: str, title: str, years: Iterable[int]) -> dict[str, Any]:
    """The CSV on the Web description of one observations table."""
    columns = []
    fill = {"{base}": site.base, "{hl}": str(HL)}
    for c in COLUMNS:
        column: dict[str, Any] = {
            "name": c.name,
            "titles": c.name,
            "dc:description": c.description,
            "datatype": c.datatype,
            "required": c.required,
        }
        for key, value in c.rdf.items():
            if isinstance(value, str):
                for placeholder, text in fill.items():
                    value = value.replace(placeholder, text)
            column[key] = value
        columns.append(column)
    columns += [
        {"name": "type", "virtual": True, "propertyUrl": "rdf:type", "valueUrl": "qb:Observation"},
        {
            "name": "data_set",
            "virtual": True,
            "propertyUrl": "qb:dataSet",
            "valueUrl": f"{site.base}id/dataset/{{report}}",
        },
    ]
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": table_name,
        "dc:title": title,
        "dc:description": "One row per observation of the graph (qb:Observation), with its subject's code and labels, "
        "its value, unit and value in cases, and the report line it was read from. aboutUrl gives each row the "
        "observation's IRI in the graph; the columns map to the graph's properties.",
        "dc:source": [{"@id": str(site.id(f"report/{year}"))} for year in sorted(years)],
        "dialect": {"encoding": "utf-8", "header": True, "lineTerminators": ["\n"], "trim": False},
        "tableSchema": {
            "columns": columns,
            "primaryKey": "observation",
            "aboutUrl": observation_template(site),
        },
    }


def csvw_bytes(metadata: Mapping[str, Any]) -> bytes:
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with numbers as numbers, for a spreadsheet (Excel keeps numbers as doubles)."""
    out = frame.copy()
    for name in ("report", "source_line"):
        out[name] = out[name].astype("int64")
    for name in ("value", "cases"):
        out[name] = [float(v) if v else None for v in out[name]]
    out["source_page"] = [int(v) if v else None for v in out["source_page"]]
    return out


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], title: str, created: dt.date) -> bytes:
    """A workbook with one sheet per table given, then a sheet describing the columns. The
    workbook's dates are ``created`` and XlsxWriter stores its parts with fixed timestamps, so
    the same tables give the same bytes."""
    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        book = writer.book
        book.set_properties(
            {
                "title": title,
                "comments": "The same table as observations.csv (described as CSV on the Web in "
                "observations.csv-metadata.json)",
                "created": dt.datetime.combine(created, dt.time()),
            }
        )
        for name, frame in sheets.items():
            sheet_frame = spreadsheet_frame(frame)
            sheet_frame.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name]
            sheet.autofilter(0, 0, max(len(sheet_frame), 1), len(sheet_frame.columns) - 1)
            for i, column in enumerate(sheet_frame.columns):
                sheet.set_column(i, i, _width(column))
        columns = pd.DataFrame(
            [
                {"column": c.name, "datatype": c.datatype if isinstance(c.datatype, str) else c.datatype["base"]}
                | {"description": c.description}
                for c in COLUMNS
            ]
        )
        columns.to_excel(writer, sheet_name="columns", index=False, freeze_panes=(1, 0))
        writer.sheets["columns"].set_column(0, 0, 20)
        writer.sheets["columns"].set_column(1, 1, 16)
        writer.sheets["columns"].set_column(2, 2, 100)
    return buffer.getvalue()


def _width(column: str) -> int:
    if column in ("observation", "subject", "quote"):
        return 60
    if column in ("subject_code", "subject_zh", "subject_en"):
        return 32
    return max(len(column) + 2, 10)


def files(site: Site, by_year: Mapping[int, list[Observation]], created: dt.date) -> dict[str, bytes]:
    """The tidy downloads of dist/: a CSV per report and one of all, each with its CSVW metadata,
    and the workbook (sheets: all, one per report, columns)."""
    out: dict[str, bytes] = {}
    whole = table(site, (o for year in sorted(by_year) for o in by_year[year]))
    sheets = {"all": whole}
    title = "Observations of the Beijing 12345 hotline annual reports"
    tables = [(None, whole, title, sorted(by_year))]
    for year in sorted(by_year):
        part = whole[whole["report"] == str(year)].reset_index(drop=True)
        tables.append((year, part, f"Observations of the {year} report of the Beijing 12345 hotline", [year]))
        sheets[str(year)] = part
    for year, frame, table_title, years in tables:
        name = csv_name(year)
        out[name] = csv_bytes(frame)
        out[metadata_name(name)] = csvw_bytes(csvw_metadata(site, name, table_title, years))
    out[XLSX] = xlsx_bytes(sheets, title, created)
    return out


__all__ = [
    "ALL",
    "COLUMNS",
    "COLUMN_NAMES",
    "LIST_COLUMNS",
    "LIST_SEPARATOR",
    "XLSX",
    "Column",
    "csv_bytes",
    "csv_name",
    "csvw_metadata",
    "files",
    "metadata_name",
    "observation_template",
    "record",
    "table",
    "xlsx_bytes",
]
