"""Account for every number in a report: used by a fact, or not a fact, or unclaimed.

Not facts are page numbers, footnote markers, chart axis labels, table row and
list numbers, dates ("2022 年", "6 月至 8 月", "24 时"), and numbers that are
part of a name ("12345 热线", "“23·7”", "7×24 小时"). Every other number must be
used by some fact; the rest is listed, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hotline_kg.extract import cues
from hotline_kg.extract.lines import (
    CHART_AXIS,
    FOOTNOTE_BODY,
    FOOTNOTE_MARKER,
    ITEM_HEADING,
    PAGE_NUMBER,
    Line,
)
from hotline_kg.extract.numbers import numerals, tokens
from hotline_kg.extract.stream import HALF_WIDTH, Stream
from hotline_kg.schema import DIGIT, DIGITS, NUMBER, UNITS


def _separated(separators: str) -> str:
    """A figure printed with thousands separators (one of the ``separators`` characters) between
    groups of three digits ("1,103.94"): a regular expression."""
    return rf"{DIGIT}{{1,3}}(?:[{separators}]{DIGIT}{{3}})+(?:\.{DIGITS})?"


#: A number of a raw line; a stray space beside its point ("53. 1", "304 .9") is read as PDF text puts it.
NUMBER_RE = re.compile(rf"{_separated(',')}|{DIGITS}(?: ?\. ?{DIGITS})?")
#: A number printed with thousands separators ("1,103.94"): listed whole, never read as its last group.
SEPARATED_RE = re.compile(rf"(?<![0-9.,，]){_separated(',，')}(?![0-9])")
#: Digits, a space, digits: one number with a stray space, or two numbers run together.
SPLIT_RE = re.compile(rf"(?<![0-9.])(?P<a>{NUMBER}) (?P<b>\.?{NUMBER})(?![0-9])")
FOOTNOTE_NUMBER_RE = re.compile(r"^\s*(\d{1,2})(?:\s|$)")
#: Whole lines whose numbers are layout, not content.
LAYOUT_KINDS = {
    PAGE_NUMBER: "page number",
    FOOTNOTE_MARKER: "footnote marker",
    CHART_AXIS: "chart axis label",
}
#: Patterns in clean text whose numbers are not figures (besides the cue table's
#: "not_figure" words that follow a number: 年, 月, 热线 …).
NOT_FIGURES = (
    (re.compile(r"(?<!\d)\d+×\d+(?=小时)"), "service hours"),  # from a number's first digit: linear
)


@cache
def _names() -> re.Pattern[str]:
    """A number in a short quoted name: “23·7” (a storm), “618”, “双 11” (shopping festivals); not
    one with a unit after it (“攻坚12条优化措施” counts 12 measures)."""
    units = cues.table().pattern("unit")
    return re.compile(rf"“[^“”0-9]{{0,6}}{DIGITS}(?:[·.]{DIGITS})?(?! ?(?:{units}))[^“”0-9]{{0,6}}”")


@cache
def _followed() -> tuple[tuple[re.Pattern[str], str], ...]:
    """A number followed by a "not_figure" cue of the cue table: a date, a name."""
    table = cues.table()
    by_why: dict[str, list[str]] = {}
    for cue in table.cues("not_figure"):
        by_why.setdefault(table.meaning("not_figure", cue), []).append(re.escape(cue))
    # from the first digit only: a match that fails there fails from any later digit too
    return tuple((re.compile(rf"(?<![0-9]){DIGITS} ?(?={'|'.join(words)})"), why) for why, words in by_why.items())


@dataclass(frozen=True)
class Number:
    """A number in the raw file, where it is and why it is not a fact."""

    line: int
    column: int
    text: str
    why: str = ""
    page: int | None = None


@cache
def _words_re() -> re.Pattern[str]:
    """A figure in words: before 倍 or 成 ("两倍", "近三成"), before a counter ("十二个"; 一 only as a bound,
    "一个以上"), a half ("近一半"), or a word figure (翻倍)."""
    digits, words = numerals()
    # 一 alone before 个/项/条/件 is mostly "a" ("一个重要…"), not a figure
    return re.compile(
        rf"{words}|翻番|[{digits}]半|半数|[{digits}]+(?= ?[个项条件](?:以上|多|余))|"
        rf"(?:数|几)?(?:[{digits}百千]{{2,}}|[{digits}百千])(?= ?[倍成])|"
        rf"(?:数|几)?(?:[{digits}百千]{{2,}}|[{digits.replace('一', '')}百千])(?= ?[个项条件])"
    )


def numbers(lines: list[Line]) -> list[Number]:
    """Every number of the raw lines (full-width digits read as ASCII, columns kept), and every
    figure in words before 倍 or 成; a stray space beside a decimal point is PDF text's.

    >>> line = Line(1, "訴求解決率從53. 1% 提升至 96. 5% ,滿意率從 64. 6% 提升至 96. 9% 。", "text")
    >>> [n.text for n in numbers([line])]
    ['53.1', '96.5', '64.6', '96.9']
    """
    found = [
        Number(line.no, m.start(), re.sub("[ ,]", "", m.group()), page=line.page)
        for line in lines
        for pattern in (NUMBER_RE, _words_re())
        for m in pattern.finditer(line.text.translate(HALF_WIDTH))
    ]
    return sorted(found, key=lambda n: (n.line, n.column))


def reasons(stream: Stream) -> dict[tuple[int, int], str]:
    """(line, column) → why, for numbers no measure can hold: a unit that is not a unit of the
    facts table ("万名", "亿元", "成"), and digits split by a space ("2 143")."""
    found: dict[tuple[int, int], str] = {}
    for tok in tokens(stream.whole()):
        if tok.unit and tok.unit not in UNITS:
            found[tok.place] = f"unit {tok.unit} is not a unit of requests or of any measure of the facts table"
    for m in SEPARATED_RE.finditer(stream.text):
        found[stream.where[m.start()]] = f"printed with thousands separators (“{m.group()}”): not read"
    for m in SPLIT_RE.finditer(stream.text):
        for part in ("a", "b"):
            found[stream.where[m.start(part)]] = f"digits split by a space (“{m.group()}”): not read as one number"
    return found


def not_figures(lines: list[Line], streams: list[Stream]) -> dict[tuple[int, int], str]:
    """(line, column) → why, for numbers that are layout, dates or names.

    >>> lines = [
    ...     Line(1, "生、擅自改变房屋结构等问题。此外，受“23·7”极端强降雨影", "text"),
    ...     Line(2, "响，2023 年防灾减灾问题反映突出，随着全市着力增强防灾减灾", "text"),
    ... ]
    >>> sorted(not_figures(lines, [Stream.of(lines)]).items())
    [((1, 19), 'name of an event'), ((1, 22), 'name of an event'), ((2, 2), 'date')]
    """
    found: dict[tuple[int, int], str] = {}
    for line in lines:
        why = LAYOUT_KINDS.get(line.kind)
        if line.kind == ITEM_HEADING:
            why = "list number"
            m = NUMBER_RE.search(line.text.translate(HALF_WIDTH))
            if m:
                found[(line.no, m.start())] = why
            continue
        if line.kind == FOOTNOTE_BODY and (m := FOOTNOTE_NUMBER_RE.match(line.text)):
            found[(line.no, m.start(1))] = "footnote number"
        if why:
            for m in NUMBER_RE.finditer(line.text.translate(HALF_WIDTH)):
                found[(line.no, m.start())] = why
    for stream in streams:
        for pattern, why in (*_followed(), *NOT_FIGURES, (_names(), "name of an event")):
            for m in pattern.finditer(stream.text):
                for n in NUMBER_RE.finditer(m.group()):
                    found.setdefault(stream.where[m.start() + n.start()], why)
    return found


def unclaimed(lines: list[Line], claimed: set[tuple[int, int]], skipped: dict[tuple[int, int], str]) -> list[Number]:
    """Numbers that no fact used and that are not layout, dates or names."""
    accounted = claimed | skipped.keys()
    return [n for n in numbers(lines) if (n.line, n.column) not in accounted]
