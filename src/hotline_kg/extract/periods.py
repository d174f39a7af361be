"""The period of a figure, read from the words of the text, never assumed.

A figure's period is the last period phrase before it in its sentence ("2023年，…",
"2024年1月1日0时至2024年12月31日24时"); else the one of its heading; else the
report's own stated reporting period; else it has none, and the figure is left
unclaimed. The phrase must name one calendar year (or, for a monthly figure, one
month of one year). Spans are never dated to a year: a date range other than a
whole year, a day, first-N-months, a half-year, a quarter, "since", cumulative, per
day, a forecast, a relative year (今年) — each makes its figures unclaimed, with
the span named in the reason.

The words are data (``cues.csv``): ``span`` (a span or count over time: 累计, 日均,
上半年, 个月 …), ``span_after`` (after a date: 以来, 起, 底 …), ``relative_year``
(今年, 去年 …), ``range`` (至, 到, - between two dates), ``compare`` (较, 比 …, and the
``base`` words 同比, 环比 … before a year that is a comparison's base, not a period),
``event`` (后, 实施, 开展 …: "5月正式推广后" is the time of an event, not the period of the
figures after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from hotline_kg.extract import cues
from hotline_kg.extract.stream import CLAUSE_SEPARATORS, SENTENCE_END
from hotline_kg.schema import PERIOD_SOURCES

#: Where a figure's period was read (``schema.PERIOD_SOURCES``): its clause, its sentence, its heading,
#: the report's stated period.
CLAUSE, SENTENCE, HEADING, REPORT = PERIOD_SOURCES
#: What ends a clause for a period: the stream's clause separators, the full stop, a label's colon.
CLAUSE_ENDS = CLAUSE_SEPARATORS + SENTENCE_END + "：:"
#: A year followed by another in a list ("2022年和2023年", "2022、2023年"): neither is the period.
LIST_NEXT = re.compile(r"(?:和|、|与|及) ?[0-9]{4}")
DATE = r"(?:(?P<y>\d{4}) ?年(?:度)?)?(?:(?P<m>\d{1,2}) ?月份?(?:(?P<d>\d{1,2}) ?[日号])?)?(?:\d{1,2} ?时)?"


@dataclass(frozen=True)
class Phrase:
    """A period phrase of a text: where it is, and the year (and month) it names, or why it names none."""

    start: int
    end: int
    year: int | None = None
    month: int | None = None
    why: str = ""  # a span or a day: the reason its figures are not read
    event: bool = False  # the time of an event ("2023年推广…后"), not itself the period of what follows


@dataclass(frozen=True)
class Period:
    """A figure's period (``YYYY`` or ``YYYY-MM``) and where it was read."""

    value: str
    source: str


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    t = cues.table()
    date = re.compile(rf"(?<![0-9])(?=[0-9])(?:{DATE})")
    words = re.compile(rf"{t.pattern('span')}|{t.pattern('relative_year')}")
    after = re.compile(rf"(?:{t.pattern('span_after')})(?![一二三四五六七八九十两0-9])")  # not "2023年前十类"
    compare = re.compile(rf"(?:{t.pattern('compare')}|{t.pattern('base')})(?:于)?$")
    range_ = re.compile(rf" ?(?:{t.pattern('range')}) ?(?=[0-9])")
    range_before = re.compile(rf"[0-9][年月日号]?(?:{t.pattern('span_after')})? ?(?:{t.pattern('range')}) ?$")
    listed = re.compile(r"[0-9] ?年?(?:和|、|与|及)$")  # "2022年和2023年", "2022、2023年"
    return date, words, after, compare, range_, range_before, listed


@lru_cache(maxsize=256)
def phrases(text: str) -> tuple[Phrase, ...]:
    """The period phrases of a text, in order (comparison bases left out; events marked). Every
    figure of a sentence asks for its sentence's phrases: they are read once per sentence.

    >>> [(p.year, p.why) for p in phrases("2024年1月1日0时至2024年12月31日24时，12345热线共受理群众反映5742.8万件")]
    [(2024, '')]
    >>> [(p.year, p.why) for p in phrases("网络渠道受理量占比快速上升，由2021年的43.19%提升至2022年的88.68%")]
    [(2021, ''), (2022, '')]
    >>> [p.why for p in phrases("房屋修缮类问题6月至9月反映较为集中")]
    ['period 6月至9月 is a range of dates, not one year or month']
    >>> phrases("今年以来，公共安全类反映量持续高位运行")[0].why
    'period 今年 is a year named relative to when the text was written, not stated'
    """
    date_re, words_re, after_re, compare_re, range_re, range_before, listed = _patterns()
    t = cues.table()
    found: list[Phrase] = []
    pos = 0
    while (m := date_re.search(text, pos)) is not None:
        pos = max(m.end(), m.start() + 1)
        if not (m.group("y") or m.group("m")):
            continue  # a time of day alone ("24时")
        phrase, end = _date(m), m.end()
        r = range_re.match(text, end)
        if r and (second := date_re.match(text, r.end())) and (second.group("y") or second.group("m")):
            phrase, end = _range(m, second, text[m.start() : second.end()]), second.end()
            pos = end
        elif range_before.search(text, 0, m.start()):
            phrase = Phrase(m.start(), end, why=f"period …{text[m.start() : end]} is the end of a range, not one year")
        elif listed.search(text, 0, m.start()) or LIST_NEXT.match(text, end):
            phrase = Phrase(m.start(), end, why=f"period {text[m.start() : end]} is one of a list of years")
        if compare_re.search(text, 0, m.start()):
            continue  # "较2019年": the base of a comparison
        if _event(text, end):
            # "5月正式推广后": when something happened, not the figures' period; with its own year it
            # still says the year of what follows is not stated, unless it is that year anyway
            if phrase.year is not None:
                found.append(Phrase(m.start(), end, phrase.year, event=True))
            continue
        if a := after_re.match(text, end):
            why = f"period {text[m.start() : end]}{a.group()} is {t.meaning('span_after', a.group())}"
            found.append(Phrase(m.start(), end + len(a.group()), phrase.year, why=why))
        else:
            found.append(Phrase(m.start(), end, phrase.year, phrase.month, phrase.why))
    for w in words_re.finditer(text):
        role = "span" if w.group() in t.rows["span"] else "relative_year"
        found.append(Phrase(w.start(), w.end(), why=f"period {w.group()} is {t.meaning(role, w.group())}"))
    return tuple(sorted(found, key=lambda p: p.start))


def _date(m: re.Match[str]) -> Phrase:
    y, mo, d = m.group("y"), m.group("m"), m.group("d")
    year = int(y) if y else None
    if year is not None and not 1000 <= year <= 9999:
        return Phrase(m.start(), m.end(), why=f"{m.group()} is not a year")
    month = int(mo) if mo and 1 <= int(mo) <= 12 else None
    if mo and month is None:
        return Phrase(m.start(), m.end(), why=f"{m.group()} is not a date")
    if d:
        return Phrase(m.start(), m.end(), why=f"period {m.group()} is a day, not a year or a month")
    return Phrase(m.start(), m.end(), year, month)


def _range(first: re.Match[str], second: re.Match[str], printed: str) -> Phrase:
    """A range of dates: one whole calendar year ("Y年1月1日…至Y年12月31日") is that year."""
    y1, y2 = first.group("y"), second.group("y") or first.group("y")
    whole = (first.group("m"), first.group("d"), second.group("m"), second.group("d")) == ("1", "1", "12", "31")
    if y1 and y1 == y2 and whole:
        return Phrase(first.start(), second.end(), int(y1))
    return Phrase(first.start(), second.end(), why=f"period {printed} is a range of dates, not one year or month")


def _event(text: str, end: int) -> bool:
    """A date whose clause goes on, without a figure, to an ``event`` word ("5月正式推广后",
    "自2021年3月27日起全市开展…接种"): the time something happened, not the period of figures.

    >>> _event("5月正式推广后，受理企业来电同比、环比均实现翻倍增长", len("5月"))
    True
    """
    stop = min((i for i in (text.find(c, end) for c in CLAUSE_ENDS) if i >= 0), default=len(text))
    clause = text[end:stop]
    return not any(c.isdigit() for c in clause) and any(cue in clause for cue in cues.table().cues("event"))


def clause_start(text: str, pos: int) -> int:
    """Where the clause holding offset ``pos`` starts.

    >>> text = "2022年，12345热线及其网络平台受理新型冠状病毒肺炎疫情问题6588.0万件"
    >>> text[clause_start(text, text.index("6588.0")) :]
    '12345热线及其网络平台受理新型冠状病毒肺炎疫情问题6588.0万件'
    """
    return max((text.rfind(c, 0, pos) for c in CLAUSE_ENDS), default=-1) + 1
