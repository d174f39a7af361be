"""Handling: districts (both wordings), city bodies, state-owned enterprises, monthly topics."""

import pytest

from conftest import pick, value

DISTRICTS = """
 2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线持续优化服务。
三、群众诉求办理情况
2031 年 12345 热线派单处理的 500.0 万件诉求，由区级
部门、街道乡镇等单位办理。
（一）区及街道乡镇承办情况
从各区承办情况来看，承办量
1
最多的是朝阳区，共办理
诉求 100.0 万件，占十六区承办总量的 25.00%。承办量最少
的是延庆区，共办理诉求 5.0 万件，占十六区承办总量的
1.25%。

1 12345 热线派单到各区及其下属街道乡镇的工单量。
 2031 年 12345 热线共向十六区交办诉求 400 万件，其中
街道乡镇共办理 100.0 万件，占十六区承办量的 25.00%。其
中朝阳区、海淀区部分街道承办量较高。各区具体承办情况如下：
1.东城区
东城区共承办诉求约 20.0 万件，占全市各区承办的
5.00%，其中，区级部门承办 15.0 万件，占比 75.00%，STREET
承办 5.0 万件，占比 25.00%。
0.0万

0.5万

1.0万

2031年东城区诉求派单前十类问题

2030年 2031年

-26-

2.西城区

西城区诉求派单量约 30.0 万件，占全市各区诉求派单量的
6.0%，其中，区级部门 24.0 万件，占比 80.0%，街乡镇 6.0 万
件，占比 20.0%。
（二）市属机构承办情况
从各市属机构承办情况来看，2031 年市属机构承办量最
多的是大数据中心，共办理诉求 30.5 万件；其次是经开区
管委会，共办理诉求 20.5 万件。
 （三）国有企业诉求派单情况
从各国有企业诉求派单情况来看，2031 年诉求派单量最多
的是公交集团，共受理 9.9 万件；其次是北京移动，共受理 8.8
万件。
"""


@pytest.mark.parametrize("street", ["街道", "街镇", "街乡镇", "街道乡镇"])
def test_district_split_in_every_street_wording(extract, street):
    r = extract(DISTRICTS.replace("STREET", street))
    assert value(r, subject="东城区", measure="requests") == "20.0"
    assert pick(r, subject="东城区", measure="requests")[0]["qualifier"] == "约"
    assert value(r, subject="东城区", measure="share", relative_to="十六区") == "5.00"
    assert value(r, subject="东城区/区级部门", measure="requests") == "15.0"
    assert value(r, subject="东城区/区级部门", measure="share", relative_to="东城区") == "75.00"
    assert value(r, subject="东城区/街道乡镇", measure="requests") == "5.0"
    assert value(r, subject="东城区/街道乡镇", measure="share", relative_to="东城区") == "25.00"
    assert r.unclaimed == []


def test_newer_district_wording_after_a_chart(extract):
    r = extract(DISTRICTS.replace("STREET", "街道"))
    assert value(r, subject="西城区", measure="requests") == "30.0"
    assert value(r, subject="西城区", measure="share") == "6.0"
    assert value(r, subject="西城区/区级部门", measure="requests") == "24.0"
    assert value(r, subject="西城区/街道乡镇", measure="share") == "20.0"
    # nothing from the chart (axis labels, legend years) became a fact
    assert pick(r, value="0.5") == [] and pick(r, value="2030") == []


def test_most_least_and_sixteen_district_totals(extract):
    r = extract(DISTRICTS.replace("STREET", "街道"))
    most = pick(r, subject="朝阳区", measure="requests")[0]
    assert (most["value"], most["qualifier"]) == ("100.0", "最多")
    assert pick(r, subject="延庆区", measure="share")[0]["qualifier"] == "最少"
    assert value(r, subject="十六区", measure="requests") == "400"
    assert value(r, subject="十六区/街道乡镇", measure="requests") == "100.0"
    assert value(r, subject="十六区/街道乡镇", measure="share", relative_to="十六区") == "25.00"
    assert value(r, subject="诉求派单", section="handling") == "500.0"


def test_city_departments_and_enterprises(extract):
    r = extract(DISTRICTS.replace("STREET", "街道"))
    assert value(r, subject="大数据中心", subject_kind="city_department") == "30.5"
    second = pick(r, subject="经开区管委会")[0]
    assert (second["value"], second["qualifier"], second["subject_kind"]) == (
        "20.5",
        "其次",
        "city_department",
    )
    assert value(r, subject="公交集团", subject_kind="state_owned_enterprise") == "9.9"
    assert value(r, subject="北京移动", subject_kind="state_owned_enterprise") == "8.8"


TOPICS = """
 2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线持续优化服务。
三、群众诉求办理情况
（四）“每月一题”相关诉求情况
2031 年“每月一题”聚焦老楼加装电梯等 3 个高频难点民生
问题，完成了 30 项任务，出台了 12 项政策，共涉及诉求 1.5 万件。具体见下表：
序号 问题 
每月诉求量 
诉求 
总量 
承办量前三位
的单位 

1 老楼加装电梯 
 
5000 

朝阳区 900 

海淀区 700 

丰台区 600 

2 
0-3岁婴幼儿普惠托育 

服务资源不足 
 
80 

热力集团 20 
 -7- 
 序号 问题 
每月诉求量 
诉求 
总量 
3 道路积水

9000
"""


def test_topic_programme_counts(extract):
    r = extract(TOPICS)
    assert value(r, subject="每月一题", measure="topics") == "3"
    assert value(r, subject="每月一题", measure="tasks") == "30"
    assert value(r, subject="每月一题", measure="policies") == "12"
    assert value(r, subject="每月一题", measure="requests") == "1.5"


def test_topic_table_rows_with_and_without_handlers(extract):
    r = extract(TOPICS)
    topics = {row["subject"]: row["value"] for row in pick(r, subject_kind="monthly_topic")}
    assert topics == {"老楼加装电梯": "5000", "0-3岁婴幼儿普惠托育服务资源不足": "80", "道路积水": "9000"}
    handlers = {row["subject"]: row["value"] for row in pick(r, subject_kind="topic_handler")}
    assert handlers == {
        "老楼加装电梯/朝阳区": "900",
        "老楼加装电梯/海淀区": "700",
        "老楼加装电梯/丰台区": "600",
        "0-3岁婴幼儿普惠托育服务资源不足/热力集团": "20",
    }
    assert {row["unit"] for row in pick(r, section="monthly_topics", subject_kind="topic_handler")} == {"件"}
    assert r.unclaimed == []


def test_other_heading_forms_for_districts_and_categories(extract):
    r = extract(
        """
         2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线持续优化服务。
        二、群众反映前十类问题情况
        （一）住房类
        住房类问题 50.0 万件，同比下降 1.5%，主要反映小区配套（20.0 万件）等问题。
        三、群众诉求办理情况
        （一）区级诉求派单情况
        （1）东城区
        东城区诉求派单量约 10.0 万件，占全市各区诉求派单量的 2.0%。
        """
    )
    assert value(r, subject="住房", measure="requests") == "50.0"
    assert value(r, subject="住房/小区配套") == "20.0"
    assert value(r, subject="东城区", measure="requests") == "10.0"
    assert r.warnings == [] and r.unclaimed == []
