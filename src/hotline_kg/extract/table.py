"""The monthly-topic table (每月一题): one row per topic, read word by word.

A row is its row number, the topic's name (maybe broken over lines, maybe
around the figures), the topic's total and, in some years, the units that
handled most of it, each with its count. PDF text gives a row's cells one per
line or several on a line, depending on the layout:

    1 老楼加装电梯            1 老楼加装电梯 N 朝阳区 N
    N                        海淀区 N
    朝阳区 N                  …
    …

So the row is read as a sequence of words: the first whole number is the
total, a name followed by a whole number is a handler and its count, any other
words are the topic's name. The header ("序号 问题 …") repeats after each page
break.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from hotline_kg.extract.collect import Collector, Subject
from hotline_kg.extract.lines import TABLE, Line
from hotline_kg.extract.stream import HALF_WIDTH, MAX_SENTENCE
from hotline_kg.schema import DIGITS

WORD_RE = re.compile(r"\S+")
#: A word that is a whole number: a row number, a count of requests (件).
WHOLE_RE = re.compile(rf"^{DIGITS}$")
#: Digits inside a word of a topic's name ("0-3岁…").
NUMBER_RE = re.compile(DIGITS)
TOPICS_NAME = "每月一题"


@dataclass(frozen=True)
class Word:
    text: str  # full-width digits read as ASCII
    line: Line
    column: int

    @property
    def place(self) -> tuple[int, int]:
        return (self.line.no, self.column)

    @property
    def whole(self) -> bool:
        return WHOLE_RE.match(self.text) is not None


@dataclass
class Row:
    number: Word
    words: list[Word] = field(default_factory=list)

    @property
    def total(self) -> Word | None:
        return next((w for w in self.words if w.whole), None)

    def handlers(self) -> list[tuple[Word, Word]]:
        """(name, count) pairs after the total."""
        total = self.total
        after = self.words[self.words.index(total) + 1 :] if total else []
        return [(a, b) for a, b in itertools.pairwise(after) if not a.whole and b.whole]

    def drop_trailing_line(self, texts: set[str]) -> None:
        """Drop the row's last line if its text is one of these."""
        if self.words and (last := self.words[-1].line).stripped in texts:
            self.words = [w for w in self.words if w.line is not last]

    def name_words(self) -> list[Word]:
        handler_words = {id(w) for pair in self.handlers() for w in pair}
        return [w for w in self.words if not w.whole and id(w) not in handler_words]

    @property
    def name(self) -> str:
        return "".join(w.text for w in self.name_words())

    def quote(self) -> str:
        """Row number, name, total, then each handler with its count."""
        total = [self.total.text] if self.total else []
        return " ".join([self.number.text, self.name, *total, *(f"{a.text} {b.text}" for a, b in self.handlers())])


def topic_table(col: Collector, section: str, lines: list[Line]) -> None:
    """Add a fact for each topic's total and each handler's count.

    >>> from hotline_kg.extract.lines import classify, split_lines
    >>> lines = classify(split_lines("序号 问题 \\n1 老楼加装电梯 \\n8795 \\n朝阳区 274 \\n海淀区 189 \\n丰台区 931 "))
    >>> col = Collector(2022, report=True)
    >>> topic_table(col, "monthly_topics", lines)
    >>> for fact in col.facts: print(fact.brief())
    老楼加装电梯 requests 8795 件 2022
    老楼加装电梯/朝阳区 requests 274 件 2022
    老楼加装电梯/海淀区 requests 189 件 2022
    老楼加装电梯/丰台区 requests 931 件 2022
    """
    for row in _rows([line for line in lines if line.kind == TABLE], _captions(lines)):
        col.not_a_fact(row.number.place, "table row number")
        size = sum(len(w.text) + 1 for w in row.words)  # the longest its quote can be
        if size > MAX_SENTENCE:
            col.warn(row.number.line.no, f"topic row {row.number.text} runs to {size} characters: not read")
            continue
        total = row.total
        if total is None or not row.name:
            col.warn(row.number.line.no, f"topic row {row.number.text} has no name or no total")
            continue
        topic = Subject(row.name, "monthly_topic", TOPICS_NAME)
        in_name = [(w.line.no, w.column + m.start()) for w in row.name_words() for m in NUMBER_RE.finditer(w.text)]
        col.add(section, topic, "requests", total.text, "件", row.quote(), place=total.place, also=in_name)
        for name, count in row.handlers():
            col.add(
                section,
                Subject(f"{row.name}/{name.text}", "topic_handler", row.name),
                "requests",
                count.text,
                "件",
                row.quote(),
                place=count.place,
            )


def _captions(lines: list[Line]) -> set[str]:
    """The line printed just above the table's first header: a caption, repeated on each page."""
    before = [line.stripped for line in itertools.takewhile(lambda x: not x.stripped.startswith("序号"), lines)]
    captions = [text for text in before if text]
    return {captions[-1]} if captions and len(captions) < len(lines) else set()


def _rows(lines: list[Line], captions: set[str]) -> list[Row]:
    """Rows start at a line whose first word is the next row number, once the row before has its total."""
    rows: list[Row] = []
    in_header = True
    for line in lines:
        words = [Word(m.group().translate(HALF_WIDTH), line, m.start()) for m in WORD_RE.finditer(line.text)]
        if not words:
            continue
        if words[0].text.startswith("序号"):
            if rows:  # the table's caption, printed again above a repeated header, is not the row's
                rows[-1].drop_trailing_line(captions)
            in_header = True
            continue
        first = words[0]
        if first.whole and first.text.lstrip("0") == str(len(rows) + 1) and (in_header or not rows or rows[-1].total):
            rows.append(Row(first, words[1:]))
            in_header = False
        elif not in_header and rows:
            rows[-1].words += words
    return rows
