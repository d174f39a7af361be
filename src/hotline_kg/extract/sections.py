"""Cut a classified report into blocks by its headings.

A report has numbered parts ("一、总体情况"), sub-parts ("（一）市场管理") and
list items ("1.东城区"). Each heading starts a block; the block's ``kind`` says
which sentence rules apply to it, and its ``title`` is the heading's name
(a category, a district, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline_kg.extract import cues
from hotline_kg.extract.lines import (
    HEADING,
    ITEM_HEADING,
    SUBHEADING,
    Line,
    heading_name,
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

#: Sections whose heading the cue table's "part" and "handling_part" rows name.
KNOWN = {OVERVIEW, CATEGORIES, TRENDS, HANDLING, DISTRICTS, CITY_DEPARTMENTS, STATE_OWNED_ENTERPRISES, MONTHLY_TOPICS}


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
    """The blocks of a report: the text before its first heading (the summary), then one block per
    heading, each with the kind of section its heading names.

    >>> from hotline_kg.extract.lines import classify, split_lines
    >>> lines = classify(split_lines("一、总体情况及受理特点 \\n二、群众反映前十类问题情况 \\n（一）市场管理 "))
    >>> for block in outline(lines).blocks[1:]: print(block.kind, block.title)
    overview 总体情况及受理特点
    categories 群众反映前十类问题情况
    categories 市场管理
    """
    blocks = [Block(SUMMARY)]
    warnings: list[tuple[int, str]] = []
    part = SUMMARY
    sub = SUMMARY
    for line in lines:
        s = line.stripped
        if line.kind == HEADING:
            name = heading_name(s)
            # a part of its own may also be what is usually a sub-part of the handling part
            part = sub = _lookup(name, "part") if _lookup(name, "part") != UNKNOWN else _lookup(name, "handling_part")
            if part == UNKNOWN:
                warnings.append((line.no, f"unknown section “{s}”: its figures are not extracted"))
            blocks.append(Block(part, name, line))
        elif line.kind == SUBHEADING:
            name = heading_name(s)
            sub = part
            if part == HANDLING:
                sub = _lookup(name, "handling_part")
                if sub == UNKNOWN:
                    warnings.append((line.no, f"unknown sub-section “{s}”: its figures are not extracted"))
            if part == CATEGORIES:
                name = name.removesuffix("问题").removesuffix("类")
            blocks.append(Block(sub, name, line))
        elif line.kind == ITEM_HEADING:
            name = heading_name(s)
            blocks.append(Block(sub, name, line))
        else:
            blocks[-1].lines.append(line)
    return Outline(blocks, warnings)


def _lookup(name: str, role: str) -> str:
    """The section a heading names, by the first cue of the role it contains."""
    kind = cues.table().first(role, name)
    return kind if kind in KNOWN else UNKNOWN
