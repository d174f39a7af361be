"""Collect facts as the sentence rules find them.

A rule proposes a fact; the collector writes it only when the words of the text
state every part of it. The period comes from the sentence, the heading or the
report's stated reporting period (``periods``); a sentence naming a subject the
facts table has no place for (another city, a separate line, a kind of request
inside the total: the cue table's ``other_subject`` and ``part_of_whole``) keeps
its figures out. A figure kept out is left unclaimed, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from hotline_kg.extract import cues, periods
from hotline_kg.extract.facts import Fact
from hotline_kg.extract.periods import Period
from hotline_kg.extract.stream import Piece

MONTHS = range(1, 13)
#: Beijing, as a text names it.
BEIJING = ("北京", "首都")
#: A hotline named with its place: "苏州市12345", "上海市民服务热线", "绍兴市12345政务服务热线".
OWNER_RE = re.compile(r"(?P<place>[\u4e00-\u9fff]{1,3}[^\W\d全本该我各此])市(?:12345|民服务热线|政务服务(?:便民)?热线)")
#: Subjects whose every member the code lists hold (the hotline, its channels and dispositions, the
#: districts, the topic programme): the only subjects read from a text that states no reporting period.
#: Categories, themes, topics and bodies are open lists, read from an annual report's own structure.
CLOSED_KINDS = frozenset({"hotline", "channel", "disposition", "district_group", "district", "topic_program"})
#: Measures that count or compare requests: a kind of request named before one is its subject.
REQUEST_MEASURES = frozenset({"requests", "yoy_change", "share", "growth_multiple"})


@dataclass(frozen=True)
class Subject:
    """What a figure is about. ``parent`` is the whole that a bare "占比" refers to."""

    name: str
    kind: str
    parent: str = ""
    qualifier: str = ""

    def part(self, name: str) -> Subject:
        """A part of this subject: "朝阳区" → "朝阳区/区级部门".

        >>> Subject("朝阳区", "district", "十六区").part("区级部门")
        Subject(name='朝阳区/区级部门', kind='district_part', parent='朝阳区', qualifier='')
        """
        return Subject(f"{self.name}/{name}", "district_part", self.name)


@dataclass
class Collector:
    """Facts of one report, plus the raw places of every number they used.

    ``year`` is the report's stated reporting period (None where the text states none);
    ``heading`` the title of the block being read."""

    year: int | None
    #: The text states its own reporting period: it is the hotline's report, and speaks of the hotline.
    report: bool = False
    heading: str = ""
    facts: list[Fact] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    claimed: set[tuple[int, int]] = field(default_factory=set)
    #: Numbers that are not facts: (line, column) -> why (e.g. "table row number").
    not_facts: dict[tuple[int, int], str] = field(default_factory=dict)
    #: Figures a rule read but did not write: (line, column) -> why (no period stated, another city …).
    declined: dict[tuple[int, int], str] = field(default_factory=dict)

    def is_claimed(self, piece: Piece) -> bool:
        return piece.stream.where[piece.start] in self.claimed

    def add(
        self,
        section: str,
        subject: Subject,
        measure: str,
        value: Piece | str,
        unit: str,
        quote: Piece | str,
        *,
        month: Piece | None = None,
        period: str = "",
        relative_to: str = "",
        qualifier: str = "",
        place: Piece | tuple[int, int] | None = None,
        also: Iterable[Piece | tuple[int, int]] = (),
    ) -> Fact | None:
        """Record a fact, or decline it (None) when the text does not state its period or
        names a subject it cannot be given to. ``value`` is the printed figure: a Piece of
        the text, or a string (a table cell, a figure in words) with ``place`` giving its
        (line, column); ``month`` makes it a monthly figure; ``period`` is a period the
        rule read from the clause; ``also`` are further numbers the fact used (years,
        digits in a name)."""
        where = _where(value if isinstance(value, Piece) else place)
        at = value if isinstance(value, Piece) else place if isinstance(place, Piece) else None
        sentence = quote if isinstance(quote, Piece) else None
        found = self.period(sentence, at, month) if not period else Period(period, periods.CLAUSE)
        if isinstance(found, str):
            return self.decline(where, found)
        if sentence is not None and at is not None and (other := self.other_subject(sentence, at, subject, measure)):
            return self.decline(where, other)
        if sentence is not None and at is not None and (bound := self.bound(sentence, at)):
            return self.decline(where, f"a bound ({bound}), not a figure")
        if not self.report and subject.kind not in CLOSED_KINDS:
            return self.decline(
                where,
                f"subject {subject.name} ({subject.kind}) is read only in an annual report: "
                "no closed code list holds it",
            )
        # every character of the value: a figure broken over two lines ("23.⏎5") is one number
        spans = value.stream.where[value.start : value.end] if isinstance(value, Piece) else ()
        claims = {where, *spans} | {_where(p) for p in (month, *also) if isinstance(p, (Piece, tuple))}
        self.claimed |= claims
        quals = " ".join(q for q in (subject.qualifier, qualifier) if q)
        fact = Fact(
            year=self.year or int(found.value[:4]),
            section=section,
            subject=subject.name,
            subject_kind=subject.kind,
            measure=measure,
            value=value.text if isinstance(value, Piece) else value,
            unit=unit,
            period=found.value,
            period_source=found.source,
            relative_to=relative_to,
            qualifier=quals,
            source_line=where[0],
            quote=quote.text if isinstance(quote, Piece) else quote,
            claims=frozenset(claims),
            order=(where[0], where[1], len(self.facts)),
        )
        self.facts.append(fact)
        return fact

    def period(self, sentence: Piece | None, at: Piece | None, month: Piece | None = None) -> Period | str:
        """The period of a figure at ``at`` in ``sentence`` (a month's, for a monthly figure),
        or why the text states none."""
        found = self.year_at(sentence, month or at, monthly=month is not None)
        if isinstance(found, str):
            return found
        year, source = found
        if month is not None and not 1 <= int(month.text) <= len(MONTHS):
            return f"{month.text}月 is not a month"
        return Period(str(year) if month is None else f"{year}-{int(month.text):02d}", source)

    def year_at(self, sentence: Piece | None, at: Piece | None, *, monthly: bool = False) -> tuple[int, str] | str:
        """The one calendar year stated for offset ``at`` of a sentence: by the last period
        phrase before it in the sentence, else by the heading, else by the report's stated
        period; or why none is stated. For a monthly figure (``at`` is its month), the month's
        own year ("2024年10月") or the year before it.

        >>> sentence = Piece.of_text("2022年，12345热线及其网络平台受理新型冠状病毒肺炎疫情问题6588.0万件")
        >>> at = sentence.text.index("6588.0")
        >>> Collector(2022, report=True).year_at(sentence, sentence.sub(at, at + len("6588.0")))
        (2022, 'sentence')
        """
        if sentence is not None and at is not None:
            text, pos = sentence.text, at.start - sentence.start
            found = periods.phrases(text)
            if monthly:
                own = next((p for p in found if p.start <= pos < p.end), None)
                if own is not None and own.year is not None and not own.why:
                    return own.year, periods.CLAUSE
                pos = own.start if own is not None else pos
            # a monthly figure's month is its period: only a year before it matters, not a span of months
            before = [p for p in found if p.end <= pos and (not monthly or p.year is not None)]
            events = [p for p in before if p.event]
            before = [p for p in before if not p.event]
            got = self._from_phrases(text, pos, before)
            if events and (not before or events[-1].start > before[-1].start):
                # the figure follows an event with a year of its own: only that year may be its period
                if isinstance(got, tuple) and got[0] == events[-1].year:
                    return got
                if not before and self._outer_year() == events[-1].year:
                    return self._outer()
                event = text[events[-1].start : events[-1].end]
                return f"period not stated: the figure follows an event of {event}, and no year of its own is printed"
            if got is not None:
                return got
        return self._outer()

    def _from_phrases(self, text: str, pos: int, before: list[periods.Phrase]) -> tuple[int, str] | str | None:
        """The year of the last period phrase before ``pos`` (None if there is none)."""
        if not before:
            return None
        last = before[-1]
        if last.why:
            return last.why
        if last.year is None or last.month is not None:
            return f"period {text[last.start : last.end]} is a month; the figure is not read as a month's"
        source = periods.CLAUSE if last.start >= periods.clause_start(text, pos) else periods.SENTENCE
        return last.year, source

    def _outer_year(self) -> int | None:
        got = self._outer()
        return got[0] if isinstance(got, tuple) else None

    def _outer(self) -> tuple[int, str] | str:
        """The year the heading states, else the report's stated period, else why there is none."""
        heading = [p for p in periods.phrases(self.heading) if not p.event]
        if heading:
            last = heading[-1]
            if last.why:
                return f"heading: {last.why}"
            if last.year is not None and last.month is None:
                return last.year, periods.HEADING
        if self.year is not None:
            return self.year, periods.REPORT
        return "no period stated: the text states no reporting period (give one with --year YYYY)"

    def other_subject(self, sentence: Piece, at: Piece, subject: Subject, measure: str) -> str:
        """Why the figure at ``at`` cannot be the subject's: the sentence names, before it, a place,
        a line or (in the figure's clause) a kind of request the facts table has no place for."""
        t = cues.table()
        text = sentence.text[: at.start - sentence.start]
        for cue, what in t.rows["other_subject"].items():
            if cue in text:
                return f"the sentence names {what}: not a subject of this project's code lists"
        if m := next((m for m in OWNER_RE.finditer(text) if not any(b in m.group("place") for b in BEIJING)), None):
            return f"the sentence names the hotline of {m.group('place')}: not Beijing's"
        if subject.kind == "hotline" and (m := district_names().search(text)):
            return f"the sentence names {m.group()}: its figures are not the whole hotline's"
        if subject.kind == "hotline" and measure in REQUEST_MEASURES:
            clause = text[periods.clause_start(text, len(text)) :]
            for cue, what in t.rows["part_of_whole"].items():
                if cue in clause:
                    return f"subject {what} is a part of the hotline's requests that no code list holds"
        return ""

    def bound(self, sentence: Piece, at: Piece) -> str:
        """The ``bound`` cue just before the figure ("超过 N 万件", "近 N 万件") or ``bound_after`` cue
        just after it and its unit ("N 万件以上", "N 万件左右"), or ""."""
        t = cues.table()
        before = sentence.text[: at.start - sentence.start].rstrip(" ")
        if cue := next((c for c in t.cues("bound") if before.endswith(c)), ""):
            return cue
        after = re.match(
            rf" ?(?:{t.pattern('unit')})? ?({t.pattern('bound_after')})", sentence.text[at.end - sentence.start :]
        )
        return after.group(1) if after else ""

    def decline(self, place: tuple[int, int], why: str) -> None:
        """A figure read but not written: it stays unclaimed, with the reason."""
        self.declined.setdefault(place, why)
        return None

    def not_a_fact(self, place: Piece | tuple[int, int], why: str) -> None:
        self.not_facts[_where(place)] = why

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))


@cache
def district_names() -> re.Pattern[str]:
    """The districts the cue table names (subject cues of kind district)."""
    t = cues.table()
    return re.compile(
        "|".join(re.escape(c) for c in t.cues("subject") if t.meaning("subject", c).startswith("district "))
    )


def _where(place: Piece | tuple[int, int] | str | None) -> tuple[int, int]:
    if isinstance(place, Piece):
        return place.stream.where[place.start]
    if isinstance(place, tuple):
        return place
    raise ValueError("a fact needs the place it was read from")
