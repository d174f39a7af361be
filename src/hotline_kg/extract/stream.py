"""Text of several raw lines joined into one searchable string.

PDF text breaks sentences across lines and puts spaces inside numbers and
words ("N 万件" for N万件, "12345 热线"). A ``Stream`` joins the lines and drops
that whitespace, reads full-width digits as ASCII ones, and remembers for every
character the line and column it came from, so a match in the clean text can
name its place in the raw file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hotline_kg.extract.lines import TEXT, Line, split_lines

ASCII_WORD = re.compile(r"[0-9A-Za-z.%]")
#: Full-width forms read as their ASCII twins: digits, per cent, decimal point.
HALF_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"％": "%", "．": "."})
SENTENCE_END = "。"
#: The longest sentence the rules read, in characters: the reports' longest is under 400. The
#: rules' time grows faster than a sentence's length, so a longer one (a text that lost its
#: full stops) is left alone, its numbers unclaimed, rather than read for minutes.
MAX_SENTENCE = 2000
#: Clauses end at these (a colon binds a label to its figure: "受理总量：N 万件"; a bullet starts an item).
CLAUSE_SEPARATORS = "，；,;●•▪"


@dataclass(frozen=True)
class Stream:
    """Clean text and, per character, its (line, column) in the raw file."""

    text: str
    where: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Stream:
        chars: list[str] = []
        where: list[tuple[int, int]] = []
        wide = False  # the last character was printed full-width
        for line in lines:
            raw = line.text.translate(HALF_WIDTH)
            for col, ch in enumerate(raw):
                if ch.isspace():
                    continue
                now_wide = ch != line.text[col]
                if chars and not (wide or now_wide) and _needs_space(chars[-1], ch, raw, col, where[-1], line.no):
                    chars.append(" ")
                    where.append((line.no, col))
                chars.append(ch)
                where.append((line.no, col))
                wide = now_wide
        return cls("".join(chars), tuple(where))

    def line_at(self, index: int) -> int:
        return self.where[index][0]

    def whole(self) -> Piece:
        return Piece(self, 0, len(self.text))


def _needs_space(prev: str, ch: str, raw: str, col: int, prev_where: tuple[int, int], line_no: int) -> bool:
    """Keep one space between two ASCII words that whitespace separated
    ("2022 2023"), so that they do not run together into one number. (Full-width
    digits are set like Chinese characters and may break anywhere: they join.)"""
    if not (ASCII_WORD.match(prev) and ASCII_WORD.match(ch)) or ch == "%" or prev == ".":
        return False  # no word starts with "%" and no number ends with ".": "18.2⏎%", "23.⏎5"
    if prev_where[0] != line_no:
        return True
    return col > 0 and raw[col - 1].isspace()


def _between_digits(text: str, i: int) -> bool:
    """A comma between digits is a thousands separator ("1,103.94"), not the end of a clause."""
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


@dataclass(frozen=True)
class Piece:
    """A slice [start, end) of a stream: a sentence, a clause, a match."""

    stream: Stream
    start: int
    end: int

    @classmethod
    def of_text(cls, text: str) -> Piece:
        """A text given as a string, each of its lines a line of report text, as the whole of its
        own stream: a sentence quoted in an example.

        >>> Piece.of_text("2024年 12345热线电话渠道受理 5320.5万件，占比 19.0%，").text
        '2024年12345热线电话渠道受理5320.5万件，占比19.0%，'
        """
        return Stream.of(Line(no, line, TEXT) for no, line in enumerate(split_lines(text), 1)).whole()

    @property
    def text(self) -> str:
        return self.stream.text[self.start : self.end]

    @property
    def line(self) -> int:
        return self.stream.line_at(self.start)

    def sub(self, start: int, end: int) -> Piece:
        """The piece for offsets relative to this piece's text."""
        return Piece(self.stream, self.start + start, self.start + end)

    def group(self, match: re.Match[str], name: int | str) -> Piece:
        return self.sub(match.start(name), match.end(name))

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(self.text)

    def split(self, separators: str) -> list[Piece]:
        """Split at any of the separator characters (dropped), skipping empty parts."""
        parts: list[Piece] = []
        begin = 0
        text = self.text
        for i, ch in enumerate(text):
            if ch in separators and not (ch == "," and _between_digits(text, i)):
                if i > begin:
                    parts.append(self.sub(begin, i))
                begin = i + 1
        if begin < len(self.text):
            parts.append(self.sub(begin, len(self.text)))
        return parts

    def sentences(self) -> list[Piece]:
        """Sentences end at "。"; the mark stays with its sentence. Sentences longer than
        ``MAX_SENTENCE`` are left out (``long_sentences``)."""
        return [p for p in self._sentences() if len(p.text) <= MAX_SENTENCE]

    def long_sentences(self) -> list[Piece]:
        """The sentences too long to be read (more than ``MAX_SENTENCE`` characters)."""
        return [p for p in self._sentences() if len(p.text) > MAX_SENTENCE]

    def _sentences(self) -> list[Piece]:
        parts: list[Piece] = []
        begin = 0
        for i, ch in enumerate(self.text):
            if ch == SENTENCE_END:
                parts.append(self.sub(begin, i + 1))
                begin = i + 1
        if begin < len(self.text):
            parts.append(self.sub(begin, len(self.text)))
        return [p for p in parts if p.text.strip(SENTENCE_END)]

    def clauses(self) -> list[Piece]:
        """The clauses of a sentence: it is split at commas, semicolons and the full stop.

        >>> [clause.text for clause in Piece.of_text("其中，诉求派单4431.3万件，同比上升1.7%，占比78.1%").clauses()]
        ['其中', '诉求派单4431.3万件', '同比上升1.7%', '占比78.1%']
        """
        return self.split(CLAUSE_SEPARATORS + SENTENCE_END)
