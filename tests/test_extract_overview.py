"""The summary and overview sections, in the wording of both report styles."""

from conftest import pick, value

OLDER_STYLE = """
 2031 年，为进一步满足群众需求，12345 市民服务热线
（以下简称“12345 热线”）坚持 7×24 小时受理，全市诉求解决率、满意率分别
提升至 81.25%和 82.50%，作用进一步发挥。
一、总体情况
2031年 1月 1日 0时至 2031年 12月 31日 24时，12345
热线共受理群众反映
1
1234.5 万件，同比上升 10.25%。其中，
派单办理
2
234.5 万件，同比下降 3.50%，占比 19.00%，直
接答复 1000.0 万件，同比上升 15.00%，占比 81.00%。
1 12345 热线及其网络平台接收的群众反映的各类事项，包括
咨询、求助等。
2 转至承办单位办理。
 12345 热线电话渠道受理 600.5 万件，同比上升
5.00%；网络渠道受理 634.0 万件，同比上升 20.00%。
网络渠道受理量占比快速上升，由 2030 年的 40.10%提升至
2031 年的 51.35%。单月受理量从 1 月
份的 80.1 万提升至全年最高点 7 月份的 150.2 万，单月
受理量提升约一倍。
 2031 年，12345热线及其网络平台受理流感疫情问题 99.9 万件，主要以咨询为主。
"""

NEWER_STYLE = """
 2032 年接诉即办工作机制持续完善。2032 年诉求解决率、
群众满意率进一步提升，分别达到 91.5%和 92.0%。
一、总体情况及受理特点
2032 年 1 月 1 日 0 时至 2032 年 12 月 31 日 24 时，12345 热
线共受理群众反映
1
2000.0 万件，同比下降 2.5%。其中，诉求派
单
2
900.0 万件，同比上升 1.0%，占比 45.0%，直接答复 1100.0
万件，同比下降 5.0%，占比 55.0%。

1
 12345 热线及其网络平台接收的群众反映的各类事项，包括但不限于咨询
等。
2
 转至承办单位办理。
 2032年 12345热线电话渠道受理 1800.0万件，占比 90.0%，
网络渠道受理 200.0 万件，占比 10.0%。推出增值服务等
7 条具体措施，5 月正式推广后，受理
企业来电同比、环比均实现翻倍增长，受理外籍人员来电 3.3 万件。

-3-

2032 年群众反映集中的前二十类问题共计 1500.0万件，占
反映总量的 75.0%。
"""


def test_year_comes_from_the_reporting_period(extract):
    assert extract(OLDER_STYLE).year == 2031
    assert extract(NEWER_STYLE).year == 2032


def test_rates_stated_respectively(extract):
    old, new = extract(OLDER_STYLE), extract(NEWER_STYLE)
    assert value(old, measure="resolution_rate") == "81.25"
    assert value(old, measure="satisfaction_rate") == "82.50"
    assert value(new, measure="resolution_rate") == "91.5"
    assert value(new, measure="satisfaction_rate") == "92.0"


def test_total_broken_by_a_footnote_marker(extract):
    r = extract(OLDER_STYLE)
    assert value(r, subject="12345热线", measure="requests", period="2031") == "1234.5"
    row = pick(r, subject="12345热线", measure="yoy_change")[0]
    assert (row["value"], row["unit"], row["qualifier"]) == ("10.25", "%", "上升")
    # the figure sits on line 8, after the marker "1" on line 7
    assert row["source_line"] == "8"
    assert pick(r, subject="12345热线", measure="requests")[0]["source_line"] == "8"


def test_dispatched_and_direct_in_both_wordings(extract):
    for body, dispatched, direct in (
        (OLDER_STYLE, ("234.5", "3.50", "下降", "19.00"), ("1000.0", "15.00", "上升", "81.00")),
        (NEWER_STYLE, ("900.0", "1.0", "上升", "45.0"), ("1100.0", "5.0", "下降", "55.0")),
    ):
        r = extract(body)
        for subject, (count, change, direction, share) in (("诉求派单", dispatched), ("直接答复", direct)):
            assert value(r, subject=subject, measure="requests") == count
            assert value(r, subject=subject, measure="yoy_change") == change
            assert pick(r, subject=subject, measure="yoy_change")[0]["qualifier"] == direction
            assert value(r, subject=subject, measure="share", relative_to="12345热线") == share


def test_channels_with_change_or_share(extract):
    old, new = extract(OLDER_STYLE), extract(NEWER_STYLE)
    assert value(old, subject="电话渠道", measure="requests") == "600.5"
    assert value(old, subject="网络渠道", measure="yoy_change") == "20.00"
    assert value(new, subject="电话渠道", measure="share") == "90.0"
    assert value(new, subject="网络渠道", measure="requests") == "200.0"


def test_share_of_an_earlier_year_keeps_its_year(extract):
    r = extract(OLDER_STYLE)
    assert value(r, subject="网络渠道", measure="share", period="2030") == "40.10"
    assert value(r, subject="网络渠道", measure="share", period="2031") == "51.35"


def test_monthly_totals_and_multiple(extract):
    r = extract(OLDER_STYLE)
    assert value(r, subject="12345热线", period="2031-01") == "80.1"
    assert value(r, subject="12345热线", measure="requests", period="2031-07") == "150.2"
    assert pick(r, subject="12345热线", period="2031-07")[0]["unit"] == "万件"
    assert pick(r, subject="12345热线", measure="requests", period="2031-07")[0]["qualifier"] == "最高"
    multiple = pick(r, measure="growth_multiple")
    assert [(m["value"], m["unit"], m["qualifier"]) for m in multiple] == [("一", "倍", "约")]
    # the growth is from the first month named to the last
    assert (multiple[0]["period"], multiple[0]["relative_to"]) == ("2031-07", "2031-01")


def test_theme_top_twenty_and_measures(extract):
    old, new = extract(OLDER_STYLE), extract(NEWER_STYLE)
    assert value(old, subject="流感疫情", subject_kind="theme") == "99.9"
    assert value(new, subject="前二十类问题", measure="requests") == "1500.0"
    assert value(new, subject="前二十类问题", measure="share", relative_to="12345热线") == "75.0"
    assert value(new, measure="measures", unit="条") == "7"


def test_every_number_accounted_for(extract):
    assert extract(OLDER_STYLE).unclaimed == []


def test_doubling_in_words(extract):
    rows = pick(extract(NEWER_STYLE), subject="企业来电", measure="growth_multiple")
    assert [(r["value"], r["qualifier"]) for r in rows] == [("翻倍", "同比"), ("翻倍", "环比")]


def test_a_count_after_unknown_words_is_not_given_to_the_hotline(extract):
    r = extract(NEWER_STYLE)
    # "受理外籍人员来电 3.3 万件" names a subject the rules do not know
    assert pick(r, value="3.3") == []
    assert [n.text for n in r.unclaimed] == ["3.3"]
