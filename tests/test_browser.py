"""The pages in Chromium, under Node.js with Playwright (playwright-core, no browser download),
against a running server: the query page's editor (server/static/query.js,
tests/js/editor.test.mjs) and a reader's click-through of the pages (tests/js/pages.test.mjs).

Needs node, `npm ci --prefix tests/js` (`make test` does it) and Debian's chromium (.ci/run
installs it); a missing one fails the test. With HOTLINE_KG_SCREENSHOT=1 it also rewrites the
screenshots docs/query-editor.png and docs/page-*.png (otherwise they go to the test's
temporary folder)."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import start, stop

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
DOCS = ROOT / "docs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(built: tuple[object, Path]) -> Iterator[str]:
    _, dist = built
    url, proc = start("--dist", str(dist), "--workers", "2")
    yield url
    stop(proc)


def _node_script(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run tests/js/<script> under Node.js with Playwright; what is missing fails the test."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: install Node.js (20 or later), then `npm ci --prefix tests/js`")
    if not (JS / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run `npm ci --prefix tests/js` (or `make test`)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"chromium is not installed at {CHROMIUM}: `apt-get install chromium` (.ci/run does it)")
    return subprocess.run(
        [node, str(JS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CHROMIUM": CHROMIUM},
    )


def test_query_editor_in_chromium(server: str, tmp_path: Path) -> None:
    shot = DOCS / "query-editor.png" if os.environ.get("HOTLINE_KG_SCREENSHOT") else tmp_path / "editor.png"
    run = _node_script("editor.test.mjs", server, str(shot))
    assert run.returncode == 0, f"the editor test failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"


def test_pages_clicked_through_in_chromium(server: str, tmp_path: Path) -> None:
    """home → a district → an observation → its quote in the report text; search "chaoyang" and
    "110105"; keyboard; phone width; no script injected; no CSP violation; nothing from outside."""
    shots = DOCS if os.environ.get("HOTLINE_KG_SCREENSHOT") else tmp_path
    run = _node_script("pages.test.mjs", server, str(shots))
    assert run.returncode == 0, f"the pages test failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"
    for kind in ("home", "district", "observation", "report-text", "search", "ontology", "404"):
        assert (shots / f"page-{kind}.png").stat().st_size > 0, f"no screenshot of the {kind} page"
