"""Full-text search of the dataset's codes: a pure, in-memory index built once at start-up.

``build_index(rows)`` takes one ``Row`` per code (IRI, kind, zh and en labels, code or notation,
other labels) and precomputes everything a search needs; ``SearchIndex.search(q, limit)`` then
answers with a few dictionary look-ups and ``str.find`` scans over joined strings (C speed): well
under a millisecond for a few thousand codes. No SPARQL is ever made from a query; the rows come
from the graph once (``server.views.search.index``).

Matching is case- and width-insensitive (NFKC, then casefold; runs of white space count as one
space). A row's score is its best match, higher first:

=====  ====================  =========================================================================
score  match                 the normalised query …
=====  ====================  =========================================================================
100    ``code``              equals the row's code or notation (``110105``)
90     ``label``             equals a label, an other label or the IRI's last segment (``朝阳区``,
                             ``property-management``)
80     ``pinyin``            equals a zh label's full pinyin or its initials, spaces ignored
                             (``chaoyangqu``, ``chao yang qu``, ``cyq``)
70     ``prefix``            starts a label or the code (``朝阳``, ``chaoyang``, ``1101``)
60     ``pinyin prefix``     starts a zh label's pinyin or initials (``chaoyang``, ``cy``)
50     ``word``              starts a word inside a label (``district``, ``朝阳`` in ``…：朝阳区``)
40     ``substring``         occurs inside a label or the code
30     ``pinyin substring``  occurs in a zh label's pinyin from the start of a syllable
20     ``words``             has each of its words somewhere in the row, its IRI's last segment and
                             pinyin included (``chaoyang 食品``, ``110105`` for ``…/district-110105``)
=====  ====================  =========================================================================

Ties are broken by kind (``KIND_ORDER``: districts, categories, subcategories, handlers, topics …;
kinds not listed come after, by name), then by label (zh labels by their pinyin), then by IRI.
Pinyin comes from ``pypinyin`` (a declared dependency); without it, pinyin matching is off.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

try:  # a declared dependency; the index still works (without pinyin) if it is missing
    from pypinyin import lazy_pinyin
except ImportError:  # pragma: no cover - exercised only without pypinyin
    lazy_pinyin = None  # type: ignore[assignment]

#: How a row matched, and its score.
CODE, LABEL, PINYIN, PREFIX, PINYIN_PREFIX, WORD, SUBSTRING, PINYIN_SUBSTRING, WORDS = (
    100,
    90,
    80,
    70,
    60,
    50,
    40,
    30,
    20,
)
MATCHES = {
    CODE: "code",
    LABEL: "label",
    PINYIN: "pinyin",
    PREFIX: "prefix",
    PINYIN_PREFIX: "pinyin prefix",
    WORD: "word",
    SUBSTRING: "substring",
    PINYIN_SUBSTRING: "pinyin substring",
    WORDS: "words",
}
#: Kinds in the order ties are broken in (the local names of the classes); any other kind comes after.
KIND_ORDER = (
    "District",
    "Category",
    "Subcategory",
    "CityDepartment",
    "StateOwnedEnterprise",
    "DistrictBody",
    "Handler",
    "MonthlyTopic",
    "TopicHandling",
    "DistrictGroup",
    "CategoryGroup",
    "Channel",
    "Disposition",
    "Theme",
    "AdministrativeLevel",
    "TopicProgramme",
    "Hotline",
    "Measure",
    "Unit",
    "Year",
    "Month",
    "Report",
    "DataSet",
    "ConceptScheme",
    "Concept",
)
PINYIN_AVAILABLE = lazy_pinyin is not None
#: Separates keys in the joined strings; the normaliser removes it from queries.
_SEP = "\x00"


@dataclass(frozen=True)
class Row:
    """One code as the index takes it."""

    iri: str
    kind: str = ""
    label_zh: str = ""
    label_en: str = ""
    code: str = ""
    alt_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One result: the row's fields, its score and how it matched (``MATCHES``)."""

    iri: str
    kind: str
    label_zh: str
    label_en: str
    code: str
    score: int
    match: str


def normalize(text: str) -> str:
    """Text as the index compares it: NFKC (full-width → ASCII …), casefolded, white space collapsed,
    control characters dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())


def _word_starts(text: str) -> list[int]:
    """Where words start inside ``text`` (not at 0): after a character that is neither a letter nor
    a digit (a space, a hyphen, "："), or where CJK and other script meet ("12345市民")."""
    return [
        i
        for i in range(1, len(text))
        if text[i].isalnum() and (not text[i - 1].isalnum() or text[i - 1].isascii() != text[i].isascii())
    ]


def _pinyin(text: str) -> tuple[list[str], str]:
    """The syllables of the Chinese characters of ``text`` (toneless, lower case) and their initials."""
    if lazy_pinyin is None or not any("\u3400" <= c <= "\u9fff" for c in text):
        return [], ""
    syllables = [s.lower() for s in lazy_pinyin(text, errors="ignore") if s.isascii() and s.isalpha()]
    return syllables, "".join(s[0] for s in syllables)


class _Keys:
    """Keys joined into one string, each after a separator (``_SEP key _SEP key …``), in the order
    of their rows' rank: a scan meets the best rows first and stops once it has enough."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []  # where each key's separator is
        self.rows: list[int] = []
        self.length = 0
        self.text = ""

    def add(self, key: str, row: int) -> None:
        self.starts.append(self.length)
        self.rows.append(row)
        self.parts.append(_SEP + key)
        self.length += 1 + len(key)

    def freeze(self) -> None:
        self.text = "".join(self.parts)
        self.starts.append(self.length)  # the end
        self.parts = []

    def rows_with(self, needle: str, taken: dict[int, int]) -> Iterator[int]:
        """The rows not ``taken`` with a key containing ``needle`` (``_SEP`` + text: a key starting
        with the text), best ranked first, each once."""
        seen: set[int] = set()
        text, starts, rows = self.text, self.starts, self.rows
        pos = text.find(needle)
        while pos != -1:
            k = bisect.bisect_right(starts, pos) - 1
            row = rows[k]
            if row not in taken and row not in seen:
                seen.add(row)
                yield row
            pos = text.find(needle, starts[k + 1])


@dataclass
class SearchIndex:
    """The index ``build_index`` makes; ``search`` answers a query from it."""

    rows: list[Row]
    order: list[int] = field(default_factory=list)  # each row's rank when scores tie
    exact: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # code, label, _SEP + pinyin → (score, row)
    keys: _Keys = field(default_factory=_Keys)  # labels, other labels, codes
    words: _Keys = field(default_factory=_Keys)  # each of them from each word start inside it
    pinyin: _Keys = field(default_factory=_Keys)  # full pinyin and initials of zh labels
    syllables: _Keys = field(default_factory=_Keys)  # each of them from each syllable start inside it
    everything: _Keys = field(default_factory=_Keys)  # one key per row, all its text: for "words"
    texts: list[str] = field(default_factory=list)  # that text, by row

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, q: str, limit: int = 20) -> list[Hit]:
        """The best ``limit`` rows for the query ``q``, best first; [] for an empty query.

        Tiers are searched from the best down, each in rank order, and the search stops as soon
        as it has ``limit`` rows: no row found later could rank above them."""
        query = normalize(q)
        if not query or limit < 1:
            return []
        taken: dict[int, int] = {}  # row → score, in the order of the results

        letters = query.replace(" ", "").replace("'", "")
        pinyin = PINYIN_AVAILABLE and letters.isascii() and letters.isalpha()
        # for "words": the rows with the rarest word, checked for the others
        words = sorted(set(query.split(" ")), key=self.everything.text.count)

        def scan(keys: _Keys, needle: str, score: int) -> Iterator[tuple[int, int]]:
            return ((score, row) for row in keys.rows_with(needle, taken))

        tiers: list[Iterable[tuple[int, int]]] = [  # (score, row), best first; generators run lazily
            self.exact.get(query, ()),
            self.exact.get(_SEP + letters, ()) if pinyin else (),
            scan(self.keys, _SEP + query, PREFIX),
            scan(self.pinyin, _SEP + letters, PINYIN_PREFIX) if pinyin else (),
            scan(self.words, _SEP + query, WORD),
            scan(self.keys, query, SUBSTRING),
            scan(self.syllables, _SEP + letters, PINYIN_SUBSTRING) if pinyin else (),
            (  # every word somewhere in the row
                (WORDS, row)
                for row in self.everything.rows_with(words[0], taken)
                if all(w in self.texts[row] for w in words[1:])
            ),
        ]
        for found in itertools.chain.from_iterable(tiers):
            score, row = found
            if row not in taken:
                taken[row] = score
                if len(taken) == limit:
                    break
        return [self._hit(row, score) for row, score in taken.items()]

    def _hit(self, row: int, score: int) -> Hit:
        r = self.rows[row]
        return Hit(r.iri, r.kind, r.label_zh, r.label_en, r.code, score, MATCHES[score])


def _last_segment(iri: str) -> str:
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind), "") if kind in KIND_ORDER else (len(KIND_ORDER), kind)


def build_index(rows: Iterable[Row]) -> SearchIndex:
    """The index of ``rows`` (a row per IRI; a later row for the same IRI is ignored)."""
    unique: dict[str, Row] = {}
    for r in rows:
        unique.setdefault(r.iri, r)
    kept = list(unique.values())

    def sort_label(r: Row) -> str:  # zh labels by their pinyin
        return " ".join(_pinyin(r.label_zh)[0]) or normalize(r.label_en or r.label_zh)

    ranked = sorted(
        range(len(kept)), key=lambda i: (_kind_rank(kept[i].kind), sort_label(kept[i]), kept[i].label_zh, kept[i].iri)
    )
    index = SearchIndex(kept, [0] * len(kept))
    for place, i in enumerate(ranked):
        index.order[i] = place
    index.texts = [""] * len(kept)

    def exact(key: str, row: int, score: int) -> None:
        index.exact.setdefault(key, []).append((score, row))

    for i in ranked:  # the best ranked rows' keys first
        r = kept[i]
        everything: list[str] = []
        code = normalize(r.code)
        slug = normalize(_last_segment(r.iri))
        texts = [t for t in dict.fromkeys(normalize(t) for t in (code, r.label_zh, r.label_en, *r.alt_labels)) if t]
        if code:
            exact(code, i, CODE)
        for text in texts:
            if text != code:
                exact(text, i, LABEL)
            index.keys.add(text, i)
            for start in _word_starts(text):
                index.words.add(text[start:], i)
            everything.append(text)
            syllables, initials = _pinyin(text)
            if syllables:
                full = "".join(syllables)
                starts = [sum(len(s) for s in syllables[:n]) for n in range(1, len(syllables))]
                for key, inside in ((full, starts), (initials, range(1, len(initials)))):
                    exact(_SEP + key, i, PINYIN)  # pinyin keys apart from labels: "cy" is no label
                    index.pinyin.add(key, i)
                    for start in inside:
                        index.syllables.add(key[start:], i)
                everything.extend((" ".join(syllables), initials))
        if slug and slug not in texts:  # the IRI's last segment: an exact match, or a word of a query
            exact(slug, i, LABEL)
            everything.append(slug)
        index.texts[i] = "\x01".join(everything)
        index.everything.add(index.texts[i], i)
    for keys in (index.keys, index.words, index.pinyin, index.syllables, index.everything):
        keys.freeze()
    for key, found in index.exact.items():  # the best score first, then the best rank
        index.exact[key] = sorted(set(found), key=lambda hit: (-hit[0], index.order[hit[1]]))
    return index


def exported(index: SearchIndex, hrefs: list[str]) -> dict[str, object]:
    """The index as JSON for the static site's search (``static/search.js`` runs ``search`` on it,
    the same tiers in the same order): each row (and ``hrefs``, its path), the exact keys, and the
    joined keys of each scan with where each key starts and whose it is."""

    def keys(k: _Keys) -> dict[str, object]:
        return {"text": k.text, "starts": k.starts, "rows": k.rows}

    return {
        "scores": {name: score for score, name in MATCHES.items()},
        "pinyin": PINYIN_AVAILABLE,
        "rows": [
            [r.iri, r.kind, r.label_zh, r.label_en, r.code, href] for r, href in zip(index.rows, hrefs, strict=True)
        ],
        "exact": index.exact,
        "keys": keys(index.keys),
        "words": keys(index.words),
        "pinyin_keys": keys(index.pinyin),
        "syllables": keys(index.syllables),
        "everything": keys(index.everything),
        "texts": index.texts,
    }
