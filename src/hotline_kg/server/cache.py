"""Answers cached in memory: a build never changes, so neither does an answer.

A key names everything an answer depends on — the build (its id changes with
every build), the query with its layout normalised, the protocol dataset and
the media type — and is the answer's ETag too (``build_id`` names a build). The cache holds answers up to a
byte budget and forgets the least recently used first.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline_kg.server.settings import Settings

#: Pieces of a query whose whitespace is meaningful: string literals and IRIs.
_KEEP = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|<[^<>\"{}|^`\\\s]*>", re.S)
_COMMENT = re.compile(r"#[^\n]*")
_SPACE = re.compile(r"\s+")


def normalise(query: str) -> str:
    """The query with comments dropped and runs of whitespace made one space, outside literals and IRIs."""
    out: list[str] = []
    last = 0
    for m in _KEEP.finditer(query):
        out.append(_layout(query[last : m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(_layout(query[last:]))
    return "".join(out).strip()


def _layout(code: str) -> str:
    return _SPACE.sub(" ", _COMMENT.sub(" ", code))


def build_id(settings: Settings) -> str:
    """What names this build: its checksums, or the files served and the engine; a new build, a
    changed file or another engine gives another id (and so other cache keys and ETags)."""
    sums = settings.dist / "SHA256SUMS"
    parts = [settings.base, settings.engine or ""]
    if sums.is_file() and not (settings.data or settings.named):
        parts.append(hashlib.sha256(sums.read_bytes()).hexdigest())
    for path in [*settings.data, *(p for _, p in settings.named)]:
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def key(build: str, query: str, default_graphs: Iterable[str], named_graphs: Iterable[str], media_type: str) -> str:
    """The cache key of an answer, also its ETag (without quotes)."""
    parts = [build, normalise(query), *sorted(default_graphs), "|", *sorted(named_graphs), "|", media_type]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:40]


def etag(cache_key: str) -> str:
    return f'"{cache_key}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or is "*")."""
    if not if_none_match:
        return False
    names = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in names or tag in names


@dataclass(frozen=True)
class Cached:
    body: bytes
    media_type: str
    status: int = 200


@dataclass
class AnswerCache:
    """Answers by key, up to ``budget`` bytes of bodies, least recently used dropped first."""

    budget: int
    _entries: OrderedDict[str, Cached] = field(default_factory=OrderedDict)
    _size: int = 0
    hits: int = 0
    misses: int = 0

    def get(self, cache_key: str) -> Cached | None:
        found = self._entries.get(cache_key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(cache_key)
        self.hits += 1
        return found

    def put(self, cache_key: str, answer: Cached) -> None:
        if len(answer.body) > self.budget:
            return
        if cache_key in self._entries:
            self._size -= len(self._entries.pop(cache_key).body)
        self._entries[cache_key] = answer
        self._size += len(answer.body)
        while self._size > self.budget:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped.body)

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)
