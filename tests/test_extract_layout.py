"""PDF layout: line kinds, the clean text stream, and number accounting."""

from hotline_kg.extract.lines import classify, split_lines
from hotline_kg.extract.stream import Stream


def kinds(text: str) -> list[str]:
    return [line.kind for line in classify(split_lines(text))]


def test_page_numbers_markers_and_footnote_bodies():
    text = "\n".join(
        [
            "共受理群众反映",  # 1
            "1",  # 2 marker
            "100.0 万件，同比上升",  # 3
            "-12-",  # 4 page number
            "1 12345 热线及其网络平台接收的群众反映的各类事项，包括但",  # 5 body, first line
            "不限于咨询。",  # 6 body, second line
            "2.5%。",  # 7 text again
        ]
    )
    assert kinds(text) == [
        "text",
        "footnote_marker",
        "text",
        "page_number",
        "footnote_body",
        "footnote_body",
        "text",
    ]


def test_footnote_body_on_the_line_after_its_number():
    text = "受理\n1\n2.0 万件。\n\n1\n 12345 热线及其网络平台接收的各类事项，\n等。\n其后 3.0 万件。"
    assert kinds(text) == [
        "text",
        "footnote_marker",
        "text",
        "blank",
        "footnote_body",
        "footnote_body",
        "footnote_body",
        "text",
    ]


def test_a_chart_is_set_apart_up_to_the_page_number():
    text = "占比 21.5%。\n0.0万\n\n0.5万\n2024年门头沟区诉求派单前十类问题\n2023年 2024年\n-26-\n9.通州区"
    assert kinds(text) == [
        "text",
        "chart_axis",
        "blank",
        "chart_axis",
        "chart_label",
        "chart_label",
        "page_number",
        "item_heading",
    ]


def test_headings_of_three_levels():
    assert kinds(" 二、群众反映前十类问题情况 \n （二）社会培训机构 \n12.大兴区") == [
        "heading",
        "subheading",
        "item_heading",
    ]


def test_stream_drops_pdf_spaces_and_line_breaks_but_keeps_places():
    lines = classify(split_lines("12345\n\n热线共受理 2419.5 万件，\n同比上升 12.9%。"))
    stream = Stream.of(line for line in lines if line.kind == "text")
    assert stream.text == "12345热线共受理2419.5万件，同比上升12.9%。"
    i = stream.text.index("2419.5")
    assert stream.where[i] == (3, 6)
    assert stream.where[stream.text.index("12.9")] == (4, 5)


def test_numbers_on_adjacent_lines_do_not_run_together():
    lines = classify(split_lines("2022 2023\n2024"))
    assert Stream.of(lines).text == "2022 2023 2024"


def test_unclaimed_lists_a_number_no_rule_reads(extract):
    r = extract(
        """
         2031 年，12345 热线持续优化服务。
        一、总体情况
        2031年1月1日0时至2031年12月31日24时，12345热线共受理群众反映 100.0 万件。
        全年新增服务网点 45 处，
        覆盖 3.5 成街道。
        """
    )
    assert [(n.line, n.text) for n in r.unclaimed] == [(4, "45"), (5, "3.5")]
