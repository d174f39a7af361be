"""The endpoint as JavaScript SPARQL clients see it: tests/js/clients.mjs runs Comunica's
fetch-sparql-endpoint and rdfjs' sparql-http-client under Node.js against a running server.

Needs node and the clients: `npm ci --prefix tests/js` (`make test` does it)."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import start, stop

JS = Path(__file__).resolve().parent / "js"
INSTALL = "run `npm ci --prefix tests/js` (or `make test`, which does it)"


@pytest.fixture(scope="module")
def endpoint(built: tuple[object, Path]) -> Iterator[str]:
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "2")
    yield url + "/sparql"
    stop(proc)


@pytest.mark.slow
def test_javascript_clients(endpoint: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed: install Node.js (20 or later), then {INSTALL}")
    if not (JS / "node_modules").is_dir():
        pytest.fail(f"the JavaScript clients are not installed in {JS / 'node_modules'}: {INSTALL}")
    run = subprocess.run(
        [node, str(JS / "clients.mjs"), endpoint], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, f"JavaScript clients failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"
