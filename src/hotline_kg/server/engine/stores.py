"""Where the embedded engine's store lives: in memory, or on disk (``open_store``) — in a
temporary folder locked while in use (``sweep_stores`` removes those of servers that died), or
kept in ``--store-dir`` for the next start and checked against the record of its files
(``kept_store``). An on-disk store is loaded in a short-lived process (``_load_apart``), which also writes the
index of its observations beside it (``server.observation_index``)."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from hotline_kg.progress import step
from hotline_kg.server import observation_index
from hotline_kg.server.engine.inputs import PastMemory, input_size, load_store
from hotline_kg.server.engine.worker import die_with_parent
from hotline_kg.server.observation_index import store_pairs

#: Above this many bytes of input (uncompressed), ``auto`` puts the store on disk and each worker
#: opens it read-only. In memory, queries are several times faster, but the store takes about
#: two to three times its N-Triples size, and not once: Oxigraph's in-memory store writes to its pages as
#: it reads them, so each forked worker soon holds a copy of its own (measured: 100k synthetic
#: observations, 460 MB in memory, 2.1 GB for the server and 4 workers after one heavy query
#: each). On disk, the workers share the operating system's page cache.
ON_DISK_ABOVE = 20_000_000


@dataclass
class Loaded:
    """The served graph, loaded: in memory, or on disk in a temporary folder."""

    store: ox.Store
    location: Path | None = None
    folder: tempfile.TemporaryDirectory[str] | None = None
    claim: int | None = None  # the lock held on the temporary folder while it is in use (``_claim``)
    size: int | None = None  # how many quads, if its loader counted them (counting an on-disk store takes seconds)

    def close(self) -> None:
        if self.folder is not None:
            del self.store
            self.folder.cleanup()
        if self.claim is not None:
            os.close(self.claim)
            self.claim = None


def open_store(
    files: list[Path], named: list[tuple[str, Path]], on_disk: bool | None = None, keep_in: Path | None = None
) -> Loaded:
    """Load these files (and ``named`` files, each into its named graph), in memory or, above
    ON_DISK_ABOVE bytes of input (``on_disk=None``), on disk: in a temporary folder, or in
    ``keep_in``, where the next start finds it (``kept_store``). Bad input raises ValueError
    naming the file."""
    asked = on_disk
    if on_disk is None:
        on_disk = sum(input_size(p) for p in [*files, *(p for _, p in named)]) > ON_DISK_ABOVE
    if not on_disk:
        if asked is not None:  # --store memory
            return Loaded(load_store(files, named=named))
        try:  # chosen by the sizes the files say they hold: a gzip file may lie in its trailer
            return Loaded(load_store(files, named=named, in_memory_up_to=ON_DISK_ABOVE))
        except PastMemory:
            pass  # on disk, below (the store half loaded in memory is freed with the exception)
    if keep_in is not None:
        location, size = kept_store(files, named, keep_in)
        try:
            return Loaded(ox.Store.read_only(str(location)), location, size=size)
        except OSError as err:  # damaged in a way its record of its files does not show: once more
            _discard(location.parent, f"it cannot be opened: {err}", files)
            location, size = kept_store(files, named, keep_in)
            return Loaded(ox.Store.read_only(str(location)), location, size=size)
    sweep_stores()
    folder = tempfile.TemporaryDirectory(prefix=STORE_PREFIX)
    claim = _claim(Path(folder.name))
    location = Path(folder.name) / "store"
    try:
        size = _load_apart(files, named, location)
    except ValueError:
        folder.cleanup()
        os.close(claim)
        raise
    return Loaded(ox.Store.read_only(str(location)), location, folder, claim, size)


#: The temporary folders of on-disk stores: ``<temporary directory>/hotline-kg-store-*``.
STORE_PREFIX = "hotline-kg-store-"
#: In each, a file the server holds a lock on while it serves the store.
IN_USE = "in-use"


def _claim(folder: Path) -> int:
    """Lock a new store folder for this server (until it closes the store, or dies): a file
    locked first, then named ``IN_USE``, so that no one ever sees it unlocked before it is used."""
    making = folder / f".{IN_USE}"
    fd = os.open(making, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(making, folder / IN_USE)
    return fd


def sweep_stores(under: Path | None = None, prefix: str = STORE_PREFIX) -> list[Path]:
    """Remove the temporary store folders (``prefix*`` in ``under``, by default the temporary
    directory) of servers that were killed: their lock was released with them, and a server ended
    by a signal it cannot catch leaves its folder behind. The folders removed."""
    removed = []
    for folder in Path(under or tempfile.gettempdir()).glob(prefix + "*"):
        try:
            fd = os.open(folder / IN_USE, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue  # not one of ours, or not yet claimed
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def kept_store(files: list[Path], named: list[tuple[str, Path]], folder: Path) -> tuple[Path, int]:
    """The on-disk store of these inputs in ``folder/store-<stamp>/`` and how many quads it holds,
    built first if no earlier
    start built it. The stamp names the files (path, size, time of change), their named graphs
    and the Oxigraph version; the store is built in a temporary folder beside it and renamed
    when complete, so a start that finds it never sees half a store, and servers starting at
    once over the same folder each end up with the one store. Stores of other inputs are left.

    A store found there is checked against the record of its files made when it was built
    (``complete``: each file's size and times of change): one damaged since (a file changed,
    cut short, removed or added) is rebuilt from the input files, saying so on stderr."""
    inputs = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns, "") for p in files]
    inputs += [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns, iri) for iri, p in named]
    stamp = hashlib.sha256(json.dumps([ox.__version__, inputs]).encode()).hexdigest()[:16]
    target = folder / f"store-{stamp}"
    if (target / "complete").is_file():
        problem = _damage(target)
        if problem is None:
            return target / "store", json.loads((target / "complete").read_text())["size"]
        _discard(target, problem, files)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stores(folder, BUILDING)  # of servers killed while they built a store here
        for aside in folder.glob(".damaged-*"):
            shutil.rmtree(aside, ignore_errors=True)
        building = Path(tempfile.mkdtemp(prefix=f"{BUILDING}{stamp}-", dir=folder))
        claim = _claim(building)
    except OSError as err:
        raise ValueError(f"--store-dir {folder}: {err.strerror}") from err
    try:
        size = _load_apart(files, named, building / "store")
        record = {"inputs": inputs, "size": size, "files": _files_of(building / "store")}
        (building / "complete").write_text(json.dumps(record, indent=1) + "\n")
        os.rename(building, target)
    except OSError:  # another server finished it first, or the folder failed us
        shutil.rmtree(building, ignore_errors=True)
        if not (target / "complete").is_file():
            raise ValueError(f"--store-dir {folder}: the store could not be put in place") from None
        size = json.loads((target / "complete").read_text())["size"]
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    finally:
        os.close(claim)
    return target / "store", size


#: The folders a kept store is built in, in ``--store-dir``, until it is complete.
BUILDING = ".building-"


#: Files of an on-disk store that may change while its data does not (RocksDB's lock file and
#: its information log): not in the record of its files.
UNRECORDED = ("LOCK", "LOG")


def _files_of(store: Path) -> dict[str, list[int]]:
    """Each file of an on-disk store: its size and times of modification and of change (which
    no one can set back: any write to the file, or a copy of it, changes it)."""
    found = {}
    for path in sorted(store.rglob("*")):
        if path.is_file() and not path.name.startswith(UNRECORDED):
            stat = path.stat()
            found[str(path.relative_to(store))] = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    return found


def _damage(target: Path) -> str | None:
    """What is wrong with a kept store (``target/store``) against the record of its files
    (``target/complete``), or None."""
    try:
        record = json.loads((target / "complete").read_text())
        listed = record["files"]
        assert isinstance(listed, dict) and isinstance(record["size"], int)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return "the record of its files is unreadable, or it was built by an earlier version"
    found = _files_of(target / "store")
    for name, stat in listed.items():
        if name not in found:
            return f"{name} is missing"
        if found[name][0] != stat[0]:
            return f"{name} has {found[name][0]} bytes, not {stat[0]}"
        if found[name] != stat:
            return f"{name} was changed"
    extra = sorted(set(found) - set(listed))
    return f"{extra[0]} is not one of its files" if extra else None


def _discard(target: Path, problem: str, files: list[Path]) -> None:
    """Say that a kept store is damaged and remove it (another server may have done so first)."""
    print(
        f"warning: --store-dir {target.parent}: the kept store {target.name} is damaged ({problem}); "
        f"building it again from {', '.join(map(str, files))}",
        file=sys.stderr,
    )
    aside = target.parent / f".damaged-{target.name}-{os.getpid()}"
    try:
        os.rename(target, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _load_apart(files: list[Path], named: list[tuple[str, Path]], location: Path) -> int:
    """Bulk-load an on-disk store in a short-lived process, then index its observations in another
    (``observation_index``, beside the store), so the memory each needs is returned when it ends
    instead of staying in the server (and in every forked worker), and the two never add up; how
    many quads the store holds. The processes are started afresh, not forked: a fork of a process
    that has used RocksDB can wait forever on a lock of RocksDB's that no thread of the fork will
    ever release."""
    compact = sum(input_size(p) for p in [*files, *(p for _, p in named)]) <= COMPACT_UP_TO
    failed = f"loading {', '.join(map(str, files))} failed"
    _apart(_load_into, (files, named, location, compact), failed)
    return _apart(_index_into, (location,), failed)


def _apart(target: Callable[..., None], args: tuple[object, ...], failed: str) -> int:
    """Run ``target(*args, send, server)`` in a process of its own; what it sends: ("", a number)
    when done, else (what went wrong, -1), raised as ValueError."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=target, args=(*args, send, os.getpid()))
    process.start()
    send.close()  # the process holds the only writing end: if it dies, the read below ends
    try:
        message, number = receive.recv()
    except EOFError:
        message, number = "", -1
    process.join()
    if message or process.exitcode != 0 or number < 0:
        raise ValueError(message or f"{failed} (exit {process.exitcode})")
    return int(number)


#: Up to this many bytes of input, a new on-disk store is compacted once loaded (Oxigraph's
#: ``optimize``). Measured at 1M observations (2.8 GB of N-Quads, 17M quads): 55 s, after which
#: indexing its observations takes 124 s instead of 269 s (every look-up reads fewer files), and
#: the pages' queries are faster too; at 100k observations about a second that makes the heavy
#: example queries half again to twice as fast.
COMPACT_UP_TO = 50_000_000_000


def _load_into(
    files: list[Path], named: list[tuple[str, Path]], location: Path, compact: bool, send: Connection, server: int
) -> None:
    """The loading process of ``_load_apart``. It ends with the server, even a server killed with
    SIGKILL while it loads."""
    die_with_parent(server)
    _report(send, files, lambda: _load(files, named, location, compact))


def _load(files: list[Path], named: list[tuple[str, Path]], location: Path, compact: bool) -> int:
    store = load_store(files, location, named)
    if compact:
        with step("compacting the store"):
            store.optimize()
    store.flush()
    return 0


def _index_into(location: Path, send: Connection, server: int) -> None:
    """The indexing process of ``_load_apart``: the index of the observations beside the store,
    from the store opened read-only; then how many quads it holds."""
    die_with_parent(server)

    def index() -> int:
        store = ox.Store.read_only(str(location))
        with step("indexing the observations"):
            observation_index.build(
                functools.partial(store_pairs, store), location.parent / observation_index.FILE_NAME
            )
        with step("counting the quads"):
            return len(store)

    _report(send, [location], index)


def _report(send: Connection, files: list[Path], work: Callable[[], int]) -> None:
    """Send what ``work`` gives, or what went wrong (bad input by its message; a bug named too)."""
    try:
        send.send(("", work()))
    except (ValueError, OSError) as err:
        send.send((str(err), -1))
    except BaseException as err:  # a bug, not bad input: still named
        send.send((f"loading {', '.join(map(str, files))} failed: {type(err).__name__}: {err}", -1))
