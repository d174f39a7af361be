"""A fictional report in the published style, with an answer key written apart
from the extractor: the rules must generalise beyond the two real reports.

fixtures/synthetic-report.txt uses invented figures and some wordings the real
reports do not (同比增长, 占比为, 共计, a new category, a single 增幅…倍);
fixtures/synthetic-report-key.csv lists every fact in it, by hand.
"""

import csv
from pathlib import Path

from hotline_kg.extract import extract_file

FIXTURES = Path(__file__).parent / "fixtures"
KEY_COLUMNS = ("subject", "measure", "value", "unit", "period", "relative_to", "qualifier", "source_line")


def test_every_fact_of_the_key_and_nothing_else():
    result = extract_file(FIXTURES / "synthetic-report.txt")
    got = {tuple(fact.row()[c] for c in KEY_COLUMNS) for fact in result.facts}
    with (FIXTURES / "synthetic-report-key.csv").open(encoding="utf-8") as f:
        expected = {tuple(row[c] for c in KEY_COLUMNS) for row in csv.DictReader(f)}
    assert sorted(expected - got) == [], "facts missed or read differently"
    assert sorted(got - expected) == [], "facts the key does not have"
    assert result.unclaimed == []
