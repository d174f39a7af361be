"""The data in notebooks: pandas DataFrames of the observations table and of SPARQL SELECT results.

``observations(dist)`` reads dist/observations.csv (or a report's table, or the same file from
a server's /dumps/) into typed columns. ``select(endpoint, query)`` runs a SELECT query on a
SPARQL endpoint and ``results_frame(json)`` turns SPARQL JSON results into a DataFrame, each
column typed by the datatypes of its values.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from hotline_kg import formats
from hotline_kg.rdf.tables import COLUMN_NAMES, LIST_COLUMNS, LIST_SEPARATOR, csv_name

__all__ = ["observations", "results_frame", "select"]

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
INTEGER_TYPES = frozenset(
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
#: Columns of the observations table that are categories.
CATEGORIES = ("subject_class", "measure", "unit")
#: Columns of the observations table that are text.
TEXTS = ("observation", "subject_code", "subject", "subject_zh", "subject_en", "quote")


# --- the observations table ---------------------------------------------------------------------


def observations(dist: str | Path = "dist", *, report: int | None = None, exact: bool = True) -> pd.DataFrame:
    """The observations table of a build as a DataFrame, one row per observation.

    ``dist`` is the build's folder, or the URL the files are served at (a server's
    ``…/dumps``); ``report`` picks one report's table. Columns: ``report``, ``source_line``
    int64; ``source_page`` Int64 (missing without pages); ``period`` a ``pandas.Period`` of
    a year or a month; ``value`` and ``cases`` exact ``Decimal`` (``float`` if ``exact`` is
    false; ``cases`` missing where the figure is not a count of requests); ``measure``,
    ``unit``, ``subject_class`` categories; ``other_source_lines`` / ``other_source_pages``
    tuples of ints; IRIs, codes, labels and quotes strings."""
    name = csv_name(report)
    where = str(dist)
    source = f"{where.rstrip('/')}/{name}" if where.startswith(("http://", "https://")) else Path(dist) / name
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(table.columns) != COLUMN_NAMES:
        raise ValueError(f"{source}: columns must be {', '.join(COLUMN_NAMES)}")
    return typed(table, exact=exact)


def typed(table: pd.DataFrame, *, exact: bool = True) -> pd.DataFrame:
    """The observations table of string cells (as in the CSV) with typed columns."""
    number = Decimal if exact else float
    out = pd.DataFrame(index=table.index)
    for name in COLUMN_NAMES:
        cells = table[name]
        if name in ("report", "source_line"):
            out[name] = cells.astype("int64")
        elif name == "source_page":
            out[name] = pd.array([int(c) if c else None for c in cells], dtype="Int64")
        elif name == "period":
            out[name] = pd.Series([pd.Period(c, freq="Y" if len(c) == 4 else "M") for c in cells], dtype=object)
        elif name in ("value", "cases"):
            values = [number(c) if c else None for c in cells]
            out[name] = pd.Series(values, dtype=object if exact else "float64", index=table.index)
        elif name in CATEGORIES:
            out[name] = cells.astype("category")
        elif name in LIST_COLUMNS:
            out[name] = pd.Series([tuple(int(v) for v in c.split(LIST_SEPARATOR) if v) for c in cells], dtype=object)
        else:
            out[name] = cells.astype("string")
    return out


# --- SPARQL SELECT results ----------------------------------------------------------------------


def select(endpoint: str, query: str, *, timeout: float = 30, exact: bool = True) -> pd.DataFrame:
    """Run a SELECT query on a SPARQL endpoint (the SPARQL Protocol, by POST) and return
    its results as a DataFrame (``results_frame``)."""
    body = urllib.parse.urlencode({"query": query}).encode("utf-8")
    request = urllib.request.Request(
        endpoint,
        data=body,
        headers={
            "Accept": formats.SPARQL_JSON.media,
            "Content-Type": formats.FORM,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return results_frame(response.read(), exact=exact)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:500]
        raise ValueError(f"{endpoint} answered {exc.code} {exc.reason}: {detail}") from exc


def results_frame(results: Mapping[str, Any] | str | bytes, *, exact: bool = True) -> pd.DataFrame:
    """SPARQL JSON results of a SELECT query (a dict, or its JSON text) as a DataFrame: one
    column per variable, in the order of ``head.vars``, typed by the values' datatypes —
    xsd:integer and its subtypes Int64, xsd:decimal ``Decimal`` (``float`` if ``exact`` is false;
    with integers too), xsd:double/float float64 (with integers and decimals too),
    xsd:boolean boolean, xsd:date and xsd:dateTime datetime64, xsd:gYear and xsd:gYearMonth
    ``pandas.Period``; IRIs, blank nodes ("_:b0") and other literals strings. An unbound value is
    missing. A column whose values have different kinds keeps each value converted on its own.
    ``frame.attrs["datatypes"]`` gives each column's datatype IRIs (``"iri"``, ``"bnode"``)."""
    doc = json.loads(results) if isinstance(results, str | bytes) else results
    if "boolean" in doc:
        raise ValueError("an ASK result, not a SELECT result")
    try:
        names = list(doc["head"]["vars"])
        rows = doc["results"]["bindings"]
    except (KeyError, TypeError) as exc:
        raise ValueError("not SPARQL JSON results of a SELECT query (head.vars, results.bindings)") from exc
    frame = pd.DataFrame(index=range(len(rows)))
    datatypes: dict[str, list[str]] = {}
    for name in names:
        cells = [_term(row.get(name), exact) for row in rows]
        frame[name] = _column(cells, exact)
        datatypes[name] = sorted({kind for kind, _, _ in cells if kind})
    frame.attrs["datatypes"] = datatypes
    return frame


def _term(binding: Mapping[str, str] | None, exact: bool) -> tuple[str, str, Any]:
    """(datatype or "iri"/"bnode", kind, Python value) of one RDF term of SPARQL JSON results."""
    if binding is None:
        return ("", "none", None)
    kind, text = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return ("iri", "string", text)
    if kind == "bnode":
        return ("bnode", "string", f"_:{text}")
    datatype = binding.get("datatype") or (RDF_LANG_STRING if "xml:lang" in binding else XSD + "string")
    try:
        if datatype in INTEGER_TYPES:
            return (datatype, "integer", int(text))
        if datatype == XSD + "decimal":
            return (datatype, "decimal", Decimal(text) if exact else float(text))
        if datatype in (XSD + "double", XSD + "float"):
            return (datatype, "double", float(text))
        if datatype == XSD + "boolean":
            if text not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return (datatype, "boolean", text in ("true", "1"))
        if datatype in (XSD + "date", XSD + "dateTime"):
            return (datatype, datatype.removeprefix(XSD), pd.Timestamp(text))
        if datatype == XSD + "gYear":
            return (datatype, "period", pd.Period(text, freq="Y"))
        if datatype == XSD + "gYearMonth":
            return (datatype, "period", pd.Period(text, freq="M"))
    except (ValueError, InvalidOperation):
        return (datatype, "string", text)  # not a value of its datatype: kept as printed
    return (datatype, "string", text)


def _column(cells: list[tuple[str, str, Any]], exact: bool) -> pd.Series:
    kinds = {kind for _, kind, _ in cells} - {"none"}
    values = [value for _, _, value in cells]
    if not kinds:
        return pd.Series(values, dtype=object)
    if kinds == {"integer"}:
        return pd.Series(pd.array(values, dtype="Int64"))
    if kinds <= {"integer", "decimal"}:
        if exact:
            return pd.Series([Decimal(v) if isinstance(v, int) else v for v in values], dtype=object)
        return pd.Series([float(v) if v is not None else None for v in values], dtype="float64")
    if kinds <= {"integer", "decimal", "double"}:
        return pd.Series([float(v) if v is not None else None for v in values], dtype="float64")
    if kinds == {"boolean"}:
        return pd.Series(pd.array(values, dtype="boolean"))
    if kinds in ({"date"}, {"dateTime"}):
        try:
            return pd.Series(pd.to_datetime(values, format="ISO8601"))
        except (ValueError, TypeError):  # e.g. times in different zones
            return pd.Series(values, dtype=object)
    if kinds == {"string"}:
        return pd.Series(pd.array(values, dtype="string"))
    return pd.Series(values, dtype=object)
