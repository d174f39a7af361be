"""`hotline-kg build`: facts + code lists + ontology → dist/.

Reads data/facts/*.csv, data/reference/*.csv, data/raw/sources.csv and
ontology/hotline.ttl; writes the graphs as dumps with VoID/DCAT metadata and
SHA256SUMS. Everything is computed in memory first; dist/ is replaced in one
rename at the end, so a failed build leaves the previous dist/ as it was.

One build writes a folder at a time (``locked``: a lock file beside it, ``.<name>.lock``); a
second fails at once, naming the lock file. The new files are written into a temporary folder
beside the old one (``.<name>.building-*``), flushed to disk, and exchanged with it in one
atomic rename (``renameat2``'s RENAME_EXCHANGE), so a build killed at any moment leaves either
the previous folder or the new one, whole; temporary folders of killed builds are removed by
the next build.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from hotline_kg.rdf import dumps, tables
from hotline_kg.rdf.errors import BuildError
from hotline_kg.rdf.graphs import Source, ontology_graph, reference_graph, report_graph
from hotline_kg.rdf.metadata import metadata_graph
from hotline_kg.rdf.observations import Observation, observations, read_facts, subject_codes
from hotline_kg.rdf.reference import Code, load
from hotline_kg.rdf.vocab import Site


@dataclass(frozen=True)
class Inputs:
    """Where the build reads from, relative to the project root."""

    root: Path

    @property
    def facts(self) -> list[Path]:
        return sorted((self.root / "data" / "facts").glob("*.csv"))

    @property
    def reference(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def sources(self) -> Path:
        return self.root / "data" / "raw" / "sources.csv"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "hotline.ttl"


@dataclass(frozen=True)
class Built:
    """The graphs of a build (graph name → graph) and the files made from them."""

    graphs: dict[URIRef, Graph]
    files: dict[str, bytes]
    observations: dict[int, list[Observation]]


def build_graphs(site: Site, inputs: Inputs) -> tuple[dict[URIRef, Graph], dict[int, list[Observation]], Graph]:
    """All named graphs, in a fixed order: ontology, reference, then one per report."""
    if not inputs.ontology.exists():
        raise BuildError(inputs.ontology, None, "ontology missing")
    try:
        ontology = ontology_graph(site, inputs.ontology)
    except Exception as exc:  # rdflib raises several types for bad Turtle
        raise BuildError(inputs.ontology, None, f"not valid Turtle: {exc}") from exc
    ref = load(inputs.reference)
    sources = read_sources(inputs.sources)
    if not inputs.facts:
        raise BuildError(inputs.root / "data" / "facts", None, "no facts tables (run hotline-kg extract)")
    by_year: dict[int, list[Observation]] = {}
    codes: dict[str, Code] = dict(ref.codes)
    for path in inputs.facts:
        rows = read_facts(path)
        years = {row["year"] for _, row in rows}
        if len(years) != 1:
            raise BuildError(path, None, f"a facts table holds one report year, found {sorted(years)}")
        year = int(years.pop())
        if year not in sources:
            raise BuildError(path, rows[0][0], f"a facts table of {year}, which has no row in {inputs.sources}")
        if year in by_year:
            raise BuildError(path, rows[0][0], f"a second facts table for {year}")
        for line, row in rows:
            for code in subject_codes(path, line, row, ref):
                codes.setdefault(code.path, code)
        by_year[year] = observations(path, rows, ref)
    periods = sorted(
        {o.period for obs in by_year.values() for o in obs}
        | {o.base_period for obs in by_year.values() for o in obs if o.base_period}
        | {str(y) for y in sources}
    )
    graphs = {
        site.graph("ontology"): ontology,
        site.graph("reference"): reference_graph(
            site,
            sorted(codes.values(), key=lambda c: c.path),
            ref.close_matches,
            periods,
            [sources[y] for y in sorted(sources)],
        ),
    }
    for year in sorted(by_year):
        graphs[site.graph(f"report/{year}")] = report_graph(site, ontology, sources[year], by_year[year])
    return graphs, by_year, ontology


def build(site: Site, inputs: Inputs, modified: dt.date) -> Built:
    """The graphs and the data files of dist/, in memory (SHA256SUMS comes last: `with_checksums`)."""
    graphs, by_year, _ = build_graphs(site, inputs)
    whole = dumps.union(site, graphs)
    files: dict[str, bytes] = {
        "hotline.ttl": dumps.turtle(site, whole),
        "hotline.nt.gz": dumps.gz(("\n".join(dumps.ntriples_lines(whole)) + "\n").encode("utf-8")),
        "hotline.nq.gz": dumps.gz(dumps.nquads(graphs)),
        "hotline.jsonld": dumps.jsonld(site, graphs, dumps.jsonld_context(site, graphs[site.graph("ontology")])),
        "ontology.ttl": dumps.turtle(site, graphs[site.graph("ontology")]),
    }
    for year in sorted(by_year):
        files[f"report-{year}.ttl"] = dumps.turtle(site, graphs[site.graph(f"report/{year}")])
    files.update(tables.files(site, by_year, modified))  # observations CSVs, their CSVW metadata, the .xlsx
    sources = read_sources(inputs.sources)
    examples = [site.id("category/market-management"), site.id("district/110108")]
    examples += [site.id(obs[0].path) for _, obs in sorted(by_year.items()) if obs][:1]
    meta = metadata_graph(
        site,
        graphs,
        whole,
        files,
        [sources[y] for y in sorted(sources)],
        modified,
        [e for e in examples if (e, None, None) in whole],
    )
    files["void.ttl"] = dumps.turtle(site, meta)
    return Built(graphs, files, by_year)


def with_checksums(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files plus SHA256SUMS over all of them."""
    return {**files, "SHA256SUMS": dumps.sha256sums({k: v for k, v in files.items() if k != "SHA256SUMS"})}


def read_sources(path: Path) -> dict[int, Source]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            out = {}
            for row in reader:
                try:
                    out[int(row["year"])] = Source(
                        int(row["year"]),
                        row["file"],
                        row["sha256"],
                        row["title_zh"],
                        row["title_en"],
                        row["publisher_zh"],
                        row["publisher_en"],
                    )
                except (KeyError, ValueError) as exc:
                    raise BuildError(path, reader.line_num, f"incomplete row: {exc}") from exc
            return out
    except FileNotFoundError as exc:
        raise BuildError(path, None, "missing") from exc


class Locked(BuildError):
    """Another build is writing the same folder."""


class WriteFailed(BuildError):
    """The new build could not be written (a full disk, a read-only folder …); the previous one is unchanged."""


def lock_path(out: Path) -> Path:
    """The lock file of the folder ``out``: beside it, hidden."""
    return out.parent / f".{out.name}.lock"


#: Lock files this process holds (``locked`` is reentrant within a process).
_HELD: set[Path] = set()


@contextlib.contextmanager
def locked(out: Path) -> Iterator[Path]:
    """Hold the lock of ``out`` (an exclusive ``flock`` on ``lock_path(out)``, released by the
    system if the build dies), or raise ``Locked`` at once, naming the lock file and the build
    holding it. The lock file is removed when released; one left by a killed build is taken over."""
    path = lock_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WriteFailed(out.parent, None, f"cannot make the folder: {err.strerror}") from err
    key = path.resolve()
    if key in _HELD:
        yield path
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise WriteFailed(path, None, f"cannot make the lock file: {err.strerror}") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"another `hotline-kg build` (pid {holder})" if holder else "another `hotline-kg build`"
            raise Locked(path, None, f"{who} is writing {out}; nothing written, try again when it ends") from None
        # the build that held it may have removed the file (and a third made a new one) meanwhile
        try:
            here, there = os.fstat(fd), os.stat(path)
            same = (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    with contextlib.suppress(OSError):  # the holder's pid, for the message of a second build (a full disk: none)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    _HELD.add(key)
    try:
        yield path
    finally:
        _HELD.discard(key)
        with contextlib.suppress(OSError):
            path.unlink()  # while still held: a build waiting on this file sees it gone and retries
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


#: renameat2(2) flag: exchange the two paths atomically.
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _write_file(path: Path, data: bytes) -> None:
    """Write one file of the build and flush it to disk."""
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o644)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def leftovers(out: Path) -> list[Path]:
    """Temporary folders of builds of ``out`` that did not finish (killed): none while a build
    holds the lock but its own."""
    if not out.parent.is_dir():
        return []
    return [
        p
        for p in out.parent.iterdir()
        if p.name.startswith((f".{out.name}.building-", f".{out.name}.old")) and p.is_dir() and not p.is_symlink()
    ]


def write_dir(out: Path, files: dict[str, bytes]) -> None:
    """Replace ``out`` with a directory of exactly these files, in one atomic exchange, under the
    lock of ``out``. Raises ``Locked`` if another build writes it, ``WriteFailed`` (naming the
    folder, the file and the system's reason, e.g. no space left) if the files cannot be written:
    ``out`` is then unchanged and no temporary folder is left."""
    with locked(out):
        old = out.parent / f".{out.name}.old"
        if not out.exists() and old.is_dir():  # a build without the exchange, killed between its renames
            old.rename(out)
        for stale in leftovers(out):  # of builds killed before they finished
            shutil.rmtree(stale, ignore_errors=True)
        tmp: Path | None = None
        name = ""
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
            for name, data in files.items():
                _write_file(tmp / name, data)
            name = ""
            os.chmod(tmp, 0o755)
            _fsync_dir(tmp)
            if out.exists() and _exchange(tmp, out):
                _fsync_dir(out.parent)
                shutil.rmtree(tmp, ignore_errors=True)  # the previous build, now
                return
            if out.exists():
                out.rename(old)
            tmp.rename(out)
            _fsync_dir(out.parent)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as err:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            where = f"cannot write {name} in {tmp}" if name else f"cannot put the new build in place of {out}"
            reason = err.strerror or str(err)
            raise WriteFailed(out, None, f"{where}: {reason}; nothing written, {out} is unchanged") from err
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
