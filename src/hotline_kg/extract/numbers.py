"""The tokenizer: every number of a clean text stream, with its unit and place.

A number is ASCII digits (full-width digits already read as ASCII by the
stream) or a small count in words before a unit ("八倍", "三个", "翻倍"). Its
unit is the cue table's ``unit`` cue right after it, whatever the PDF put
between them: the stream has dropped line breaks, page-number lines and
footnote markers, and keeps at most one space ("18.2 %"). "约" before it makes
it approximate. Meaning (subject, measure, period, direction) is given later,
by the rules, from the cue words of its clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hotline_kg.extract import cues
from hotline_kg.extract.stream import Piece, Stream
from hotline_kg.schema import NUMBER


@dataclass(frozen=True)
class Token:
    """A number in a stream: the value as printed (ASCII digits or a word), its unit."""

    value: Piece  # the digits or the word
    unit: str  # the unit it is counted in ("万件", "%", …), "" if none follows
    stop: int  # stream offset just after the unit (or the value)
    approx: bool = False

    @property
    def text(self) -> str:
        return self.value.text

    @property
    def start(self) -> int:
        return self.value.start

    @property
    def in_words(self) -> bool:
        return not self.text[0].isdigit()

    @property
    def place(self) -> tuple[int, int]:
        """(line, column) of the value's first character in the raw file."""
        return self.value.stream.where[self.value.start]


@cache
def numerals() -> tuple[str, str]:
    """The cue table's figures in words: its one-character numerals (一, 两 …, for a character
    class) and its longer word figures (翻倍, as a regular-expression alternation).

    >>> numerals()
    ('一两二三四五六七八九十', '翻倍')
    """
    table = cues.table()
    digits = "".join(c for c in table.cues("numeral") if len(c) == 1)
    words = "|".join(re.escape(c) for c in table.cues("numeral") if len(c) > 1)
    return digits, words


@cache
def _token_re() -> re.Pattern[str]:
    table = cues.table()
    units = table.pattern("unit")
    digits, words = numerals()
    return re.compile(
        rf"(?P<approx>{table.pattern('approx')})?"
        # digits after "digit space" are the end of a number split by a space ("2 143"): not a number of their own
        # nor are digits after "digit comma" ("1,103.94", "2，100"): the end of a number with thousands separators
        rf"(?:(?<![0-9.])(?<![0-9] )(?<![0-9],)(?<![0-9]，)(?P<v>{NUMBER})(?![0-9]|,[0-9]|，[0-9]{{3}}(?![0-9]))"
        rf"|(?P<w>{words}|[{digits}]+(?= ?(?:{units}))))"
        rf"(?: ?(?P<unit>{units})(?![0-9%]))?"
    )


def tokens(piece: Piece) -> list[Token]:
    """The numbers of a piece of text, in order; a unit may be printed on a later line.

    >>> text = "4431.3 万件，同比上升 1.7%，占比 78.1%，直接答复 4644.8\\n\\n万件，同比上升 57.7%，占比 87.5%。"
    >>> for tok in tokens(Piece.of_text(text)): print(tok.text, tok.unit, tok.place)
    4431.3 万件 (1, 0)
    1.7 % (1, 15)
    78.1 % (1, 23)
    4644.8 万件 (1, 34)
    57.7 % (3, 8)
    87.5 % (3, 17)
    >>> [(tok.text, tok.unit, tok.approx) for tok in tokens(Piece.of_text("受理量提升约八倍。"))]
    [('八', '倍', True)]
    """
    found: list[Token] = []
    table = cues.table()
    # searched in the whole stream between the piece's ends, so that a look behind sees past its start
    for m in _token_re().finditer(piece.stream.text, piece.start, piece.end):
        group = "v" if m.group("v") is not None else "w"
        if m.group("unit"):
            unit, stop = table.meaning("unit", m.group("unit")), m.end("unit")
        else:
            unit, stop = ("倍" if group == "w" else ""), m.end(group)
        value = Piece(piece.stream, m.start(group), m.end(group))
        found.append(Token(value, unit, stop, m.group("approx") is not None))
    return found


def stream_tokens(stream: Stream) -> list[Token]:
    return tokens(stream.whole())
