"""Start `hotline-kg serve` on a free port for a test, and stop it."""

import socket
import subprocess
import sys
import time

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
