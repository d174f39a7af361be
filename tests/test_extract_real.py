"""No wrong figure from any text: real published texts against hand-written keys, and the
classes of mistake they showed (a guessed year, an assumed subject, a coerced unit), each
with a text of its own.

The real texts (tests/fixtures/real, README there) are press articles, official pages and
other cities' reports; their keys were written by reading, before the extractor ran on them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from hotline_kg.extract import cues, extract_file
from hotline_kg.schema import PERIOD_SOURCES
from real_keys import REAL, score, texts

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ("tuned", "heldback", "heldback2")
ALL = [text for folder in (REAL, REAL / "other") for status in STATUSES for text in texts(folder, status)]


def test_there_are_real_texts_and_some_are_held_back():
    assert len(texts(REAL, "tuned")) >= 12 and len(texts(REAL, "heldback")) >= 4 and len(texts(REAL, "heldback2")) >= 4
    assert len(texts(REAL / "other", "tuned")) >= 4


@pytest.mark.parametrize("text", ALL, ids=lambda t: f"{t.status}/{t.name}")
def test_a_real_text_gives_no_wrong_fact_and_accounts_for_every_figure(text):
    result = score(text, extract_file)
    assert result.wrong == [], "facts the hand-written key does not have"
    assert result.unaccounted == [], "figures neither read nor listed as unclaimed"


def test_figures_stated_whole_in_their_clause_are_read():
    """Safety does not come from reading nothing: at least half of the Beijing figures whose
    subject, period and unit are all printed in their clause become facts."""
    scores = [score(t, extract_file) for t in ALL]
    stated = sum(s.key_in_clause for s in scores)
    read = sum(s.right_in_clause for s in scores)
    assert stated > 0 and read * 2 >= stated, f"{read} of {stated} read"


def test_every_unclaimed_number_has_a_reason():
    for text in ALL:
        for n in extract_file(text.path).unclaimed:
            assert n.why, f"{text.name}:{n.line}: {n.text} has no reason"


# --- the classes of mistake, one text each -------------------------------------------------------

#: A text in press style: no stated reporting period, Beijing named.
PRESS = "北京12345市民服务热线工作情况。\n{body}\n"


def facts_and_reasons(write_report, body: str, **kw) -> tuple[list[dict[str, str]], dict[str, str]]:
    result = extract_file(write_report(PRESS.format(body=body)), **kw)
    return [f.row() for f in result.facts], {n.text: n.why for n in result.unclaimed}


def test_a_year_is_never_taken_from_the_first_year_mentioned(write_report):
    facts, why = facts_and_reasons(write_report, "2019年，接诉即办改革启动。12345热线共受理诉求 1200.5 万件。")
    assert facts == []
    assert why["1200.5"].startswith("no period stated")


def test_a_year_stated_in_the_sentence_dates_its_figures(write_report):
    facts, _ = facts_and_reasons(
        write_report, "2020年全年受理量 1103.9 万件，同比上升 55.2%。2021年，12345热线共受理诉求 1300.1 万件。"
    )
    got = {(f["value"], f["measure"], f["period"], f["period_source"]) for f in facts}
    assert got == {
        ("1103.9", "requests", "2020", "clause"),
        ("55.2", "yoy_change", "2020", "sentence"),
        ("1300.1", "requests", "2021", "sentence"),
    }


def test_a_clause_year_overrides_the_reports(write_report):
    path = write_report(
        "2031年1月1日0时至2031年12月31日24时，12345热线共受理群众反映 900.0 万件。"
        "2030年，12345热线共受理群众反映 800.0 万件。\n"
    )
    got = {f.value: (f.period, f.period_source) for f in extract_file(path).facts}
    assert got == {"900.0": ("2031", "sentence"), "800.0": ("2030", "sentence")}


@pytest.mark.parametrize(
    ("body", "span"),
    [
        ("前11个月，12345热线共受理诉求 1301.2 万件。", "个月"),
        ("2023年上半年，12345热线共受理诉求 1301.2 万件。", "上半年"),
        ("2019年以来，12345热线共受理诉求 1301.2 万件。", "以来"),
        ("2019年以来，12345热线累计受理诉求 1301.2 万件。", "累计"),
        ("三年来，12345热线共受理诉求 1301.2 万件。", "年来"),
        ("2023年，12345热线日均受理诉求 1301.2 万件。", "日均"),
        ("从2019年1月1日至2021年11月30日，12345热线共受理诉求 1301.2 万件。", "range of dates"),
        ("2023年1-11月，12345热线共受理诉求 1301.2 万件。", "range"),
        ("今年，12345热线共受理诉求 1301.2 万件。", "今年"),
        ("2024年，12345热线预计受理诉求 1301.2 万件。", "forecast"),
    ],
)
def test_a_span_is_never_dated_to_a_year(write_report, body, span):
    facts, why = facts_and_reasons(write_report, body)
    assert facts == []
    assert span in why["1301.2"]


@pytest.mark.parametrize("unit", ["万名", "万人次", "万套", "亿元", "万个", "万余件"])
def test_a_unit_that_is_not_of_requests_is_never_coerced(write_report, unit):
    facts, why = facts_and_reasons(write_report, f"2023年，12345热线共服务群众 178.5 {unit}。")
    assert facts == []
    assert f"unit {unit} is not a unit" in why["178.5"]


def test_a_number_with_thousands_separators_is_never_read_as_its_last_group(write_report):
    facts, why = facts_and_reasons(write_report, "2023年，12345热线共受理诉求 1,103.94 万件。")
    assert facts == []
    assert "thousands separators" in why["1103.94"]


def test_word_shares_and_split_numbers_are_listed(write_report):
    facts, why = facts_and_reasons(write_report, "2023年，12345热线共受理诉求 2 143 万件，近三成是咨询。")
    assert facts == []
    assert "split by a space" in why["2"] and "split by a space" in why["143"]
    assert "unit 成" in why["三"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("2023年，12345企业服务热线共受理诉求 75.8 万件。", "企业服务热线"),
        ("2023年，上海12345热线共受理诉求 75.8 万件。", "上海"),
        ("2023年，全国12345热线共受理诉求 75.8 万件。", "whole country"),
        ("2023年，东城区12345热线共受理诉求 75.8 万件。", "东城区"),
        ("2023年，12345热线共受理诉求1000.0万件，其中咨询 75.8 万件。", "咨询"),
    ],
)
def test_a_figure_of_another_subject_is_never_the_hotlines(write_report, body, named):
    facts, why = facts_and_reasons(write_report, body)
    assert all(f["value"] != "75.8" for f in facts)
    assert named in why["75.8"]


def test_another_citys_report_gives_no_fact_and_lists_every_number(write_report):
    path = write_report("苏州市12345热线2023年度报告\n2023年，12345热线共受理诉求 1500.5 万件，满意率 98.1%。\n")
    result = extract_file(path)
    assert result.facts == [] and "苏州" in result.refused
    assert {"1500.5", "98.1"} <= {n.text for n in result.unclaimed}
    assert all(n.why == result.refused for n in result.unclaimed)


def test_a_text_about_another_citys_hotline_that_names_beijing_once_gives_no_fact(write_report):
    path = write_report(
        "天津12345热线学习北京经验。\n2023年，天津12345热线共受理诉求 600.5 万件。"
        "2023年，全市12345热线满意率 98.1%。天津市民服务热线还开通了新渠道。\n"
    )
    result = extract_file(path)
    assert result.facts == [] and "天津" in result.refused


def test_an_annual_report_named_inside_a_press_text_is_not_its_reporting_period(write_report):
    """Only a title (the first line) names a reporting period; a report quoted in passing does not."""
    facts, why = facts_and_reasons(write_report, "据2023年度报告显示，截至目前12345热线共受理诉求 75.8 万件。")
    assert facts == [] and "75.8" in why
    path = write_report("北京12345市民服务热线2023年度数据分析报告\n12345热线共受理群众反映 2143.1 万件。\n")
    result = extract_file(path)
    assert result.year == 2023 and [(f.value, f.period) for f in result.facts] == [("2143.1", "2023")]


def test_a_change_against_a_named_year_is_year_on_year_only_against_the_year_before(write_report):
    facts, why = facts_and_reasons(
        write_report, "2020年，12345热线共受理群众来电 1103.9 万件，环比2019年上升 55.2%，较2018年上升 80.5%。"
    )
    assert ("55.2", "yoy_change", "2020") in {(f["value"], f["measure"], f["period"]) for f in facts}
    assert "against 2018" in why["80.5"]


@pytest.mark.parametrize(
    "body", ["2023年，12345热线共受理诉求超过 2100 万件。", "2023年，12345热线共受理诉求 2100 万件以上。"]
)
def test_a_bound_is_not_a_figure(write_report, body):
    facts, why = facts_and_reasons(write_report, body)
    assert facts == [] and why["2100"].startswith("a bound")


def test_another_kind_of_rate_is_not_the_hotlines(write_report):
    facts, why = facts_and_reasons(write_report, "2023年，12345热线直接答复一次性解决率为 88.5%。")
    assert facts == [] and "一次性" in why["88.5"]


def test_a_year_between_the_hotline_and_its_figure_is_its_period(write_report):
    facts, _ = facts_and_reasons(write_report, "12345热线2019年受理诉求 696 万件，2020年受理诉求 1103.9 万件。")
    assert {(f["value"], f["period"], f["period_source"]) for f in facts} == {
        ("696", "2019", "clause"),
        ("1103.9", "2020", "clause"),
    }


@pytest.mark.parametrize(
    ("body", "never"),
    [
        # another subject, named in a clause the rules do not read, and the change after it
        ("2023年，12345热线受理诉求2100万件；供暖问题120万件，同比下降5%。", {"120", "5"}),
        ("2023年，12345热线受理诉求2100万件，其中咨询1000万件，同比增长5%。", {"1000", "5"}),
        ("2023年，12345热线受理诉求2100万件；保定市12345热线受理诉求200万件。", {"200"}),
        # several subjects' changes given together
        ("2023年，12345热线电话反映1500万件，网络反映600万件，同比分别增长5%和30%。", {"5", "30"}),
        # another body's rate
        ("2023年，12345热线受理诉求2100万件，其中市级部门解决率为95.5%。", {"95.5"}),
        # periods that are not the year printed before them
        ("2019年至今，12345热线受理诉求9000万件。", {"9000"}),
        ("2022年底至2023年，12345热线受理诉求2100万件。", {"2100"}),
        ("2022年受理1900万件，2023年推广“接诉即办”后，12345热线受理诉求2100万件。", {"2100"}),
        ("2023年12345热线受理诉求2100万件，是改革启动当年的3倍，当年受理诉求700万件。", {"700"}),
        ("2022年和2023年，12345热线分别受理诉求1900万件、2100万件。", {"1900", "2100"}),
        # units and numbers that are not 万件 of requests
        ("2023年，12345热线来电量达1500万通。", {"1500"}),
        ("2023年，12345热线受理诉求2，100万件。", {"100", "2"}),
        ("0999年，12345热线受理诉求2100万件。", {"2100"}),
    ],
)
def test_a_sentence_that_states_no_whole_fact_gives_none_of_its_parts(write_report, body, never):
    """Found by a review: each once gave a wrong subject, year or unit to one of its figures."""
    facts, _ = facts_and_reasons(write_report, body)
    assert [f for f in facts if f["value"] in never] == []


def test_a_text_in_another_language_gives_no_fact_and_lists_every_number(write_report):
    path = write_report("In 2023 the Beijing 12345 hotline received 21.4 million requests (up 12.5%).\n")
    result = extract_file(path)
    assert result.facts == [] and "not in Chinese" in result.refused
    assert {"21.4", "12.5"} <= {n.text for n in result.unclaimed}


# --- one definition each ---------------------------------------------------------------------


def test_the_cue_tables_districts_are_the_code_lists():
    table = cues.table()
    named = {c for c in table.cues("subject") if table.meaning("subject", c).startswith("district ")}
    with (ROOT / "data" / "reference" / "districts.csv").open(encoding="utf-8") as f:
        assert named == {row["name_zh"] for row in csv.DictReader(f)}


def test_the_ontology_names_each_period_source_of_the_schema():
    graph = Graph().parse(ROOT / "ontology" / "hotline.ttl", publicID="http://example.org/")
    scheme = URIRef("http://example.org/id/scheme/period-sources")
    found = {str(graph.value(c, SKOS.notation)) for c in graph.subjects(SKOS.inScheme, scheme)}
    assert found == set(PERIOD_SOURCES)


def test_the_committed_facts_record_where_each_period_was_read():
    for table in sorted((ROOT / "data" / "facts").glob("*.csv")):
        with table.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert rows and {r["period_source"] for r in rows} <= set(PERIOD_SOURCES)
        # a figure dated by the report's stated period is of the report's year
        assert all(r["period"][:4] == r["year"] for r in rows if r["period_source"] == "report")
