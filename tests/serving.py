"""Start `hotline-kg serve` on a free port for a test, and stop it; start a real SPARQL engine under it."""

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> tuple[str, subprocess.Popen[bytes]]:
    """`hotline-kg serve` with these arguments on a free port, once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline_kg.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(url + "/sparql", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    pytest.fail("server did not start: " + proc.stdout.read().decode())


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


# --- real SPARQL engines behind the wrapper -------------------------------------------------------------------

#: The engines the protocol, safety and page tests run over: the embedded store (in memory, on
#: disk) and two remote engines started by the tests. CI installs both; a missing one fails.
ENGINES = ("memory", "disk", "oxigraph", "virtuoso")
#: Those of them that are real engines of their own (pytest marker ``engine``).
REMOTE = ("oxigraph", "virtuoso")


@contextlib.contextmanager
def engine(name: str, dump: Path, folder: Path, timeout: float = 2, max_rows: int = 5000) -> Iterator[str]:
    """A remote engine ("oxigraph" or "virtuoso") over ``dump``, loaded into ``folder``, on a free
    port, with its own time limit set as `hotline-kg load` sets it; yields its endpoint's URL."""
    from hotline_kg.server.engine import local

    port = free_port()
    try:
        if name == "oxigraph":
            local.load_oxigraph(folder, [dump])
            # its own limit below the wrapper's: the tests see it stop a query and answer 200 with JSON cut short
            command = local.oxigraph_command(folder, "127.0.0.1", port, max(1, timeout - 1))
            url, probe = f"http://127.0.0.1:{port}/query", port
        else:
            local.load_virtuoso(folder, [dump], timeout, max_rows)
            sql = free_port()
            local.virtuoso_config(folder, sql, port, timeout, max_rows)
            command = local.virtuoso_command(folder)
            url, probe = f"http://127.0.0.1:{port}/sparql", port
    except local.EngineMissing as err:
        pytest.fail(f"the {name} engine is not installed: {err} (CI installs it; see .ci/run)")
    log = folder / "engine.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            local.wait_for_port(probe, proc, 60)
            deadline = time.time() + 60
            while time.time() < deadline:  # Virtuoso listens before its SPARQL endpoint is ready
                try:
                    if httpx.post(url, data={"query": "ASK {}"}, timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        except RuntimeError as err:
            pytest.fail(f"{name} did not start: {err}\n{log.read_text(errors='replace')[-2000:]}")
        yield url
    finally:
        local.stop(proc)
