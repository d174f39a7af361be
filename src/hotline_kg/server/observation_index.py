"""The observations by what they are about: an index that lets a page sum up and list a resource's
observations at a cost that grows with what the page shows, not with the data.

A resource's observations are those it is the subject, period, report or data set of, and, for a
district, its parts' (``?part hl:district ?district``). Oxigraph finds the observations of one
subject from its index, but every further fact of each (its period, its measure) is one more
look-up: at a million observations, a district's page read 5 s of them. This index holds, for each
observation, its subject, period, measure, report and data set (``ROLES``), in SQLite, with an
index per role, and the counts made from them, so that

- ``roles`` says which roles a resource plays, from one look-up each;
- ``summary`` reads its counts per measure and per period: a row per figure shown;
- ``page`` lists ``size`` of its observations from after a given one, in IRI order (keyset
  pagination), from one range of each role's index, merged;
- ``charted`` gives those a chart draws: its own and its parts' in the latest periods.

It is built once (``build``) from the (subject, object) pairs of each role's property, read as a
stream: for an on-disk store by a process of its own after the loader (``store_pairs``; kept
beside the store with ``--store-dir``), otherwise at start-up from the engine (``opened``,
``Engine.pairs``). The figures themselves are not here: a page reads them by SPARQL, for the
observations it shows.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import sqlite3
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyoxigraph as ox

from hotline_kg.rdf.vocab import HL, QB

if TYPE_CHECKING:
    from hotline_kg.server.engine import Engine

#: Each role's column, and the property that links an observation to it.
ROLES = {
    "subject": str(HL.subject),
    "period": str(HL.refPeriod),
    "measure": str(HL.measure),
    "report": str(HL.report),
    "dataset": str(QB.dataSet),
}
#: The roles that make a resource's page list an observation (a measure's page lists none: every
#: observation of a kind is one of its).
SCOPES = ("subject", "period", "report", "dataset")
#: How a part of a district names it.
DISTRICT = str(HL.district)
#: Bumped when the tables change: a kept index of another version is built again.
VERSION = 2
#: Its file's name (beside a kept store, or in a temporary folder).
FILE_NAME = "observations.sqlite"

SCHEMA = f"""
CREATE TABLE term (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE obs (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE,
                  {", ".join(f"{role} INTEGER" for role in ROLES)});
CREATE TABLE part (part INTEGER NOT NULL, district INTEGER NOT NULL, PRIMARY KEY (district, part)) WITHOUT ROWID;
CREATE TABLE per_measure (resource INTEGER, measure INTEGER, n INTEGER, PRIMARY KEY (resource, measure)) WITHOUT ROWID;
CREATE TABLE per_period (resource INTEGER, period INTEGER, n INTEGER, PRIMARY KEY (resource, period)) WITHOUT ROWID;
CREATE TABLE meta (version INTEGER NOT NULL);
"""


class IndexNotBuilt(Exception):
    """The index could not be made from what the engine gave (named in the message)."""


@dataclass(frozen=True)
class Held:
    """The roles a resource plays (``SCOPES``, and "district" if it has parts), with its term id."""

    id: int
    roles: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.roles)


#: A resource that plays no role.
NO_ROLE = Held(0, ())


class ObservationIndex:
    """The index, open for reading (``build`` makes it). Every read takes at most ``limit`` seconds
    (``TimeoutError`` past them): they are look-ups and ranges of an index, well under that."""

    def __init__(self, path: Path, limit: float = 10.0) -> None:
        try:
            self.db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
            found = self.db.execute("SELECT version FROM meta").fetchone()
        except sqlite3.Error as err:
            raise IndexNotBuilt(f"{path}: {err}") from err
        if found is None or found[0] != VERSION:
            self.db.close()
            raise IndexNotBuilt(f"{path}: an index of another version")
        self.limit = limit

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + self.limit
        self.db.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise TimeoutError(f"the observation index took more than {self.limit:g} s") from None
            raise
        finally:
            self.db.set_progress_handler(None, 0)

    def _id(self, iri: str) -> int | None:
        found = self._rows("SELECT id FROM term WHERE iri = ?", [iri])
        return found[0][0] if found else None

    def size(self) -> int:
        """How many observations it holds."""
        return int(self._rows("SELECT COUNT(*) FROM obs", [])[0][0])

    def roles(self, iri: str) -> Held:
        """The roles ``iri`` plays: one look-up of each role's index."""
        term = self._id(iri)
        if term is None:
            return NO_ROLE
        held = [role for role in SCOPES if self._rows(f"SELECT 1 FROM obs WHERE {role} = ? LIMIT 1", [term])]
        if self._rows("SELECT 1 FROM part WHERE district = ? LIMIT 1", [term]):
            held.append("district")
        return Held(term, tuple(held))

    def _scopes(self, held: Held) -> list[tuple[str, int]]:
        """Each (role, term) an observation of the resource has: its own roles, and for a district
        each of its parts as subject."""
        scopes = [(role, held.id) for role in held.roles if role != "district"]
        if "district" in held.roles:
            parts = self._rows("SELECT part FROM part WHERE district = ?", [held.id])
            scopes += [("subject", part) for (part,) in parts]
        return scopes

    def summary(self, held: Held, periods: int) -> tuple[dict[str, int], dict[str, int]]:
        """How many observations a resource has per measure, and per period (the latest ``periods``,
        by IRI, descending): each observation once, whatever roles it has the resource in; read
        from the counts made with the index, a row per measure and per period shown."""
        if not held:
            return {}, {}
        per_measure = dict(self._rows("SELECT measure, n FROM per_measure WHERE resource = ?", [held.id]))
        latest = self._rows(
            "SELECT period, n FROM per_period WHERE resource = ? ORDER BY period DESC LIMIT ?", [held.id, periods]
        )
        names = self._iris([*per_measure, *(period for period, _ in latest)])
        return {names[m]: n for m, n in per_measure.items()}, {names[p]: n for p, n in latest}

    def _iris(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found |= dict(self._rows(f"SELECT id, iri FROM term WHERE id IN ({marks})", chunk))
        return found

    def page(self, held: Held, filters: dict[str, str], after: str, size: int) -> list[str]:
        """Up to ``size`` observations of a resource, in IRI order, from after ``after`` ("" from
        the first), narrowed by ``filters`` (role → IRI: period, measure, report): one range of each
        scope's index, merged."""
        narrowed, params = "", []
        for role, iri in sorted(filters.items()):
            term = self._id(iri)
            if term is None:
                return []
            narrowed += f" AND {role} = ?"
            params.append(term)
        start = self._rows("SELECT id FROM obs WHERE iri <= ? ORDER BY iri DESC LIMIT 1", [after]) if after else []
        start_id = start[0][0] if start else 0
        ranges = [
            self._rows(
                f"SELECT id, iri FROM obs INDEXED BY obs_{role} WHERE {role} = ? AND id > ?{narrowed} "
                "ORDER BY id LIMIT ?",
                [term, start_id, *params, size],
            )
            for role, term in self._scopes(held)
        ]
        found: list[str] = []
        last = start_id
        for ident, iri in heapq.merge(*ranges):
            if ident != last:
                found.append(iri)
                last = ident
            if len(found) == size:
                break
        return found

    def charted(self, held: Held, periods: Iterable[str], limit: int) -> list[str]:
        """The observations a resource's charts draw: its own (it is their subject) and its parts'
        (a district's), in these periods; at most ``limit``."""
        terms = [t for t in (self._id(p) for p in periods) if t is not None]
        subjects = [term for role, term in self._scopes(held) if role == "subject"]
        if not terms or not subjects:
            return []
        found: list[str] = []
        marks = ", ".join("?" * len(terms))
        for subject in subjects:
            sql = f"SELECT iri FROM obs INDEXED BY obs_charted WHERE subject = ? AND period IN ({marks}) LIMIT ?"
            found += [row[0] for row in self._rows(sql, [subject, *terms, limit - len(found)])]
            if len(found) >= limit:
                break
        return sorted(found)


async def opened(engine: Engine, path: Path, limit: float) -> ObservationIndex:
    """The index at ``path``; built first from the engine's pairs (``Engine.pairs``) if there is
    none there, or one of another version."""
    try:
        return ObservationIndex(path, limit)
    except IndexNotBuilt:
        pass
    read = {prop: await engine.pairs(prop) for prop in (*ROLES.values(), DISTRICT)}
    await asyncio.to_thread(build, read.pop, path)
    return ObservationIndex(path, limit)


#: What ``build`` reads: for a property, its (subject IRI, object IRI) pairs (each at least once).
Pairs = Callable[[str], Iterable[tuple[str, str]]]


def build(pairs: Pairs, path: Path) -> None:
    """Write the index of the observations ``pairs`` gives to ``path``, replaced whole once
    complete (a failed build leaves what was there). An observation is what has a subject, a
    period and a measure; of several values of one role it takes the least. The pairs are read
    as a stream; what is kept is one string per observation and per term, and an integer per
    observation and role (about 250 MB at a million observations)."""
    table = _Table()
    for role, prop in ROLES.items():
        table.read(role, pairs(prop))
    parts = [(table.term(part), table.term(district)) for part, district in pairs(DISTRICT)]
    building = path.with_name(f".{path.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    db = sqlite3.connect(building)
    try:
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
        final = table.terms_in_order()
        db.executemany(
            "INSERT INTO term VALUES (?, ?)", ((int(final[i]), table.terms[i]) for i in range(1, len(table.terms)))
        )
        db.executemany(f"INSERT INTO obs VALUES (?, ?, {', '.join('?' * len(ROLES))})", table.rows(final))
        db.executemany("INSERT OR IGNORE INTO part VALUES (?, ?)", ((int(final[p]), int(final[d])) for p, d in parts))
        for name, role in (("per_measure", "measure"), ("per_period", "period")):
            db.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", table.counts(final, parts, role))
        db.executescript(INDEXES)
        db.execute("INSERT INTO meta VALUES (?)", [VERSION])
        db.commit()
        db.close()
        os.replace(building, path)
    except BaseException:
        db.close()
        building.unlink(missing_ok=True)
        raise


class _Table:
    """The observations as ``build`` reads them: each observation's IRI (in the order its subject
    came), each term's IRI, and per role an array of term numbers (0: none), one per observation."""

    def __init__(self) -> None:
        self.obs: list[str] = []
        self.row: dict[str, int] = {}
        self.terms: list[str] = [""]  # term 0: none
        self.number: dict[str, int] = {}
        self.columns: dict[str, np.ndarray] = {}
        self.order: np.ndarray | None = None  # the observations kept, in IRI order (``kept``)

    def term(self, iri: str) -> int:
        found = self.number.get(iri)
        if found is None:
            found = self.number[iri] = len(self.terms)
            self.terms.append(iri)
        return found

    def read(self, role: str, pairs: Iterable[tuple[str, str]]) -> None:
        """One role's pairs: the subject's make the observations; the others' of an observation
        without a subject are left. Of several values, the least IRI."""
        column = array("q", bytes(8 * len(self.obs)))
        for obs, value in pairs:
            at = self.row.get(obs)
            if at is None:
                if role != "subject":
                    continue
                at = self.row[obs] = len(self.obs)
                self.obs.append(obs)
                column.append(0)
            term, known = self.term(value), column[at]
            if not known or self.terms[term] < self.terms[known]:
                column[at] = term
        self.columns[role] = np.frombuffer(column, dtype=np.int64)

    def kept(self) -> np.ndarray:
        """The observations that have a period and a measure, in IRI order: their ids count up from 1."""
        if self.order is None:
            whole = (self.columns["period"] > 0) & (self.columns["measure"] > 0)
            ordered = sorted((i for i in range(len(self.obs)) if whole[i]), key=self.obs.__getitem__)
            self.order = np.array(ordered, dtype=np.int64)
        return self.order

    def terms_in_order(self) -> np.ndarray:
        """Each term's id in the index: its place among the terms' IRIs in order, from 1."""
        order = sorted(range(1, len(self.terms)), key=self.terms.__getitem__)
        final = np.zeros(len(self.terms), dtype=np.int64)
        final[order] = np.arange(1, len(order) + 1)
        return final

    def rows(self, final: np.ndarray) -> Iterator[tuple[object, ...]]:
        """The rows of ``obs``, in IRI order, a block at a time (lists of Python numbers cost
        memory: a block of them at once, not a million)."""
        kept = self.kept()
        for start in range(0, len(kept), BLOCK):
            block = kept[start : start + BLOCK]
            columns = [final[self.columns[role][block]].tolist() for role in ROLES]
            for at, i in enumerate(block.tolist()):
                yield (start + at + 1, self.obs[i], *(column[at] or None for column in columns))

    def counts(self, final: np.ndarray, parts: list[tuple[int, int]], by: str) -> Iterator[tuple[int, int, int]]:
        """How many observations each resource has per ``by`` (measure or period): (resource, value,
        count). A resource's observations are those it is a scope of (``SCOPES``), or whose
        subject is one of its parts; each counts once, whatever roles it has the resource in."""
        kept = self.kept()
        districts: dict[int, list[int]] = {}
        for part, district in parts:
            districts.setdefault(int(final[part]), []).append(int(final[district]))
        of = []
        for k in range(max((len(d) for d in districts.values()), default=0)):
            of.append(np.zeros(len(final) + 1, dtype=np.int64))
            for part, found in districts.items():
                of[k][part] = found[k] if k < len(found) else 0
        width = len(final) + 1
        total: Counter[int] = Counter()
        for start in range(0, len(kept), BLOCK):
            block = kept[start : start + BLOCK]
            scoped = [final[self.columns[role][block]] for role in SCOPES]
            scoped += [district[scoped[0]] for district in of]
            for j in range(1, len(scoped)):  # a resource twice in one observation's roles: once
                for i in range(j):
                    scoped[j] = np.where(scoped[j] == scoped[i], 0, scoped[j])
            value = final[self.columns[by][block]]
            for resources in scoped:
                present = resources > 0
                found, n = np.unique(resources[present] * width + value[present], return_counts=True)
                total.update(dict(zip(found.tolist(), n.tolist(), strict=True)))
        for key in sorted(total):
            yield key // width, key % width, total[key]


#: Observations written (and counted) a block at a time.
BLOCK = 50_000


def store_pairs(store: ox.Store, predicate: str) -> Iterator[tuple[str, str]]:
    """``Pairs`` of a pyoxigraph store (its default graph the union of its graphs), as a stream."""
    query = f"SELECT ?s ?o WHERE {{ ?s {ox.NamedNode(predicate)} ?o FILTER (isIRI(?s) && isIRI(?o)) }}"
    for solution in store.query(query, use_default_graph_as_union=True):  # type: ignore[union-attr]
        yield solution[0].value, solution[1].value


#: The indexes, made once the rows are in: each scope's, in id order (keyset pagination by id, which
#: sorts as the IRIs do: rows go in in IRI order).
INDEXES = (
    "".join(f"CREATE INDEX obs_{role} ON obs ({role});" for role in SCOPES)
    + "CREATE INDEX obs_charted ON obs (subject, period);ANALYZE;"
)
