"""The index of the observations (``server.observation_index``) against SPARQL over the same store:
for every resource of the build, the roles it plays, its counts per measure and per period, and its
list page after page, filtered or not. And how the index is built, kept and refused."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter

import pyoxigraph as ox
import pytest

from hotline_kg.rdf.vocab import HL, QB
from hotline_kg.server import observation_index
from hotline_kg.server.engine import load_store
from hotline_kg.server.observation_index import IndexNotBuilt, ObservationIndex, build, store_pairs

#: What makes an observation one of a resource's, as SPARQL patterns (the oracle the index is held to).
SCOPES = {
    "subject": "?obs <{hl}subject> <{r}> .",
    "period": "?obs <{hl}refPeriod> <{r}> .",
    "report": "?obs <{hl}report> <{r}> .",
    "dataset": "?obs <{qb}dataSet> <{r}> .",
    "district": "?part <{hl}district> <{r}> . ?obs <{hl}subject> ?part .",
}
OBSERVATION = "?obs <{hl}subject> [] ; <{hl}refPeriod> ?period ; <{hl}measure> ?measure ."


@pytest.fixture(scope="module")
def store(built) -> ox.Store:
    _, dist = built
    return load_store([dist / "hotline.nq.gz"])


@pytest.fixture(scope="module")
def index(store, tmp_path_factory) -> ObservationIndex:
    path = tmp_path_factory.mktemp("index") / observation_index.FILE_NAME
    build(functools.partial(store_pairs, store), path)
    return ObservationIndex(path)


def sparql_observations(store: ox.Store, iri: str) -> dict[str, tuple[str, str]]:
    """Each observation of a resource by SPARQL: its period and measure."""
    found: dict[str, tuple[str, str]] = {}
    for pattern in SCOPES.values():
        where = pattern.format(hl=HL, qb=QB, r=iri) + OBSERVATION.format(hl=HL)
        for row in store.query(f"SELECT ?obs ?period ?measure WHERE {{ {where} }}", use_default_graph_as_union=True):
            found[row["obs"].value] = (row["period"].value, row["measure"].value)
    return found


def resources(store: ox.Store) -> list[str]:
    """Every IRI an observation may be of: the objects of the roles' properties, and districts."""
    props = " ".join(f"<{p}>" for p in (*observation_index.ROLES.values(), observation_index.DISTRICT))
    query = f"SELECT DISTINCT ?r WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?r FILTER isIRI(?r) }}"
    return sorted(row["r"].value for row in store.query(query, use_default_graph_as_union=True))


def listed(index: ObservationIndex, iri: str, size: int, **filters: str) -> list[str]:
    """A resource's whole list, read page after page of ``size``."""
    held, after, out = index.roles(iri), "", []
    while True:
        page = index.page(held, filters, after, size)
        out += page
        if len(page) < size:
            return out
        after = page[-1]


def test_every_resource_has_the_observations_sparql_gives_it(store, index):
    checked = 0
    for iri in resources(store):
        expected = sparql_observations(store, iri)
        held = index.roles(iri)
        assert bool(held) == bool(expected), iri
        assert listed(index, iri, 7) == sorted(expected), iri
        per_measure, per_period = index.summary(held, 10**6)
        assert per_measure == dict(Counter(m for _, m in expected.values())), iri
        assert per_period == dict(Counter(p for p, _ in expected.values())), iri
        checked += bool(expected)
    assert checked > 100  # districts, categories, years, reports, data sets …


def test_the_list_is_filtered_and_the_latest_periods_come_first(store, index):
    district = f"{HL}".replace("def/hotline#", "id/district/110105")
    expected = sparql_observations(store, district)
    for period in {p for p, _ in expected.values()}:
        want = sorted(obs for obs, (p, _) in expected.items() if p == period)
        assert listed(index, district, 3, period=period) == want
    _, latest = index.summary(index.roles(district), 1)
    assert list(latest) == [max(p for p, _ in expected.values())]
    assert index.page(index.roles(district), {"period": "https://example.org/no-such-period"}, "", 10) == []


def test_a_page_starts_after_any_iri_given(store, index):
    district = f"{HL}".replace("def/hotline#", "id/district/110105")
    every = sorted(sparql_observations(store, district))
    between = every[2] + "~"  # not an observation: the list goes on from the next one
    assert index.page(index.roles(district), {}, between, 2) == every[3:5]


def test_an_unknown_resource_plays_no_role(index):
    assert not index.roles("https://example.org/nothing")
    assert index.summary(index.roles("https://example.org/nothing"), 12) == ({}, {})


def pairs_of(obs: int) -> dict[str, list[tuple[str, str]]]:
    """A made-up data set: ``obs`` observations of 10 subjects, 50 periods and 3 measures."""
    ex = "https://example.org/"
    made: dict[str, list[tuple[str, str]]] = {prop: [] for prop in (*observation_index.ROLES.values(),)}
    made[observation_index.DISTRICT] = [(f"{ex}s/{i}", f"{ex}district") for i in range(10)]
    for i in range(obs):
        o = f"{ex}obs/{i:07d}"
        made[str(HL.subject)].append((o, f"{ex}s/{i % 10}"))
        made[str(HL.refPeriod)].append((o, f"{ex}p/{i % 50:03d}"))
        made[str(HL.measure)].append((o, f"{ex}m/{i % 3}"))
        made[str(QB.dataSet)].append((o, f"{ex}ds"))
    return made


def test_a_failed_build_leaves_the_index_that_was_there(tmp_path):
    path = tmp_path / "index.sqlite"
    build(pairs_of(20).__getitem__, path)
    before = path.read_bytes()

    def failing(prop: str) -> list[tuple[str, str]]:
        if prop == str(HL.measure):
            raise OSError("the store went away")
        return pairs_of(30)[prop]

    with pytest.raises(OSError, match="went away"):
        build(failing, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["index.sqlite"]
    assert ObservationIndex(path).size() == 20


def test_an_index_of_another_version_or_none_is_built_again_from_the_engine(tmp_path, monkeypatch):
    path = tmp_path / "index.sqlite"
    with pytest.raises(IndexNotBuilt, match=r"index\.sqlite"):
        ObservationIndex(path)
    build(pairs_of(5).__getitem__, path)
    monkeypatch.setattr(observation_index, "VERSION", observation_index.VERSION + 1)
    with pytest.raises(IndexNotBuilt, match="another version"):
        ObservationIndex(path)

    class Engine:
        async def pairs(self, predicate: str) -> list[tuple[str, str]]:
            return pairs_of(8)[predicate]

    index = asyncio.run(observation_index.opened(Engine(), path, 10))  # type: ignore[arg-type]
    assert index.size() == 8 and index.roles("https://example.org/district").roles == ("district",)


def test_a_look_up_past_the_time_limit_is_stopped(tmp_path):
    path = tmp_path / "index.sqlite"
    build(pairs_of(60_000).__getitem__, path)
    index = ObservationIndex(path, limit=0)
    held = index.roles("https://example.org/ds")
    with pytest.raises(TimeoutError, match="observation index"):  # no observation has that report: all are read
        index.page(held, {"report": "https://example.org/ds"}, "", 10)
    fast = ObservationIndex(path)
    per_measure, per_period = fast.summary(fast.roles("https://example.org/ds"), 12)
    assert sum(per_measure.values()) == 60_000 and len(per_period) == 12
    assert list(per_period) == [f"https://example.org/p/{i:03d}" for i in range(49, 37, -1)]
