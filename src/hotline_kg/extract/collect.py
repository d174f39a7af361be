"""Collect facts as the sentence rules find them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hotline_kg.extract.facts import Fact
from hotline_kg.extract.stream import Piece


@dataclass(frozen=True)
class Subject:
    """What a figure is about. ``parent`` is the whole that a bare "占比" refers to."""

    name: str
    kind: str
    parent: str = ""
    qualifier: str = ""

    def part(self, name: str) -> Subject:
        """A part of this subject: "朝阳区" → "朝阳区/区级部门"."""
        return Subject(f"{self.name}/{name}", "district_part", self.name)


@dataclass
class Collector:
    """Facts of one report, plus the raw places of every number they used."""

    year: int
    facts: list[Fact] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    claimed: set[tuple[int, int]] = field(default_factory=set)
    #: Numbers that are not facts: (line, column) -> why (e.g. "table row number").
    not_facts: dict[tuple[int, int], str] = field(default_factory=dict)

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
    ) -> None:
        """Record a fact. ``value`` is the printed figure: a Piece of the text, or
        a string (a table cell, a figure in words) with ``place`` giving its
        (line, column); ``month`` makes it a monthly figure; ``also`` are further
        numbers the fact used (years, digits in a name)."""
        where = _where(value if isinstance(value, Piece) else place)
        # every character of the value: a figure broken over two lines ("23.⏎5") is one number
        spans = value.stream.where[value.start : value.end] if isinstance(value, Piece) else ()
        claims = {where, *spans} | {_where(p) for p in (month, *also) if isinstance(p, (Piece, tuple))}
        self.claimed |= claims
        if month is not None:
            period = f"{self.year}-{int(month.text):02d}"
        quals = " ".join(q for q in (subject.qualifier, qualifier) if q)
        self.facts.append(
            Fact(
                year=self.year,
                section=section,
                subject=subject.name,
                subject_kind=subject.kind,
                measure=measure,
                value=value.text if isinstance(value, Piece) else value,
                unit=unit,
                period=period or str(self.year),
                relative_to=relative_to,
                qualifier=quals,
                source_line=where[0],
                quote=quote.text if isinstance(quote, Piece) else quote,
                claims=frozenset(claims),
                order=(where[0], where[1], len(self.facts)),
            )
        )

    def not_a_fact(self, place: Piece | tuple[int, int], why: str) -> None:
        self.not_facts[_where(place)] = why

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))


def _where(place: Piece | tuple[int, int] | str | None) -> tuple[int, int]:
    if isinstance(place, Piece):
        return place.stream.where[place.start]
    if isinstance(place, tuple):
        return place
    raise ValueError("a fact needs the place it was read from")
