"""The monthly-topic table (每月一题): one row per topic, read line by line.

In PDF text a row comes out as its row number, the topic name (sometimes on
two lines), the topic's total and, in some years, the three units that
handled most of it, each with its count:

    1 老楼加装电梯
    N
    朝阳区 N
    …

The header ("序号 问题 …") repeats after each page break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hotline_kg.extract.collect import Collector, Subject
from hotline_kg.extract.lines import TABLE, Line

ROW_START_RE = re.compile(r"^(?P<n>\d{1,2})(?:\s+(?P<name>\S.*))?$")
TOTAL_RE = re.compile(r"^\d+$")
HANDLER_RE = re.compile(r"^(?P<name>[^\d\s]\S*?)\s*(?P<v>\d+)$")
NUMBER_RE = re.compile(r"\d+")


@dataclass
class Row:
    number: int
    name_lines: list[tuple[Line, int]] = field(default_factory=list)  # (line, column of the name)
    total: tuple[Line, int] | None = None
    handlers: list[tuple[Line, str, int]] = field(default_factory=list)  # (line, name, column)

    @property
    def name(self) -> str:
        return "".join(re.sub(r"\s+", "", line.text[col:]) for line, col in self.name_lines)

    def quote(self) -> str:
        parts = [str(self.number), self.name]
        if self.total:
            parts.append(self.total[0].stripped)
        parts += [line.stripped for line, _, _ in self.handlers]
        return " ".join(parts)


def topic_table(col: Collector, section: str, lines: list[Line]) -> None:
    """Add a fact for each topic's total and each handler's count."""
    rows = _rows(col, [line for line in lines if line.kind == TABLE])
    for row in rows:
        if not row.total:
            col.warn(row.name_lines[0][0].no if row.name_lines else 0, f"topic row {row.number} has no total")
            continue
        topic = Subject(row.name, "monthly_topic", TOPICS_NAME)
        name_numbers = [
            (line.no, col_ + m.start()) for line, col_ in row.name_lines for m in NUMBER_RE.finditer(line.text[col_:])
        ]
        total_line, total_col = row.total
        col.add(
            section,
            topic,
            "requests",
            total_line.stripped,
            "件",
            row.quote(),
            place=(total_line.no, total_col),
            also=name_numbers,
        )
        for line, handler, v_col in row.handlers:
            col.add(
                section,
                Subject(f"{row.name}/{handler}", "topic_handler", row.name),
                "requests",
                line.text[v_col:].strip(),
                "件",
                row.quote(),
                place=(line.no, v_col),
            )


TOPICS_NAME = "每月一题"


def _rows(col: Collector, lines: list[Line]) -> list[Row]:
    rows: list[Row] = []
    expected = 1
    in_header = True
    for line in lines:
        s = line.stripped
        indent = len(line.text) - len(line.text.lstrip())
        start = ROW_START_RE.match(s)
        if s.startswith("序号"):
            in_header = True
            continue
        if start and int(start.group("n")) == expected and (in_header or not rows or rows[-1].total):
            row = Row(expected)
            col.not_a_fact((line.no, indent), "table row number")
            if start.group("name"):
                row.name_lines.append((line, indent + start.start("name")))
            rows.append(row)
            expected += 1
            in_header = False
            continue
        if in_header or not rows:
            continue
        row = rows[-1]
        if row.total is None:
            if TOTAL_RE.match(s):
                row.total = (line, indent)
            else:
                row.name_lines.append((line, indent))
        elif m := HANDLER_RE.match(s):
            row.handlers.append((line, m.group("name"), indent + m.start("v")))
        else:
            col.warn(line.no, f"table line not understood: “{s}”")
    return rows
