"""Numbers first: the tokenizer finds each number with its unit across whatever
the PDF put between them, and the cue table gives its meaning."""

import pytest

from conftest import value
from hotline_kg.extract import cues
from hotline_kg.extract.lines import classify, split_lines
from hotline_kg.extract.numbers import tokens
from hotline_kg.extract.stream import Stream


def tokenize(text: str) -> list[tuple[str, str, bool, tuple[int, int]]]:
    stream = Stream.of(line for line in classify(split_lines(text)) if line.kind == "text")
    return [(t.text, t.unit, t.approx, t.place) for t in tokens(stream.whole())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("占比 18.2\n\n%，", [("18.2", "%", False, (1, 3))]),
        ("分别为 93.8\n%和 6.2%", [("93.8", "%", False, (1, 4)), ("6.2", "%", False, (2, 3))]),
        ("共 45.1\n\n万件", [("45.1", "万件", False, (1, 2))]),
        ("约 12.0 万 件", [("12.0", "万件", True, (1, 2))]),
        ("197.4 万提升", [("197.4", "万件", False, (1, 0))]),
        ("２３．５万件，１６.３％", [("23.5", "万件", False, (1, 0)), ("16.3", "%", False, (1, 7))]),
        (
            "约八倍，两倍，翻倍增长",
            [("八", "倍", True, (1, 1)), ("两", "倍", False, (1, 4)), ("翻倍", "倍", False, (1, 7))],
        ),
        ("13 条具体措施，十二个问题", [("13", "条", False, (1, 0)), ("十二", "个", False, (1, 9))]),
        ("提高 2.3 个百分点", [("2.3", "个百分点", False, (1, 3))]),
        ("一大批，第一是，十六区", []),
    ],
)
def test_numbers_with_their_units(text, expected):
    assert tokenize(text) == expected


def test_a_page_number_line_and_a_footnote_marker_between_number_and_unit():
    text = "共受理群众反映\n1\n100.0\n\n-3-\n\n万件，同比上升 1.0%。\n\n1\n 12345 热线受理的各类事项。"
    assert tokenize(text)[:1] == [("100.0", "万件", False, (3, 0))]


def test_the_cue_table_is_data_with_synonyms():
    table = cues.table()
    assert {table.meaning("direction", c) for c in ("增长", "增加", "提高", "提升", "上升")} == {"上升"}
    assert {table.meaning("direction", c) for c in ("减少", "降低", "回落", "下降")} == {"下降"}
    assert {table.meaning("base", c) for c in ("同比", "较上年", "比上年")} == {"同比"}
    assert {
        table.meaning("subject", c) for c in ("街道乡镇", "街乡镇", "街镇", "街道", "乡镇街道", "街道（乡镇）")
    } == {"level 街道乡镇"}
    assert {table.meaning("unit", c) for c in ("万件", "万")} == {"万件"}


def test_a_bad_cue_table_names_its_line():
    with pytest.raises(ValueError, match=r"cues.csv:3: unknown role “colour”"):
        cues.parse("role,cue,meaning\nunit,件,件\ncolour,红,red\n")
    with pytest.raises(ValueError, match=r"cues.csv:3: empty or repeated cue “件”"):
        cues.parse("role,cue,meaning\nunit,件,件\nunit,件,件\n")


SYNONYMS = """
 2031 年，全市诉求解决率、满意率分别达到 90.1
%和 91.2％。
一、总体情况
2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线共受理群众反映 100.0 万件，较上年增长 3.0%。
其中，派单处理 40.0 万件，比上年减少 2.0%，所占比例为 40.0%，直接答复 60.0 万 件，同比回落 1.5%，比重为 60.0
%。
三、群众诉求办理情况
（一）市级部门派单办理情况
市级部门派单办理量第一是开发区管委会，共受理 5.0 万件；第二是市交管局，共受理 4.0 万件；
排在第 3 位的是市卫生健康委，共受理 3.0 万件。
"""


def test_synonyms_of_every_cue(extract):
    r = extract(SYNONYMS)
    assert value(r, subject="12345热线", measure="satisfaction_rate") == "91.2"
    assert value(r, subject="12345热线", measure="yoy_change") == "3.0"
    assert value(r, subject="诉求派单", measure="yoy_change", qualifier="下降") == "2.0"
    assert value(r, subject="诉求派单", measure="share") == "40.0"
    assert value(r, subject="直接答复", measure="requests") == "60.0"
    assert value(r, subject="直接答复", measure="yoy_change", qualifier="下降") == "1.5"
    assert value(r, subject="直接答复", measure="share", relative_to="12345热线") == "60.0"
    assert value(r, subject="开发区管委会", qualifier="最多") == "5.0"
    assert value(r, subject="市交管局", qualifier="其次") == "4.0"
    assert value(r, subject="市卫生健康委", qualifier="第三") == "3.0"
    assert r.unclaimed == []


def test_a_figure_after_unknown_words_is_never_guessed(extract):
    r = extract(
        """
         2031 年 1 月 1 日 0 时至 2031 年 12 月 31 日 24 时，12345 热线持续优化服务。
        一、总体情况
        12345 热线共受理群众反映 100.0 万件。受理总量：100.0 万件；来电接通量：90.0 万件；
        日均受理 0.3 万件。
        """
    )
    assert [row["value"] for row in (f.row() for f in r.facts)] == ["100.0", "100.0"]
    assert sorted(n.text for n in r.unclaimed) == ["0.3", "90.0"]
