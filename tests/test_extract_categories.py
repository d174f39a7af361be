"""The top-ten categories: totals, changes, subcategory lists, monthly peaks."""

from conftest import pick, value

CATEGORIES = """
 2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线持续优化服务。
二、群众反映前十类日常问题情况

（一）市场管理
市场管理类问题 300.0 万件，同比上升 20.0%，主要反映网
络交易（200.0 万件）、单用途预付
 卡（30.0 万件）、服务质量（约 3.5 万件）等问题。

从各月受理量看，网络交易问题呈波动上升趋势，在 11 月达到
年度最高，为 25.0 万件，其他各类问题相对平稳，服务质量问题在 6 月至 8 月
反映较为集中。
（二）交通管理
交通管理类
3
问题 100.0 万件，同比下降 5.5%，主要反映停
车管理（20.0 万件）、互联网约车（10.0 万件）、违章处理（9.0
万件）等问题。
 从各月受理量看，停车管理问题在 1 月、12 月为年度相对
高点，分别为 2.1 万件和 2.2 万件，互联网约车和违章处理问题反映量逐渐上升，在 6 月达到年度最高点，
分别为 1.1 万件、1.0 万件。
"""


def test_category_total_and_change(extract):
    r = extract(CATEGORIES)
    assert value(r, subject="市场管理", measure="requests") == "300.0"
    assert pick(r, subject="市场管理", measure="yoy_change")[0]["qualifier"] == "上升"
    assert value(r, subject="交通管理", measure="requests") == "100.0"
    down = pick(r, subject="交通管理", measure="yoy_change")[0]
    assert (down["value"], down["qualifier"]) == ("5.5", "下降")
    assert {row["subject_kind"] for row in pick(r, subject="交通管理")} == {"category"}


def test_every_listed_subcategory_even_across_lines(extract):
    r = extract(CATEGORIES)
    subs = {row["subject"]: row["value"] for row in pick(r, subject_kind="subcategory", period="2031")}
    assert subs == {
        "市场管理/网络交易": "200.0",
        "市场管理/单用途预付卡": "30.0",
        "市场管理/服务质量": "3.5",
        "交通管理/停车管理": "20.0",
        "交通管理/互联网约车": "10.0",
        "交通管理/违章处理": "9.0",
    }
    assert pick(r, subject="市场管理/服务质量")[0]["qualifier"] == "约"


def test_monthly_peak_single(extract):
    r = extract(CATEGORIES)
    row = pick(r, subject="市场管理/网络交易", period="2031-11")[0]
    assert (row["value"], row["unit"], row["measure"]) == ("25.0", "万件", "requests")


def test_monthly_peaks_respectively_by_month_and_by_subject(extract):
    r = extract(CATEGORIES)
    assert value(r, subject="交通管理/停车管理", period="2031-01") == "2.1"
    assert value(r, subject="交通管理/停车管理", period="2031-12") == "2.2"
    assert value(r, subject="交通管理/互联网约车", period="2031-06") == "1.1"
    assert value(r, subject="交通管理/违章处理", period="2031-06") == "1.0"


def test_no_false_subjects_and_nothing_unclaimed(extract):
    r = extract(CATEGORIES)
    assert r.warnings == []
    assert r.unclaimed == []
    # "6 月至 8 月反映较为集中" states no figure
    assert pick(r, subject="市场管理/服务质量", period="2031-06") == []


def test_a_subject_outside_the_list_is_kept_and_warned_about(extract):
    body = CATEGORIES.replace("其他各类问题相对平稳", "直播带货问题在 3 月达到年度最高，为 4.4 万件")
    r = extract(body)
    assert value(r, subject="市场管理/直播带货", period="2031-03") == "4.4"
    assert any("直播带货" in message for _, message in r.warnings)
