"""Each example query in queries/ runs on the built graph, and its answer agrees with
the facts tables (computed here with pandas from data/facts, not copied from any output)."""

from decimal import Decimal

import pandas as pd
import pyoxigraph as ox
import pytest

from conftest import FACTS, ROOT
from hotline_kg.rdf.integrity import store_of

QUERIES = ROOT / "queries"


@pytest.fixture(scope="module")
def store(whole_graph) -> ox.Store:
    return store_of(whole_graph)


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(FACTS.glob("*.csv"))]
    df = pd.concat(frames, ignore_index=True)
    sign = df["qualifier"].str.contains("下降").map({True: -1, False: 1})
    df["number"] = [Decimal(v) * s if v[:1].isdigit() else None for v, s in zip(df["value"], sign, strict=True)]
    return df


def rows(store: ox.Store, name: str) -> list[dict[str, object]]:
    result = store.query((QUERIES / name).read_text(encoding="utf-8"))
    names = [v.value for v in result.variables]  # type: ignore[union-attr]
    return [{n: _py(sol[n]) for n in names} for sol in result]  # type: ignore[union-attr]


def _py(term: object) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value.endswith(("#decimal", "#integer")):
        return Decimal(term.value)
    return term.value  # type: ignore[attr-defined]


def pick(df: pd.DataFrame, **where: str) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for column, value in where.items():
        mask &= df[column] == value
    return df[mask]


def test_there_are_at_least_twelve_commented_queries():
    files = sorted(QUERIES.glob("*.rq"))
    assert len(files) >= 12
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path.name} says what it answers"


def test_top_categories_of_a_year(store, facts):
    got = rows(store, "01-top-categories-of-a-year.rq")
    cats = pick(facts, year="2024", subject_kind="category", measure="requests", period="2024")
    expected = cats.sort_values("number", key=lambda s: s.astype(float), ascending=False)
    assert [(r["name"], r["requests"]) for r in got] == list(zip(expected["subject"], expected["number"], strict=True))
    yoy = pick(facts, year="2024", subject_kind="category", measure="yoy_change").set_index("subject")["number"]
    assert {r["name"]: r["change"] for r in got} == yoy.to_dict()


def test_one_category_across_years(store, facts):
    got = {r["year"]: (r["requests"], r["change"]) for r in rows(store, "02-one-category-across-years.rq")}
    expected = {}
    for year in sorted(set(facts["year"])):
        req = pick(facts, year=year, subject="市场管理", measure="requests", period=year)["number"]
        yoy = pick(facts, year=year, subject="市场管理", measure="yoy_change")["number"]
        expected[year] = (req.iloc[0], yoy.iloc[0])
    assert got == expected and len(got) >= 2


def test_subcategories_of_a_category(store, facts):
    got = {
        (r["report"].rsplit("/", 1)[-1], r["name_zh"], r["requests"])
        for r in rows(store, "03-subcategories-of-a-category.rq")
    }
    subs = facts[(facts["subject"].str.startswith("交通管理/")) & (facts["period"] == facts["year"])]
    expected = {(y, s.split("/")[1], n) for y, s, n in zip(subs["year"], subs["subject"], subs["number"], strict=True)}
    assert got == expected


def test_district_ranking(store, facts):
    got = rows(store, "04-district-ranking.rq")
    req = pick(facts, year="2024", subject_kind="district", measure="requests").drop_duplicates("subject")
    share = pick(facts, year="2024", subject_kind="district", measure="share").drop_duplicates("subject")
    expected = sorted(zip(req["subject"], req["number"], strict=True), key=lambda x: -x[1])
    assert [(r["name"], r["requests"]) for r in got] == expected
    assert {r["name"]: r["share"] for r in got} == dict(zip(share["subject"], share["number"], strict=True))
    assert len(got) == 16


def test_street_township_share(store, facts):
    got = {(r["year"], r["name"], r["share"]) for r in rows(store, "05-street-township-share.rq")}
    parts = facts[
        (facts["subject"].str.endswith("/街道乡镇"))
        & (facts["measure"] == "share")
        & (facts["subject_kind"] == "district_part")
        & ~facts["subject"].str.startswith("十六区")
    ]
    expected = {
        (y, s.split("/")[0], n) for y, s, n in zip(parts["year"], parts["subject"], parts["number"], strict=True)
    }
    assert got == expected and len(got) == 32


def test_year_on_year_changes(store, facts):
    got = rows(store, "06-year-on-year-changes.rq")
    yoy = pick(facts, year="2022", measure="yoy_change")
    assert sorted((r["name"], r["change"]) for r in got) == sorted(zip(yoy["subject"], yoy["number"], strict=True))
    assert [r["change"] for r in got] == sorted((r["change"] for r in got), reverse=True)


def test_monthly_topics_and_handlers(store, facts):
    got = rows(store, "07-monthly-topics-and-handlers.rq")
    topics = pick(facts, year="2022", subject_kind="monthly_topic")
    assert {(r["topic_name"], r["total"]) for r in got} == set(zip(topics["subject"], topics["number"], strict=True))
    handlers = pick(facts, year="2022", subject_kind="topic_handler")
    expected = {(*s.rsplit("/", 1), n) for s, n in zip(handlers["subject"], handlers["number"], strict=True)}
    assert {(r["topic_name"], r["handler_name"], r["handled"]) for r in got if r["handler_name"]} == expected


def test_facts_from_one_source_line(store, facts):
    got = sorted(r["value"] for r in rows(store, "08-facts-from-one-source-line.rq"))
    line = pick(facts, year="2022", source_line="272")
    assert got == sorted(line["number"]) and got


def test_districts_with_codes_and_wikidata(store):
    got = rows(store, "09-districts-with-codes-and-wikidata.rq")
    ref = pd.read_csv(ROOT / "data" / "reference" / "districts.csv", dtype=str, keep_default_na=False)
    expected = [
        (c, z, e, f"http://www.wikidata.org/entity/{w}" if w else None)
        for c, z, e, w in zip(ref["code"], ref["name_zh"], ref["name_en"], ref["wikidata"], strict=True)
    ]
    assert [(r["code"], r["name_zh"], r["name_en"], r["wikidata"]) for r in got] == sorted(expected)


def test_monthly_figures(store, facts):
    got = rows(store, "10-monthly-figures.rq")
    monthly = facts[(facts["period"].str.len() == 7) & (facts["measure"] == "requests")]
    assert sorted(r["value"] for r in got) == sorted(monthly["number"])


def test_sum_of_district_parts(store, facts):
    got = {
        (r["report"].rsplit("/", 1)[-1], r["name"]): (r["total"], r["parts"])
        for r in rows(store, "11-sum-of-district-parts.rq")
    }
    expected = {}
    for year in sorted(set(facts["year"])):
        districts = pick(facts, year=year, subject_kind="district", measure="requests").drop_duplicates("subject")
        for name, total in zip(districts["subject"], districts["number"], strict=True):
            parts = pick(facts, year=year, subject_kind="district_part", measure="requests")
            parts = parts[parts["subject"].str.startswith(name + "/")]
            expected[(year, name)] = (total * 10000, sum(parts["number"]) * 10000)
    assert got == expected and len(got) == 32


def test_renamed_categories(store, facts):
    got = {(r["name"], r["year"], r["requests"], r["match_name"]) for r in rows(store, "12-renamed-categories.rq")}
    names = {g[0] for g in got}
    assert {"社会秩序", "社会管理", "户籍管理", "户政管理", "违法建设", "私搭乱建"} <= names
    for name, year, requests, _ in got:
        row = facts[
            (facts["year"] == year)
            & (facts["period"] == year)
            & (facts["measure"] == "requests")
            & ((facts["subject"] == name) | facts["subject"].str.endswith("/" + name))
        ]
        assert requests in set(row["number"])


def test_resolution_and_satisfaction(store, facts):
    got = {r["year"]: (r["resolution"], r["satisfaction"]) for r in rows(store, "13-resolution-and-satisfaction.rq")}
    expected = {
        y: (
            pick(facts, year=y, measure="resolution_rate")["number"].iloc[0],
            pick(facts, year=y, measure="satisfaction_rate")["number"].iloc[0],
        )
        for y in sorted(set(facts["year"]))
    }
    assert got == expected


def test_channels_and_dispositions(store, facts):
    got = {(r["year"], r["name"], r["requests"], r["share"]) for r in rows(store, "14-channels-and-dispositions.rq")}
    expected = set()
    for kind in ("channel", "disposition"):
        req = pick(facts, subject_kind=kind, measure="requests").drop_duplicates(["year", "subject"])
        for year, subject, number in zip(req["year"], req["subject"], req["number"], strict=True):
            share = facts[
                (facts["year"] == year)
                & (facts["subject"] == subject)
                & (facts["measure"] == "share")
                & (facts["period"] == year)
            ]["number"]
            expected.add((year, subject, number, share.iloc[0] if len(share) else None))
    assert got == expected
