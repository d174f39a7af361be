"""The query page's editor (server/static/query.js) in Chromium: tests/js/editor.test.mjs, run
under Node.js with Playwright (playwright-core, no browser download) against a running server.

Needs node, `npm ci --prefix tests/js` (`make test` does it) and Debian's chromium (.ci/run
installs it); a missing one fails the test. With HOTLINE_KG_SCREENSHOT=1 it also rewrites the
screenshot docs/query-editor.png (otherwise it goes to the test's temporary folder)."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import start, stop

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(built: tuple[object, Path]) -> Iterator[str]:
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "2")
    yield url
    stop(proc)


def test_query_editor_in_chromium(server: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: install Node.js (20 or later), then `npm ci --prefix tests/js`")
    if not (JS / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run `npm ci --prefix tests/js` (or `make test`)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"chromium is not installed at {CHROMIUM}: `apt-get install chromium` (.ci/run does it)")
    shot = ROOT / "docs" / "query-editor.png" if os.environ.get("HOTLINE_KG_SCREENSHOT") else tmp_path / "editor.png"
    run = subprocess.run(
        [node, str(JS / "editor.test.mjs"), server, str(shot)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CHROMIUM": CHROMIUM},
    )
    assert run.returncode == 0, f"the editor test failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"
