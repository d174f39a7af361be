"""Run a SPARQL engine on this machine over a build: load the build into the engine's own
database folder, and the command that serves that folder.

- Oxigraph server (PyPI ``oxigraph``): ``oxigraph load`` into DIR, then
  ``oxigraph serve-read-only --location DIR --union-default-graph --timeout-s N``.
- OpenLink Virtuoso 7 (Debian ``virtuoso-opensource``): a private database in DIR with its own
  ``virtuoso.ini`` (a copy of the system's, with this folder's paths, its own ports and limits),
  loaded with ``isql-vt`` (``ld_dir`` + ``rdf_loader_run``), then ``virtuoso-t +foreground``.

``hotline-kg load`` and the tests use these functions.
"""

from __future__ import annotations

import configparser
import gzip
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ENGINES = ("oxigraph", "virtuoso")
#: The system's configuration (written by the package's postinst), else the package's own template.
VIRTUOSO_INIS = (Path("/etc/virtuoso-opensource-7/virtuoso.ini"), Path("/usr/share/virtuoso-opensource-7/virtuoso.ini"))


class EngineMissing(RuntimeError):
    """The engine's program is not installed."""


def _program(name: str, package: str) -> str:
    beside = Path(sys.executable).parent / name  # a program of this environment (pip's oxigraph)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise EngineMissing(f"{name} not found: install {package}")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Oxigraph server -----------------------------------------------------------------------------


def oxigraph_program() -> str:
    return _program("oxigraph", "the PyPI package oxigraph (pip install oxigraph)")


def load_oxigraph(location: Path, files: list[Path]) -> None:
    """Load RDF files (N-Quads, N-Triples, Turtle …, gzipped or not) into an Oxigraph database folder."""
    program = oxigraph_program()
    location.mkdir(parents=True, exist_ok=True)
    for file in files:
        done = subprocess.run(
            [program, "load", "--location", str(location), "--file", str(file)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"oxigraph load {file}: {done.stderr.strip()}")


def oxigraph_command(location: Path, host: str, port: int, timeout: float) -> list[str]:
    """The command serving an Oxigraph folder read-only, the union of its graphs as default graph,
    with its own time limit (a whole number of seconds, at least 1). Its endpoint is /query."""
    return [
        oxigraph_program(),
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"{host}:{port}",
        "--union-default-graph",
        "--timeout-s",
        str(max(1, round(timeout))),
    ]


# --- Virtuoso ------------------------------------------------------------------------------------------


def virtuoso_program() -> str:
    return _program("virtuoso-t", "the Debian package virtuoso-opensource")


def virtuoso_config(location: Path, sql_port: int, http_port: int, timeout: float = 10, max_rows: int = 10000) -> Path:
    """Write ``location/virtuoso.ini``: the system's file with this folder's database files, these
    ports, and limits that let the wrapper's own apply (its row cap above ``max_rows``, so a result
    past the wrapper's limit is seen as such, never silently cut at the engine's; its time limit
    above the wrapper's, so the wrapper stops first and says so)."""
    system = next((p for p in VIRTUOSO_INIS if p.is_file()), None)
    if system is None:
        raise EngineMissing(f"{VIRTUOSO_INIS[0]} not found: install the Debian package virtuoso-opensource")
    location = location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    ini = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read(system)
    db = location
    for section, name in (("Database", "virtuoso"), ("TempDatabase", "virtuoso-temp")):
        ini[section]["DatabaseFile"] = str(db / f"{name}.db")
        ini[section]["TransactionFile"] = str(db / f"{name}.trx")
    ini["Database"]["ErrorLogFile"] = str(db / "virtuoso.log")
    ini["Database"]["LockFile"] = str(db / "virtuoso.lck")
    ini["Database"]["xa_persistent_file"] = str(db / "virtuoso.pxa")
    ini["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    ini["Parameters"]["DirsAllowed"] = f"., {db}"
    ini["Parameters"]["NumberOfBuffers"] = "100000"
    ini["Parameters"]["MaxDirtyBuffers"] = "60000"
    ini["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    ini["SPARQL"]["ResultSetMaxRows"] = str(max(1_000_000, max_rows * 10))
    ini["SPARQL"]["MaxQueryExecutionTime"] = str(max(1, round(timeout)) + 5)
    path = db / "virtuoso.ini"
    with path.open("w") as out:
        ini.write(out)
    return path


def virtuoso_command(location: Path) -> list[str]:
    """The command serving a Virtuoso folder (written by ``virtuoso_config``); its endpoint is /sparql."""
    return [virtuoso_program(), "+foreground", "+configfile", str(location.resolve() / "virtuoso.ini")]


def isql(sql_port: int, statements: str, password: str = "dba") -> str:
    """Run SQL statements on a Virtuoso server; raises with isql's output on an error."""
    program = _program("isql-vt", "the Debian package virtuoso-opensource")
    done = subprocess.run(
        [program, str(sql_port), "dba", password, f"exec={statements}"], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql-vt: {(done.stdout + done.stderr).strip()}")
    return done.stdout


def stop(process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """End a process: SIGTERM, then SIGKILL if it is still there after ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the engine exited with status {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:g} s")


def load_virtuoso(location: Path, files: list[Path], timeout: float = 10, max_rows: int = 10000) -> None:
    """Create a Virtuoso database in ``location`` with these files of quads (N-Quads, gzipped or
    not) or triples (N-Triples, Turtle: into the default graph of the loader), then stop it."""
    location = location.resolve()
    incoming = location / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    for file in files:  # the loader reads only from DirsAllowed
        name = file.name.removesuffix(".gz")
        with (
            gzip.open(file) if file.name.endswith(".gz") else file.open("rb") as src,
            (incoming / name).open("wb") as dst,
        ):
            shutil.copyfileobj(src, dst)
    sql_port, http_port = free_port(), free_port()
    virtuoso_config(location, sql_port, http_port, timeout, max_rows)
    process = subprocess.Popen(virtuoso_command(location), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(sql_port, process)
        isql(sql_port, f"ld_dir('{incoming}', '*', 'urn:hotline-kg:default'); rdf_loader_run(); checkpoint;")
        failed = isql(sql_port, "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if "0 Rows" not in failed:
            raise RuntimeError(f"virtuoso could not load: {failed.strip()}")
        isql(sql_port, "shutdown;")
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    shutil.rmtree(incoming)
