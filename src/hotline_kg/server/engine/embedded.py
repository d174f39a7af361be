"""The embedded engine: Oxigraph in this process, queried in worker processes with a hard time limit.

The parent process loads the graph once into an in-memory pyoxigraph store, then
forks workers that share it copy-on-write. A query runs in a worker; if it is
not done in time, the worker is killed (the work really stops) and a fresh one
is forked, while other workers keep serving. The number of workers is the
concurrency limit. Results come back already serialised, cut at the row limit.
A large graph (``ON_DISK_ABOVE``) goes into an on-disk store instead,
which each worker opens read-only: slower to query, much smaller in memory.

Parent and worker talk over a socket pair, one length-prefixed pickle each way per query
(``worker``: the worker's side; asyncio streams in the parent). The store's input files and
its place in memory or on disk: ``inputs``, ``stores``.

``EmbeddedEngine`` implements ``base.Engine``, the one interface the routes use; a remote
SPARQL engine (``remote.RemoteEngine``) can replace it without touching them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing as mp
import os
import pickle
import re
import signal
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass

import pyoxigraph as ox

from hotline_kg.server import zero_length
from hotline_kg.server.engine.base import (
    Answer,
    Busy,
    QueryFailed,
    QueryTimeout,
    Unavailable,
    types_for,
)
from hotline_kg.server.engine.stores import Loaded
from hotline_kg.server.engine.worker import LENGTH, Dataset, answer_of, frame, respond, serve
from hotline_kg.server.observation_index import store_pairs


@dataclass
class _Worker:
    """A worker process and the server's end of its socket (streams made on first use, in the loop)."""

    process: mp.process.BaseProcess
    sock: socket.socket
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def ask(self, request: tuple[object, ...], limit: float) -> tuple[tuple[object, ...], float]:
        """Send a request and wait for the reply and the seconds the worker took to make it;
        TimeoutError after ``limit`` seconds, IncompleteReadError or OSError if the worker died."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)
        assert self.reader is not None
        self.writer.write(frame(request))
        async with asyncio.timeout(limit):
            head = await self.reader.readexactly(LENGTH.size)
            body = await self.reader.readexactly(LENGTH.unpack(head)[0])
        return pickle.loads(body)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        else:
            self.sock.close()


class _Light:
    """Queries seen to be light: each was evaluated in a worker in less than ``below`` seconds,
    within the row limit, so it runs in the server process from then on, without the round trip
    to a worker (most of the time a small query takes). The graph never changes while served, so
    neither does a query's cost or its number of rows; one that ever takes longer is forgotten
    and goes back to the workers, where it can be stopped. Queries whose cost may vary from run
    to run (RAND) always go to a worker."""

    SIZE = 10_000
    VOLATILE = re.compile(r"\bRAND\s*\(", re.IGNORECASE)

    def __init__(self, below: float) -> None:
        self.below = below
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()

    def known(self, request: tuple[object, ...]) -> bool:
        if request not in self._seen:
            return False
        self._seen.move_to_end(request)
        return True

    def learn(self, request: tuple[object, ...], took: float, reply: tuple[object, ...]) -> None:
        """Remember a query answered (not refused: its result is within the row limit) in less
        than ``below`` seconds; forget one that took longer."""
        if took >= self.below or reply[0] != "ok" or self.VOLATILE.search(request[0]):  # type: ignore[arg-type]
            self._seen.pop(request, None)
            return
        self._seen[request] = None
        if len(self._seen) > self.SIZE:
            self._seen.popitem(last=False)


class EmbeddedEngine:
    """A pool of forked workers over one loaded store (``base.Engine``). Queries seen to take less
    than ``inline_below`` seconds run in this process (``_Light``): the event loop stalls no
    longer than that for one."""

    def __init__(
        self,
        loaded: Loaded,
        workers: int,
        timeout: float,
        max_rows: int,
        base_iri: str | None = None,
        inline_below: float = 0.005,
    ) -> None:
        self.loaded = loaded
        self.location = str(loaded.location) if loaded.location is not None else None
        self.timeout = timeout
        self.max_rows = max_rows
        self.base_iri = base_iri
        self._ctx = mp.get_context("fork")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._size = workers
        self._workers: list[_Worker] = []
        self._graphs = sorted(g.value for g in loaded.store.named_graphs() if isinstance(g, ox.NamedNode))
        self._dataset: Dataset | None = Dataset(loaded.store, union=bool(self._graphs))
        self._len = len(loaded.store) if loaded.size is None else loaded.size
        self._light = _Light(inline_below)
        self._crashing: dict[tuple, str] = {}  # queries a worker crashed on (``CRASHES``), and how

    def named_graphs(self) -> list[str]:
        return list(self._graphs)

    def size(self) -> int:
        return self._len

    async def pairs(self, predicate: str) -> list[tuple[str, str]]:
        """Read from the store in this process (not through a worker: no row limit), in a thread."""
        return await asyncio.to_thread(lambda: list(store_pairs(self.loaded.store, predicate)))

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        args = (child, self._dataset, self.location, os.getpid())
        process = self._ctx.Process(target=serve, args=args, daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    async def start(self) -> None:
        self._idle = asyncio.LifoQueue()  # the worker used last goes next: its caches are warm
        gc.freeze()  # the collector leaves the objects there are now alone: forks keep sharing their pages
        for _ in range(self._size):
            self._idle.put_nowait(self._spawn())

    async def stop(self) -> None:
        for worker in self._workers:
            worker.close()
            if worker.process.is_alive():
                worker.process.kill()
        self._workers.clear()
        self._dataset = None  # the store is closed next: nothing may hold it
        self.loaded.close()

    async def query(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        media_type: str,
        timeout: float | None = None,
    ) -> Answer:
        """Run a query in a worker (waiting for a free one: the concurrency limit), or here if it
        is known to be light (``_Light``)."""
        assert self._idle is not None, "EmbeddedEngine.start() not called"
        if self._dataset is None:  # stopped: no worker is started again
            raise Unavailable("the engine has been stopped")
        limit = self.timeout if timeout is None else timeout
        text = await zero_length.mended(text, limit)  # paths of zero length as SPARQL answers them
        solutions_type, graph_type = types_for(media_type)
        request = (
            text,
            tuple(default_graphs),
            tuple(named_graphs),
            solutions_type,
            graph_type,
            self.max_rows,
            self.base_iri,
        )
        if self._light.known(request):
            started = time.perf_counter()
            reply = respond(self._dataset, request, counted=False)
            self._light.learn(request, time.perf_counter() - started, reply)
            return answer_of(reply)
        if request in self._crashing:  # it would crash the next worker too: not run again
            raise QueryFailed(self._crashing[request])
        if self._idle.empty():
            try:
                worker = await asyncio.wait_for(self._idle.get(), limit)
            except TimeoutError:
                raise Busy(f"all {self._size} query workers stayed busy for {limit:g} s; retry later") from None
        else:
            worker = self._idle.get_nowait()
        try:
            if not worker.process.is_alive():  # it died while idle (killed, out of memory): a fresh one
                self._kill(worker)
                worker = self._spawn()
            reply, took = await worker.ask(request, limit)
        except TimeoutError:
            self._kill(worker)
            worker = self._spawn()
            raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped") from None
        except (asyncio.IncompleteReadError, OSError) as err:  # the worker died under the query
            pid, how = worker.process.pid, _how_it_ended(worker)
            crashed = worker.process.exitcode in CRASHES
            self._kill(worker)
            worker = self._spawn()
            if crashed:  # the engine itself aborted on this query: it would again, every time
                message = (
                    f"the engine could not evaluate this query: its worker (pid {pid}) {how} (Oxigraph aborts "
                    "on a few queries, such as ORDER BY over IRIs, numbers and strings together; ordering by "
                    "STR() of the value avoids that one); it was replaced, and this query is not run again"
                )
                if len(self._crashing) < CRASHES_KEPT:
                    self._crashing[request] = message
                raise QueryFailed(message) from err
            raise Unavailable(
                f"the query worker (pid {pid}) {how} while evaluating the query; it has been replaced, retry"
            ) from err
        except asyncio.CancelledError:  # its reply must not reach the next query
            self._kill(worker)
            worker = self._spawn()
            raise
        finally:
            self._idle.put_nowait(worker)
        self._light.learn(request, took, reply)
        return answer_of(reply)

    def _kill(self, worker: _Worker) -> None:
        """End a worker (if it has not ended) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.process.join(timeout=1)
        worker.close()
        if worker in self._workers:
            self._workers.remove(worker)


#: Seconds to wait for a worker whose socket closed under a query to be seen to have ended.
ENDED_WITHIN = 1
#: Exit codes of a worker that crashed by itself (an abort, as on a Rust panic, or a fault in the
#: engine), not killed from outside (SIGKILL: the time limit, the OOM killer, an operator): the
#: query is at fault, and is answered ``QueryFailed`` (400) and remembered, not retried.
CRASHES = frozenset(-int(s) for s in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE))
#: How many such queries are remembered (each holds its text).
CRASHES_KEPT = 1000


def _how_it_ended(worker: _Worker) -> str:
    """How a worker whose socket closed ended: killed by which signal, or its exit status."""
    worker.process.join(timeout=ENDED_WITHIN)
    code = worker.process.exitcode
    if code is None:
        return "closed its connection"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"
