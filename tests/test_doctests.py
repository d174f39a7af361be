"""The examples in the docstrings of the extractor (hotline_kg.extract), the facts schema, the
progress lines, the static site's paths and the server's SERVICE and query checks run, one test
per module: each example of a rule quotes the shape of a report's sentence, with figures of its
own (a report's figures reach the graph only from data/raw), and shows what is read from it."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hotline_kg.extract

MODULES = sorted(
    [
        "hotline_kg.schema",
        "hotline_kg.progress",
        "hotline_kg.extract",
        "hotline_kg.site.paths",
        "hotline_kg.server.federation",
        "hotline_kg.server.protocol",
        *(f"hotline_kg.extract.{m.name}" for m in pkgutil.iter_modules(hotline_kg.extract.__path__)),
    ]
)
#: Modules whose rules are shown by examples: a module here with none left fails.
WITH_EXAMPLES = {
    "hotline_kg.schema",
    "hotline_kg.progress",
    "hotline_kg.extract.collect",
    "hotline_kg.extract.cues",
    "hotline_kg.extract.lines",
    "hotline_kg.extract.numbers",
    "hotline_kg.extract.periods",
    "hotline_kg.extract.report",
    "hotline_kg.extract.rules",
    "hotline_kg.extract.sections",
    "hotline_kg.extract.stream",
    "hotline_kg.extract.table",
    "hotline_kg.extract.unclaimed",
    "hotline_kg.site.paths",
    "hotline_kg.server.federation",
    "hotline_kg.server.protocol",
}


def run_examples(name: str) -> tuple[doctest.TestResults, str]:
    """Run the module's examples as ``python -m doctest`` would; the results and the report."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(verbose=False)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=report.append)
    return doctest.TestResults(runner.failures, runner.tries), "".join(report)


def test_every_module_with_examples_is_run():
    assert set(MODULES) >= WITH_EXAMPLES


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    results, report = run_examples(name)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name}:\n{report}"
    if name in WITH_EXAMPLES:
        assert results.attempted > 0, f"{name} has no examples left"
