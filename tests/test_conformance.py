"""The W3C SPARQL query test suites through the wrapper (bench/conformance.py, ``make
conformance``), over the embedded store in memory: every test pyoxigraph passes alone passes
through `hotline-kg serve` too, and what the wrapper refuses, it refuses for a reason it names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

SUITE = ROOT.parent / "shared" / "w3c" / "rdf-tests-sparql"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    assert SUITE.is_dir(), f"{SUITE}: the W3C SPARQL test suites are missing"
    out = tmp_path_factory.mktemp("conformance") / "conformance.md"
    command = [sys.executable, str(ROOT / "bench" / "conformance.py"), "--engines", "memory", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| **all** |" in out.read_text(encoding="utf-8")
    return json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def by_name(outcomes: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {o["test"]: o for o in outcomes}


def test_every_test_of_the_suites_is_run_or_says_why_not(results):
    sys.path.insert(0, str(ROOT / "bench"))
    import w3c_suite

    tests = {t.id for t in w3c_suite.read_tests(SUITE)}
    for column in ("memory", "pyoxigraph alone"):
        outcomes = by_name(results[column])
        assert set(outcomes) == tests
        assert all(o["detail"] for o in outcomes.values() if o["status"] in ("failed", "refused", "skipped"))


def test_the_wrapper_fails_no_test_that_pyoxigraph_passes_alone(results):
    alone = by_name(results["pyoxigraph alone"])
    wrapped = by_name(results["memory"])
    passed_alone = {name for name, o in alone.items() if o["status"] == "passed"}
    assert len(passed_alone) > len(alone) / 2
    added = {name: wrapped[name]["detail"] for name in passed_alone if wrapped[name]["status"] != "passed"}
    deliberate = {name: d for name, d in added.items() if wrapped[name]["status"] == "refused"}
    assert set(added) == set(deliberate), added
    for detail in deliberate.values():
        assert "FROM / FROM NAMED may only name this dataset's graphs" in detail or "SERVICE" in detail


def test_from_with_a_relative_iri_or_a_prefixed_name_reaches_the_dataset(results):
    """sparql10/dataset: FROM <data-g1.ttl> against the query's BASE, FROM :g against its PREFIX
    (the wrapper once refused both as graphs outside the dataset)."""
    dataset = [o for o in results["memory"] if o["folder"] == "sparql10/dataset"]
    assert dataset and all(o["status"] == "passed" for o in dataset), [o for o in dataset if o["status"] != "passed"]
