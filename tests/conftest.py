"""What the tests share: write a small hand-made report text and extract it; the project built
once; a copy of the project; the app over the build in this process (``client``, ``in_process``);
the markers of the slow tests (``pytest.ini_options`` in pyproject.toml names them)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline_kg.extract import Extraction, extract_file
from hotline_kg.rdf.vocab import Site

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FACTS = ROOT / "data" / "facts"
#: The canonical deployment, and its vocabulary's namespace.
SITE = Site()
HL = SITE.hl


def pytest_configure(config: pytest.Config) -> None:
    """One validation cache for the whole run, shared by the xdist workers and the commands the
    tests start (``$HOTLINE_KG_VALIDATION_CACHE``): the suite builds and validates the same
    project many times, and a unit validated once with the same triples and shapes is not
    validated again. Tests of validation itself pass changed data, which is validated anew."""
    if not hasattr(config, "workerinput") and not os.environ.get(VALIDATION_CACHE):
        folder = tempfile.mkdtemp(prefix="hotline-kg-validation-")
        os.environ[VALIDATION_CACHE] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


VALIDATION_CACHE = "HOTLINE_KG_VALIDATION_CACHE"


def report_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


@pytest.fixture
def write_report(tmp_path: Path) -> Callable[..., Path]:
    def write(body: str, name: str = "report.txt") -> Path:
        path = tmp_path / name
        path.write_text(report_text(body), encoding="utf-8")
        return path

    return write


@pytest.fixture
def extract(write_report: Callable[..., Path]) -> Callable[[str], Extraction]:
    def run(body: str) -> Extraction:
        return extract_file(write_report(body))

    return run


def pick(result: Extraction, **where: str) -> list[dict[str, str]]:
    """Rows of the extraction whose columns equal the given values."""
    rows = [fact.row() for fact in result.facts]
    return [row for row in rows if all(row[k] == v for k, v in where.items())]


def value(result: Extraction, **where: str) -> str:
    """The one value matching the columns given (fails if none or several)."""
    rows = pick(result, **where)
    assert len(rows) == 1, f"expected one fact for {where}, got {rows}"
    return rows[0]["value"]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """The project's graph, built once into a temporary dist/ (default base URI)."""
    import datetime as dt

    from hotline_kg.rdf import build as rdf_build
    from hotline_kg.rdf.vocab import Site

    out = tmp_path_factory.mktemp("build") / "dist"
    result = rdf_build.build(Site(), rdf_build.Inputs(ROOT), dt.date(2026, 11, 22))
    rdf_build.write_dir(out, rdf_build.with_checksums(result.files))
    return result, out


@pytest.fixture(scope="session")
def shapes() -> list[Any]:
    """The shapes of shapes/ as validation reads them (read them, do not change them)."""
    from hotline_kg import validate

    return validate.load_shapes(SITE, ROOT / "shapes")


@pytest.fixture(scope="session")
def whole_graph(built):
    """Every named graph of the build as one graph (read it, do not change it)."""
    from rdflib import Graph

    result, _ = built
    whole = Graph()
    for graph in result.graphs.values():
        whole += graph
    return whole


@pytest.fixture(scope="session")
def cli_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ as `hotline-kg build` itself writes it (it validates before writing), built once from
    a copy of the project's inputs, as ``project`` makes (PYTHONHASHSEED 0); read it, or copy it
    before changing it."""
    folder = tmp_path_factory.mktemp("cli")
    out = folder / "dist"
    done = run_build(copy_project(folder / "project"), out)
    assert done.returncode == 0, done.stderr
    assert "conforms: 0 violations" in done.stdout
    return out


def run_build(root: Path, out: Path, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "build", "--root", str(root), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


#: What a build reads, under the project's folder.
BUILD_INPUTS = ("data/raw", "data/facts", "data/reference", "ontology", "shapes")


def copy_project(root: Path) -> Path:
    """A copy of the build's inputs at ``root`` (outside git: its build date is a fixed one)."""
    for part in BUILD_INPUTS:
        shutil.copytree(ROOT / part, root / part)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the build's inputs, free to break."""
    return copy_project(tmp_path / "project")


# --- the app in this process ---------------------------------------------------------------------


@contextlib.contextmanager
def in_process(**settings: Any) -> Iterator[Any]:
    """The app over ``settings`` in this process, started (its lifespan: the engine, the start-up
    queries) and stopped with the block: an httpx client (Starlette's TestClient) whose requests
    go straight to the ASGI app, as Datasette's tests do. No client limit unless one is given; an
    exception in the app fails the test instead of answering 500."""
    from starlette.testclient import TestClient

    from hotline_kg.server.app import create_app
    from hotline_kg.server.settings import Settings

    app = create_app(Settings(**{"client_rate": 0, "workers": 2, **settings}))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture(scope="session")
def client(built) -> Iterator[Any]:
    """The app over the project's build, in this process (``in_process``), shared by the tests of
    routes, pages and negotiation."""
    _, dist = built
    with in_process(dist=dist) as app_client:
        yield app_client
