"""Faults, each a test: processes killed (the server, a query worker, the loader, a build while it
writes), a remote engine that dies and comes back, a full disk, two builds at once, a damaged kept
store, a dump changed after the build, a gzip bomb. Each gets a named error; the last good build
keeps serving and nothing is lost."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import copy_project, run_build
from hotline_kg.server.engine import inputs, local, stores
from serving import free_port, start, stop

pytestmark = pytest.mark.slow

CLI = (sys.executable, "-m", "hotline_kg.cli")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


# --- processes ------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree(pid: int) -> set[int]:
    """Every descendant of ``pid`` (children, their children …)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def all_end(pids: set[int], seconds: float = 5) -> set[int]:
    """The processes of ``pids`` still alive after waiting up to ``seconds`` for them to end."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def peak_rss_mb(pid: int) -> float:
    """The largest resident set a process has had so far (VmHWM), in MB; 0 once it is gone."""
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


def query(url: str, text: str, timeout: float = 30) -> httpx.Response:
    """A POST query, past the answer cache (each fault must reach the engine)."""
    headers = {"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"}
    return httpx.post(url + "/sparql", data={"query": text}, headers=headers, timeout=timeout)


def count(url: str) -> int:
    answer = query(url, COUNT, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def one_error_line(stderr: str) -> str:
    """The one 'error: …' line of a command that failed cleanly (no traceback)."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


# --- the server and its processes -----------------------------------------------------------------


@pytest.mark.parametrize("store", ["memory", "disk"])
def test_killing_the_server_ends_every_process_of_its_tree(built, store):
    _, dist = built
    _, proc = start("--dist", str(dist), "--workers", "3", "--store", store)
    processes = tree(proc.pid)
    assert len(processes) >= 3, "the server has its query workers"
    folders = store_folders(proc.pid)
    assert len(folders) == (1 if store == "disk" else 0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    survivors = all_end(processes)
    assert not survivors, f"outlived their server: {[cmdline(p) for p in survivors]}"
    if folders:  # the store it left in the temporary directory goes at the next start of a server
        assert folders <= set(stores.sweep_stores()) and not any(f.exists() for f in folders)


def store_folders(pid: int, prefix: str = stores.STORE_PREFIX) -> set[Path]:
    """The folders of on-disk stores (temporary ones, by default) a process has files open in."""
    found = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        with contextlib.suppress(OSError):
            target = Path(os.readlink(fd))
            if target.parent.name.startswith(prefix):
                found.add(target.parent)
    return found


def big_graph(path: Path, triples: int) -> Path:
    with path.open("w") as out:
        for i in range(triples):
            out.write(f'<http://example.org/s{i}> <http://example.org/p{i % 7}> "{i}" .\n')
    return path


def test_killing_the_server_while_it_loads_ends_the_loader(tmp_path):
    data = big_graph(tmp_path / "big.nt", 400_000)
    keep = tmp_path / "stores"
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--data", str(data), "--store", "disk", "--store-dir", str(keep)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    loader, processes = None, set()
    deadline = time.monotonic() + 30
    while loader is None and time.monotonic() < deadline and proc.poll() is None:
        processes = tree(proc.pid)
        loader = next((p for p in processes if "spawn_main" in cmdline(p)), None)
        time.sleep(0.02)
    assert loader is not None, "the server started the process that loads the store"
    (folder,) = store_folders(proc.pid, stores.BUILDING)  # where it builds the store it keeps
    while not (folder / "store").is_dir() and time.monotonic() < deadline:  # the loader has begun its store
        time.sleep(0.02)
    processes = tree(proc.pid)
    assert alive(loader) and (folder / "store").is_dir(), "the loader was loading when the server was killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    survivors = all_end(processes)
    assert not survivors, f"outlived their server: {[cmdline(p) for p in survivors]}"
    assert folder.is_dir() and not list(keep.glob("store-*")), "a store half built, never put in place"
    kept, _ = stores.kept_store([big_graph(tmp_path / "small.nt", 10)], [], keep)  # the next start, over another input
    assert not folder.exists() and [p.name for p in keep.iterdir()] == [kept.parent.name], (
        "its half-built store is gone"
    )


HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?c != ?f) }"


def test_a_worker_killed_mid_query_is_a_named_error_and_is_replaced(built):
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "1", "--store", "memory", "--timeout", "30")
    try:
        (worker,) = tree(proc.pid)
        answers: list[httpx.Response] = []
        asking = threading.Thread(target=lambda: answers.append(query(url, HEAVY, timeout=60)))
        asking.start()
        time.sleep(1)  # the query is being evaluated by the one worker
        assert not answers, "the heavy query is still running"
        os.kill(worker, signal.SIGKILL)
        asking.join(timeout=30)
        (killed,) = answers
        assert killed.status_code == 503, killed.text
        assert f"query worker (pid {worker}) was killed by SIGKILL" in killed.text, killed.text
        assert "replaced" in killed.text
        for n in range(3):  # new queries (none answered before): they go to the new worker
            assert query(url, f"ASK {{ ?s ?p {n} }}").status_code == 200
        assert count(url) > 10000
        (replacement,) = tree(proc.pid)
        assert replacement != worker
        os.kill(replacement, signal.SIGKILL)  # killed while idle: the next query gets a fresh one
        all_end({replacement})
        assert query(url, "ASK { ?s ?p 42 }").status_code == 200
    finally:
        stop(proc)


@contextlib.contextmanager
def oxigraph_server(folder: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    command = local.oxigraph_command(folder, "127.0.0.1", port, 10)
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        local.wait_for_port(port, proc, 30)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_a_remote_engine_that_dies_and_comes_back(built, tmp_path):
    _, dist = built
    folder = tmp_path / "oxigraph"
    local.load_oxigraph(folder, [dist / "hotline.nq.gz"])
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/query"
    proc = None
    try:
        with oxigraph_server(folder, port) as engine:
            url, proc = start("--dist", str(dist), "--engine", endpoint, "--workers", "2")
            triples = count(url)
            assert httpx.get(url + "/id/district/110108").status_code == 200
            engine.kill()
            engine.wait()
        down = query(url, COUNT + " # while the engine is down")
        assert down.status_code == 503 and endpoint in down.text, down.text
        # (the query page shares the endpoint's answer cache: a query not asked before)
        unasked = "SELECT (COUNT(?s) AS ?n) WHERE { ?s ?p ?o }"
        for path in ("/id/district/110108", "/def/hotline", "/query?query=" + quote(unasked)):
            page = httpx.get(url + path, timeout=30)
            assert page.status_code == 503 and endpoint in page.text, (path, page.status_code, page.text)
        for path in ("/", "/query", "/search?q=chaoyang", "/dumps/void.ttl"):
            assert httpx.get(url + path, timeout=30).status_code < 500, path
        with oxigraph_server(folder, port):
            assert proc.poll() is None, "hotline-kg was not restarted"
            assert count(url) == triples  # the first query after the engine came back
            assert httpx.get(url + "/id/district/110108").status_code == 200
    finally:
        if proc is not None:
            stop(proc)


# --- the build --------------------------------------------------------------------------------------


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


PAUSE_WHILE_WRITING = """
import sys, time
from pathlib import Path
from hotline_kg.rdf import build
written = []
real = build._write_file
def write_then_pause(path, data):
    real(path, data)
    written.append(path)
    if len(written) == 3:  # three files of the new build written, the rest not yet: say so, and wait
        Path(sys.argv[-1] + ".paused").write_text(str(path.parent))
        time.sleep(600)
build._write_file = write_then_pause
from hotline_kg.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def writing(built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    """A real `hotline-kg build` over the previous build (a copy of ``built``), paused while it
    writes: three files of the new build written into its temporary folder. Yields the build's
    process, the project it builds and the output folder."""
    _, previous = built
    folder = tmp_path_factory.mktemp("writing")
    project = copy_project(folder / "project")
    out = folder / "dist"
    shutil.copytree(previous, out)
    paused = Path(str(out) + ".paused")
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSE_WHILE_WRITING, "build", "--root", str(project), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    deadline = time.monotonic() + 120
    while not paused.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not paused.is_file():
        proc.kill()
        pytest.fail(f"the build did not reach its writing: {proc.communicate()[1]}")
    try:
        yield proc, project, out
    finally:
        proc.kill()
        proc.wait()


def test_a_second_build_meanwhile_fails_at_once_naming_the_lock(writing, built):
    first, project, out = writing
    lock = out.parent / ".dist.lock"
    started = time.monotonic()
    second = run_build(project, out)
    took = time.monotonic() - started
    assert second.returncode == 1, second.stderr
    error = one_error_line(second.stderr)
    assert str(lock) in error and f"pid {first.pid}" in error and "nothing written" in error, error
    assert took < 20, f"the second build failed after {took:.1f} s, not at once"
    assert first.poll() is None, "the first build is still writing"
    (half,) = [p for p in out.parent.iterdir() if p.name.startswith(".dist.building-")]
    assert len(list(half.iterdir())) == 3, "only the first build wrote: its three files"
    assert files_of(out) == files_of(built[1]), "dist/ is still the previous build"


def test_killing_a_build_while_it_writes_leaves_the_previous_build(writing, built):
    first, project, out = writing
    before = files_of(built[1])
    (half,) = [p for p in out.parent.iterdir() if p.name.startswith(".dist.building-")]
    first.kill()
    first.wait()
    assert first.returncode == -signal.SIGKILL
    assert len(list(half.iterdir())) == 3, "killed while writing its files"
    assert files_of(out) == before, "dist/ is the previous build, byte for byte"
    again = run_build(project, out)
    assert again.returncode == 0, again.stderr
    assert leftovers(out) == [], "the killed build's temporary folder and its lock file are gone"
    check = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@contextlib.contextmanager
def small_disk(folder: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted on ``folder`` (the tests run as root, as CI does)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size // 1024}k", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs on {folder} (root needed, as in CI): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_build_onto_a_full_disk_is_a_named_error(built, project, tmp_path):
    _, previous = built
    size = sum(p.stat().st_size for p in previous.iterdir())
    with small_disk(tmp_path / "disk", size + (1 << 20)) as disk:
        out = disk / "dist"
        shutil.copytree(previous, out)
        before = files_of(out)
        done = run_build(project, out)
        assert done.returncode == 1, done.stderr
        error = one_error_line(done.stderr)
        assert str(out) in error and "no space left" in error.lower(), error
        assert files_of(out) == before, "the previous build is intact"
        assert leftovers(out) == [], "no temporary folder or lock left on the full disk"


# --- what is served ---------------------------------------------------------------------------------


def test_a_damaged_kept_store_is_built_again(built, tmp_path):
    _, dist = built
    keep = tmp_path / "stores"
    args = ("--dist", str(dist), "--store", "disk", "--store-dir", str(keep), "--workers", "1")
    url, proc = start(*args)
    triples = count(url)
    stop(proc)
    (store,) = keep.glob("store-*/store")
    largest = max((p for p in store.iterdir() if p.suffix == ".sst"), key=lambda p: p.stat().st_size)
    stat = largest.stat()
    with largest.open("r+b") as f:  # garbage in its middle, its size and modification time kept
        f.seek(stat.st_size // 2)
        f.write(os.urandom(4096))
    os.utime(largest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    url, proc = start(*args)
    try:
        assert count(url) == triples
    finally:
        stop(proc)
    log = proc.stdout.read().decode()  # type: ignore[union-attr]
    assert f"the kept store {store.parent.name} is damaged ({largest.name} was changed)" in log, log
    assert "building it again" in log
    assert [p.name for p in keep.iterdir() if p.name.startswith(".")] == [], "nothing of the damaged store left"


def test_a_kept_store_missing_a_file_is_built_again(built, tmp_path, capfd):
    _, dist = built
    data, keep = [dist / "hotline.nq.gz"], tmp_path / "stores"
    triples = len(stores.open_store(data, [], True, keep).store)
    (store,) = keep.glob("store-*/store")
    min(store.glob("*.sst")).unlink()
    again = stores.open_store(data, [], True, keep)
    assert len(again.store) == triples
    assert "is missing); building it again" in capfd.readouterr().err


def test_a_dump_changed_after_the_build_is_never_served(built, tmp_path):
    _, previous = built
    dist = tmp_path / "dist"
    shutil.copytree(previous, dist)
    graph = dist / "hotline.nq.gz"
    graph.write_bytes(gzip.compress(gzip.decompress(graph.read_bytes()).replace(b"110108", b"110109", 1), mtime=0))
    done = subprocess.run(
        [*CLI, "serve", "--port", str(free_port()), "--dist", str(dist)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    error = one_error_line(done.stderr)
    assert f"{graph} does not match its checksum in {dist / 'SHA256SUMS'}" in error, error
    shutil.copy(previous / "hotline.nq.gz", graph)
    url, proc = start("--dist", str(dist), "--workers", "1")
    try:
        turtle = dist / "hotline.ttl"
        assert httpx.get(url + "/dumps/hotline.ttl").content == turtle.read_bytes()
        stat = turtle.stat()
        with turtle.open("r+b") as f:  # one byte changed, size and modification time kept
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(b"X" if byte != b"X" else b"Y")
        os.utime(turtle, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        for headers in ({}, {"Range": "bytes=0-99"}):
            changed = httpx.get(url + "/dumps/hotline.ttl", headers=headers)
            assert changed.status_code == 503 and f"{turtle} does not match its checksum" in changed.text, changed.text
        void = dist / "void.ttl"
        void.write_bytes(void.read_bytes() + b"# an edit\n")
        assert httpx.get(url + "/catalog").status_code == 503
        (dist / "extra.ttl").write_text("")  # not part of the build
        assert httpx.get(url + "/dumps/extra.ttl").status_code == 404
        assert httpx.get(url + "/dumps/SHA256SUMS").status_code == 200
        intact = hashlib.sha256((dist / "hotline.jsonld").read_bytes()).hexdigest()
        assert hashlib.sha256(httpx.get(url + "/dumps/hotline.jsonld").content).hexdigest() == intact
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzip bomb: 1 GiB of N-Triples in about 5 MB, made with zlib's fastest setting (about two
    hundred to one). Each line is a new triple whose literal is one character longer than the
    last, so an in-memory store would hold all of it: more than a GB of memory."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.nt.gz"
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    written, length = 0, 1
    with path.open("wb") as out:
        while written < 1 << 30:
            line = b'<http://example.org/s> <http://example.org/p> "' + b"a" * length + b'" .\n'
            out.write(compressor.compress(line))
            written, length = written + len(line), length + 1
        out.write(compressor.flush())
    return path


def serve_once(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    """`hotline-kg serve` with these arguments, expected to stop at start-up: its exit status,
    its stderr, and its peak memory (MB; of the server process itself, not of a loader).

    The peak is the largest VmHWM read from /proc while it runs (every few ms): the rusage of the
    child would not do, as Linux carries the high-water mark of the forked copy of this test
    process (hundreds of MB late in a test run) across the exec."""
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [*CLI, "serve", "--port", str(free_port()), *args], stdout=null, stderr=err, env=env or os.environ.copy()
        )
        status = Path(f"/proc/{proc.pid}/status")
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            time.sleep(0.005)
        err.seek(0)
        return proc.returncode, err.read().decode(), peak / 1024


def test_a_gzip_bomb_is_refused_before_memory_grows(bomb):
    assert bomb.stat().st_size < 8 << 20
    for store in ("memory", "auto", "disk"):  # auto: on disk, as the trailer says 1 GiB (modulo 4 GiB)
        status, stderr, peak = serve_once("--data", str(bomb), "--store", store)
        assert status == 2, stderr
        error = one_error_line(stderr)
        assert str(bomb) in error and "gzip bomb" in error and "HOTLINE_KG_MAX_INPUT" in error, error
        assert peak < 300, f"--store {store}: the server peaked at {peak:.0f} MB"


def test_the_largest_input_is_a_setting(built, monkeypatch):
    _, dist = built
    monkeypatch.setenv("HOTLINE_KG_MAX_INPUT", "500K")
    for name in ("hotline.nq.gz", "hotline.ttl"):  # decompressed as it is read; a plain file by its size
        with pytest.raises(inputs.InputTooLarge, match=rf"{dist / name}: .*{500 << 10}.*HOTLINE_KG_MAX_INPUT"):
            inputs.load_store([dist / name])
    monkeypatch.setenv("HOTLINE_KG_MAX_INPUT", "half a gig")
    with pytest.raises(ValueError, match="HOTLINE_KG_MAX_INPUT=half a gig: not a number of bytes"):
        inputs.load_store([dist / "hotline.ttl"])


def test_a_gzip_file_that_says_it_is_small_still_goes_on_disk(built, tmp_path, monkeypatch):
    """A gzip file's trailer gives the size of its last member only: `auto` chooses memory by it,
    and goes on disk once the text read is past the size it keeps in memory."""
    _, dist = built
    text = gzip.decompress((dist / "hotline.nq.gz").read_bytes())
    data = tmp_path / "small-looking.nq.gz"
    data.write_bytes(gzip.compress(text) + gzip.compress(b""))  # the last member: empty
    assert inputs.input_size(data) < len(text) // 2
    monkeypatch.setattr(stores, "ON_DISK_ABOVE", len(text) // 2)
    loaded = stores.open_store([data], [], None)
    try:
        assert loaded.location is not None and len(loaded.store) == text.count(b"\n")
    finally:
        loaded.close()
