"""Cut a classified report into blocks by its headings.

A report has numbered parts ("一、总体情况"), sub-parts ("（一）市场管理") and
list items ("1.东城区"). Each heading starts a block; the block's ``kind`` says
which sentence rules apply to it, and its ``title`` is the heading's name
(a category, a district, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline_kg.extract.lines import (
    HEADING,
    HEADING_RE,
    ITEM_HEADING,
    ITEM_HEADING_RE,
    SUBHEADING,
    SUBHEADING_RE,
    Line,
)

SUMMARY = "summary"
OVERVIEW = "overview"
CATEGORIES = "categories"
TRENDS = "trends"
HANDLING = "handling"
DISTRICTS = "districts"
CITY_DEPARTMENTS = "city_departments"
STATE_OWNED_ENTERPRISES = "state_owned_enterprises"
MONTHLY_TOPICS = "monthly_topics"
UNKNOWN = "unknown"

#: Part headings, recognised by a key phrase (first match wins).
PARTS = (
    ("总体情况", OVERVIEW),
    ("前十类", CATEGORIES),
    ("特征", TRENDS),
    ("办理情况", HANDLING),
)
#: Sub-part headings of the handling part.
HANDLING_PARTS = (
    ("每月一题", MONTHLY_TOPICS),
    ("国有企业", STATE_OWNED_ENTERPRISES),
    ("市属机构", CITY_DEPARTMENTS),
    ("市级部门", CITY_DEPARTMENTS),
    ("市级机构", CITY_DEPARTMENTS),
    ("国企", STATE_OWNED_ENTERPRISES),
    ("市属", CITY_DEPARTMENTS),
    ("市级", CITY_DEPARTMENTS),
    ("街道乡镇", DISTRICTS),
    ("街乡镇", DISTRICTS),
    ("各区", DISTRICTS),
    ("区", DISTRICTS),
)


@dataclass
class Block:
    """The lines under one heading, up to the next heading of any level."""

    kind: str
    title: str = ""
    heading: Line | None = None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Outline:
    blocks: list[Block]
    #: (line, message) for headings the rules do not know.
    warnings: list[tuple[int, str]]


def outline(lines: list[Line]) -> Outline:
    blocks = [Block(SUMMARY)]
    warnings: list[tuple[int, str]] = []
    part = SUMMARY
    sub = SUMMARY
    for line in lines:
        s = line.stripped
        if line.kind == HEADING:
            name = HEADING_RE.match(s).group(2).strip()  # type: ignore[union-attr]
            part = sub = _lookup(name, PARTS)
            if part == UNKNOWN:
                warnings.append((line.no, f"unknown section “{s}”: its figures are not extracted"))
            blocks.append(Block(part, name, line))
        elif line.kind == SUBHEADING:
            name = SUBHEADING_RE.match(s).group(2).strip()  # type: ignore[union-attr]
            sub = part
            if part == HANDLING:
                sub = _lookup(name, HANDLING_PARTS)
                if sub == UNKNOWN:
                    warnings.append((line.no, f"unknown sub-section “{s}”: its figures are not extracted"))
            if part == CATEGORIES:
                name = name.removesuffix("问题").removesuffix("类")
            blocks.append(Block(sub, name, line))
        elif line.kind == ITEM_HEADING:
            name = ITEM_HEADING_RE.match(s).group(3)  # type: ignore[union-attr]
            blocks.append(Block(sub, name, line))
        else:
            blocks[-1].lines.append(line)
    return Outline(blocks, warnings)


def _lookup(name: str, table: tuple[tuple[str, str], ...]) -> str:
    for phrase, kind in table:
        if phrase in name:
            return kind
    return UNKNOWN
