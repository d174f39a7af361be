"""Fictional reports with hand-made keys (tests/fixtures/README.md): the extractor is
checked against answers written apart from it, in wordings and layouts the two
real reports do not use.

- A report in the known styles gives every fact of its key, nothing else, and
  leaves no number unclaimed.
- A report in a new shape gives only facts of its key (never a wrong one), and
  every figure of its key is either extracted or listed as unclaimed.
"""

import csv
from pathlib import Path

import pytest

from hotline_kg.extract import extract_file

FIXTURES = Path(__file__).parent / "fixtures"
KEY_COLUMNS = ("subject", "measure", "value", "unit", "period", "relative_to", "qualifier", "source_line")
KNOWN_STYLES = ("synthetic-report", "heldout-a", "heldout-b", "heldout-c", "heldout-d", "heldout-e")
NEW_SHAPES = ("newshape", "newshape-2")


def key_of(name: str) -> set[tuple[str, ...]]:
    with (FIXTURES / f"{name}-key.csv").open(encoding="utf-8") as f:
        return {tuple(row[c] for c in KEY_COLUMNS) for row in csv.DictReader(f)}


def facts_of(name: str):
    result = extract_file(FIXTURES / f"{name}.txt")
    return result, {tuple(fact.row()[c] for c in KEY_COLUMNS) for fact in result.facts}


@pytest.mark.parametrize("name", KNOWN_STYLES)
def test_every_fact_of_the_key_and_nothing_else(name):
    result, got = facts_of(name)
    expected = key_of(name)
    assert sorted(expected - got) == [], "facts missed or read differently"
    assert sorted(got - expected) == [], "facts the key does not have"
    assert result.unclaimed == []


@pytest.mark.parametrize("name", NEW_SHAPES)
def test_a_new_shape_gives_no_wrong_fact_and_lists_the_rest(name):
    result, got = facts_of(name)
    expected = key_of(name)
    assert sorted(got - expected) == [], "facts the key does not have: a wrong fact"
    unclaimed = {(str(n.line), n.text) for n in result.unclaimed}
    unaccounted = [fact for fact in expected - got if fact[2][:1].isdigit() and (fact[-1], fact[2]) not in unclaimed]
    assert unaccounted == [], "figures neither extracted nor listed as unclaimed"
    assert got, "the figures stated in the known wording are read"
