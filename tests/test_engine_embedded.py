"""The embedded engine in process: the row limit counted on Oxigraph's own output, light
queries answered without a worker, the time limit kept for the rest, and workers that hold
nothing of the server's but their socket."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from hotline_kg.formats import SOLUTION_FORMATS
from hotline_kg.server import observation_index
from hotline_kg.server.engine import QueryTimeout, TooManyResults, embedded, inputs, stores
from hotline_kg.server.engine.embedded import EmbeddedEngine
from hotline_kg.server.engine.inputs import input_size, load_store
from hotline_kg.server.engine.stores import Loaded

EX = "http://example.org/"
JSON = "application/sparql-results+json"
ROWS = 30


def graph_file(folder: Path) -> Path:
    """Thirty things, each with a label that holds a newline, a tab and a quote."""
    lines = [f'<{EX}t{i}> <{EX}label> "line one\\nline\\ttwo \\"{i}\\""@en .' for i in range(ROWS)]
    path = folder / "things.nt.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return path


@pytest.fixture
def engine(tmp_path):
    async def make(
        max_rows: int = 100, timeout: float = 5, workers: int = 2, inline_below: float = 0.005
    ) -> EmbeddedEngine:
        store = load_store([graph_file(tmp_path)])
        served = EmbeddedEngine(Loaded(store), workers, timeout, max_rows, inline_below=inline_below)
        await served.start()
        return served

    return make


def run_async(coroutine):
    return asyncio.run(coroutine)


def rows(answer) -> list[dict]:
    return json.loads(answer.body)["results"]["bindings"]


def test_the_row_limit_counts_rows_not_lines_of_text(engine):
    query = f"SELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }}"

    async def check():
        exact = await engine(max_rows=ROWS)
        try:
            answer = await exact.query(query, [], [], JSON)
        finally:
            await exact.stop()
        assert len(rows(answer)) == ROWS
        assert rows(answer)[0]["label"]["value"].startswith("line one\nline\ttwo")
        short = await engine(max_rows=ROWS - 1)
        try:
            with pytest.raises(TooManyResults, match=f"more than {ROWS - 1} rows"):
                await short.query(query, [], [], JSON)
            with pytest.raises(TooManyResults):
                await short.query(f"CONSTRUCT WHERE {{ ?s <{EX}label> ?label }}", [], [], "text/turtle")
            # refused once, refused again: a refused query is never taken for a light one
            with pytest.raises(TooManyResults):
                await short.query(query, [], [], JSON)
        finally:
            await short.stop()

    run_async(check())


@pytest.mark.parametrize("media", ["application/sparql-results+xml", "text/csv", "text/tab-separated-values", JSON])
def test_each_result_format_holds_every_row(engine, media):
    query = f"SELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }} ORDER BY ?s"

    async def check():
        served = await engine()
        try:
            first = await served.query(query, [], [], media)
            again = await served.query(query, [], [], media)  # answered in the server process
        finally:
            await served.stop()
        assert first.body == again.body
        if media == "text/csv":  # lossy: Oxigraph does not read it back
            assert len(list(csv.reader(io.StringIO(first.body.decode())))) == ROWS + 1
        else:
            parsed = ox.parse_query_results(first.body, format=SOLUTION_FORMATS[media])
            assert len(list(parsed)) == ROWS  # type: ignore[arg-type]

    run_async(check())


def test_a_light_query_is_answered_without_a_worker_and_a_heavy_one_still_stops(engine, monkeypatch):
    light = f"SELECT ?s WHERE {{ ?s <{EX}label> ?l }} LIMIT 3"
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"

    async def check():
        # light: under a second in its worker (the default, 5 ms, is too close to a busy machine's noise)
        served = await engine(timeout=1, inline_below=1)
        try:
            await served.query(light, [], [], JSON)  # first in a worker
            with monkeypatch.context() as patched:
                patched.setattr(embedded._Worker, "ask", None)  # no worker can answer now
                answer = await served.query(light, [], [], JSON)
            assert len(rows(answer)) == 3
            with pytest.raises(QueryTimeout):
                await served.query(heavy, [], [], JSON)
        finally:
            await served.stop()

    run_async(check())


def test_queries_whose_cost_may_vary_always_go_to_a_worker(engine):
    query = f"SELECT ?s WHERE {{ ?s <{EX}label> ?l FILTER(RAND() < 2) }} LIMIT 1"

    async def check():
        served = await engine()
        try:
            await served.query(query, [], [], JSON)
            await served.query(query, [], [], JSON)
            assert not served._light.known((query, (), (), JSON, "text/turtle", served.max_rows, served.base_iri))
        finally:
            await served.stop()

    run_async(check())


def test_a_worker_holds_no_descriptor_of_the_server_but_its_socket(engine, tmp_path):
    held = (tmp_path / "held.txt").open("w")  # stands for a client's connection

    async def check():
        served = await engine(workers=1)
        try:
            worker = served._workers[0]
            await served.query("ASK {}", [], [], JSON)  # it answers over the one it keeps
            fds = os.listdir(f"/proc/{worker.process.pid}/fd")
        finally:
            await served.stop()
        return fds

    try:
        fds = run_async(check())
    finally:
        held.close()
    assert len([fd for fd in fds if int(fd) > 2]) == 1, fds


def test_input_size_reads_the_size_a_gzip_file_holds(tmp_path):
    text = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n" * 5000
    (tmp_path / "g.nt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "g.nt").write_bytes(text)
    assert input_size(tmp_path / "g.nt.gz") == len(text)
    assert input_size(tmp_path / "g.nt") == len(text)


def test_a_damaged_gzip_file_is_named(tmp_path):
    path = tmp_path / "broken.nt.gz"
    path.write_bytes(gzip.compress(b"<http://example.org/a> <http://example.org/b> 1 .\n" * 100)[:-20])
    with pytest.raises(ValueError, match=r"broken\.nt\.gz"):
        load_store([path])


def test_a_kept_store_is_built_once_and_found_at_the_next_start(tmp_path, monkeypatch):
    data = graph_file(tmp_path)
    keep = tmp_path / "stores"
    first = stores.open_store([data], [], on_disk=True, keep_in=keep)
    assert len(first.store) == ROWS and first.size == ROWS  # counted by the loader, kept in its record
    assert first.location is not None and (first.location.parent / observation_index.FILE_NAME).is_file()
    first.close()
    assert [p.name for p in keep.iterdir() if p.name.startswith(".building")] == []

    def no_load(*_):
        raise AssertionError("the kept store was built again")

    with monkeypatch.context() as patched:
        patched.setattr(stores, "_load_apart", no_load)
        again = stores.open_store([data], [], on_disk=True, keep_in=keep)
        assert len(again.store) == ROWS and again.size == ROWS
    data.write_bytes(gzip.compress(f"<{EX}a> <{EX}b> <{EX}c> .\n".encode()))  # a new build of the input
    changed = stores.open_store([data], [], on_disk=True, keep_in=keep)
    assert len(changed.store) == 1
    assert len([p for p in keep.iterdir() if p.name.startswith("store-")]) == 2


def test_a_kept_store_that_cannot_be_built_leaves_nothing_behind(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://example.org/a> <http://example.org/b> .\n")
    keep = tmp_path / "stores"
    with pytest.raises(ValueError, match=r"bad\.nt"):
        stores.open_store([bad], [], on_disk=True, keep_in=keep)
    assert list(keep.iterdir()) == []


def test_an_on_disk_store_loads_in_pieces_and_keeps_blank_nodes_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "PIECE", 200)  # a few lines a piece
    lines = [f"<{EX}s{i}> <{EX}p> <{EX}o{i}> ." for i in range(40)]
    plain = tmp_path / "plain.nt"
    plain.write_text("\n".join(lines))  # no newline at the end
    store = load_store([plain], tmp_path / "one")
    assert len(store) == 40
    # one blank node named at the start, in the middle and at the end of a file of many pieces
    blank = tmp_path / "blank.nt"
    blank.write_text("\n".join([f'_:b <{EX}first> "1" .', *lines, f'_:b <{EX}last> "2" .', *lines[:3]]) + "\n")
    store = load_store([blank], tmp_path / "two")
    subjects = {str(row[0]) for row in store.query(f"SELECT ?s WHERE {{ ?s <{EX}first>|<{EX}last> ?o }}")}
    assert len(subjects) == 1, subjects
    late = tmp_path / "late.nt"
    late.write_text("\n".join([*lines, f'_:c <{EX}first> "1" .', *lines, f'_:c <{EX}last> "2" .']))
    store = load_store([late], tmp_path / "three")
    subjects = {str(row[0]) for row in store.query(f"SELECT ?s WHERE {{ ?s <{EX}first>|<{EX}last> ?o }}")}
    assert len(subjects) == 1, subjects


def test_a_bad_line_in_a_later_piece_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "PIECE", 200)
    lines = [f"<{EX}s{i}> <{EX}p> <{EX}o{i}> ." for i in range(40)]
    lines[30] = f"<{EX}s30> <{EX}p> ."
    bad = tmp_path / "bad.nt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"bad\.nt: in the lines from line \d+ on") as caught:
        load_store([bad], tmp_path / "store")
    first = int(str(caught.value).split("from line ")[1].split()[0])
    assert first <= 31
