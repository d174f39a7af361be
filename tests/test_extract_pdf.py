"""Reading a report PDF (hotline_kg.extract.pdf): PDFs built from the real report texts by
tests/pdfs.py in every kind, and the files that are not readable report PDFs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.pdf import pdf_text
from pdfs import KINDS, BuiltPdf, Options, build_pdf, compare_text, encrypted_pdf, image_only_pdf, squeeze

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
REPORTS = ("2022", "2024")
CASES = [(report, kind) for report in REPORTS for kind in KINDS]
TABLE_ROWS = {"2022": 17, "2024": 13}
FOOTNOTES = {"2022": 3, "2024": 4}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[BuiltPdf, str]]:
    """Every report in every kind: the PDF as built and pdf_text's reading of it (built once)."""
    folder = tmp_path_factory.mktemp("pdfs")
    out = {}
    for report, kind in CASES:
        built = build_pdf((RAW / f"{report}.txt").read_text(encoding="utf-8"), KINDS[kind])
        path = built.write(folder / f"{report}-{kind}.pdf")
        out[report, kind] = (built, pdf_text(path))
    return out


def case(extracted: dict, report: str, kind: str) -> tuple[BuiltPdf, str]:
    return extracted[report, kind]


def text_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.replace("\f", "\n").split("\n")]


# ---------------------------------------------------------------- the builder itself


def test_the_builder_is_deterministic_and_its_options_change_the_pdf():
    text = (RAW / "2022.txt").read_text(encoding="utf-8")
    first = build_pdf(text, KINDS["all"])
    assert first.data.startswith(b"%PDF-")
    assert build_pdf(text, KINDS["all"]).data == first.data
    assert len({build_pdf(text, options).data for options in KINDS.values()}) == len(KINDS)


@pytest.mark.slow
def test_re_flowed_prose_breaks_lines_elsewhere_than_the_text_file(extracted):
    built, text = case(extracted, "2022", "reflow")
    source = {squeeze(line) for line in built.source.split("\n") if len(squeeze(line)) >= 15}
    out = {squeeze(line) for line in text.split("\n") if len(squeeze(line)) >= 15}
    assert len(source) > 100
    assert len(source & out) < 0.2 * len(source), sorted(source & out)[:10]
    # headings keep lines of their own
    every = {squeeze(line) for line in text.split("\n")}
    assert {"一、总体情况", "（一）市场管理", "三、群众诉求办理情况", "16.延庆区"} <= every


# ---------------------------------------------------------------- what comes out of a built PDF


@pytest.mark.parametrize(("report", "kind"), CASES)
def test_every_character_is_kept(extracted, report, kind):
    built, text = case(extracted, report, kind)
    result = compare_text(built, text)
    assert result.chars_total > 5_000
    assert result.missing == Counter(), f"lost: {result.missing.most_common(10)}"
    assert result.extra == Counter(), f"added: {result.extra.most_common(10)}"


@pytest.mark.parametrize(("report", "kind"), CASES)
def test_sentences_come_out_in_order(extracted, report, kind):
    built, text = case(extracted, report, kind)
    result = compare_text(built, text)
    assert result.sentences_total > 40
    assert result.sentences_in_order == result.sentences_total, result.sentence_problems


@pytest.mark.parametrize(("report", "kind"), CASES)
def test_each_page_after_the_first_starts_with_a_form_feed(extracted, report, kind):
    built, text = case(extracted, report, kind)
    pages = text.split("\n\f")
    assert len(built.pages) > 5
    assert len(pages) == len(built.pages)
    assert all(page.strip() for page in pages)
    assert not any(page.startswith("\n") or page.endswith("\n") for page in pages)


@pytest.mark.parametrize(("report", "kind"), [c for c in CASES if KINDS[c[1]].footers])
def test_footer_page_numbers_are_the_last_line_of_each_page(extracted, report, kind):
    built, text = case(extracted, report, kind)
    pages = text.split("\n\f")
    for number, page in enumerate(pages, start=1):
        assert page.split("\n")[-1] == f"-{number}-"
    footers = [line for line in text.replace("\f", "\n").split("\n") if line.startswith("-") and line.endswith("-")]
    assert footers == [f"-{n}-" for n in range(1, len(pages) + 1)]
    assert compare_text(built, text).footers_ok == len(pages)


@pytest.mark.parametrize(("report", "kind"), [c for c in CASES if KINDS[c[1]].table])
def test_each_table_row_has_its_cells_on_one_line_in_column_order(extracted, report, kind):
    built, text = case(extracted, report, kind)
    result = compare_text(built, text)
    assert result.rows_total == TABLE_ROWS[report]
    assert result.rows_ok == result.rows_total, result.row_problems
    # a long topic name wraps inside its cell (in 2022 its second part shares a line with the second handler)
    wrapped = [row for row in built.table_rows if len(row.lines[1:2]) and row.lines[1][0] in row.cells[1]]
    assert len(wrapped) >= 2
    if report == "2022":
        assert all(len(row.lines[1]) == 3 for row in wrapped)


def test_a_2022_topic_row_as_it_comes_out(extracted):
    _, text = case(extracted, "2022", "all")
    lines = text_lines(text)
    assert "序号 问题 诉求总量 承办量前三位的单位 承办量" in lines
    at = lines.index("1 老楼加装电梯 5462 朝阳区 941")
    assert lines[at + 1 : at + 3] == ["海淀区 756", "丰台区 608"]
    at = lines.index("3 居住区电动自行车集 20878 海淀区 2701")
    assert lines[at + 1 : at + 3] == ["中充电设施建设 朝阳区 2675", "丰台区 2465"]
    at = lines.index("17 0-3岁婴幼儿普惠托育 89 朝阳区 28")
    assert lines[at + 1 : at + 3] == ["服务资源不足 海淀区 9", "昌平区 8"]


def test_a_2024_topic_row_as_it_comes_out(extracted):
    _, text = case(extracted, "2024", "table")
    lines = text_lines(text)
    assert "序号 问题 诉求派单总量" in lines
    assert "1 电动自行车充电设施建设 42698" in lines
    at = lines.index("2 小区周边公共停车资源有 10236")
    assert lines[at + 1] == "偿错时共享"


@pytest.mark.parametrize(("report", "kind"), [c for c in CASES if KINDS[c[1]].footnotes])
def test_footnote_markers_stand_alone_and_bodies_end_their_page(extracted, report, kind):
    built, text = case(extracted, report, kind)
    result = compare_text(built, text)
    assert result.markers_total == FOOTNOTES[report]
    assert result.markers_ok == result.markers_total, result.marker_problems
    assert result.markers_glued == 0
    assert len(built.footnote_bodies) == FOOTNOTES[report]
    assert result.notes_ok == result.notes_total == FOOTNOTES[report], result.note_problems


def test_a_superscript_marker_before_a_figure_gets_a_line_of_its_own(tmp_path):
    text = "热线共受理群众反映\n1\n7592.4 万件，同比上升 411.01%。 \n \n1 12345 热线及其网络平台接收的各类事项。 \n"
    path = build_pdf(text, Options(width=30, footnotes=True, footers=True)).write(tmp_path / "marker.pdf")
    assert pdf_text(path) == (
        "热线共受理群众反映\n1\n7592.4 万件，同比上升 411.01%。\n1\n12345 热线及其网络平台接收的各类事项。\n-1-"
    )


# ---------------------------------------------------------------- files that are not readable report PDFs


def test_a_text_file_named_pdf_is_not_a_pdf(tmp_path):
    path = tmp_path / "2022.pdf"
    path.write_bytes((RAW / "2022.txt").read_bytes())
    with pytest.raises(ReportError, match="not a PDF") as error:
        pdf_text(path)
    assert error.value.path == path
    assert error.value.line is None


def test_an_encrypted_pdf_is_refused(tmp_path):
    path = encrypted_pdf(tmp_path / "encrypted.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    with pytest.raises(ReportError, match="encrypted PDF") as error:
        pdf_text(path)
    assert error.value.path == path
    assert error.value.line is None


def test_an_image_only_pdf_has_no_text_layer(tmp_path):
    path = image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(ReportError, match="no text layer") as error:
        pdf_text(path)
    assert error.value.path == path
    assert "OCR" in str(error.value)


def test_a_truncated_pdf_is_unreadable(tmp_path):
    whole = build_pdf((RAW / "2024.txt").read_text(encoding="utf-8"))
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole.data[:4000])
    with pytest.raises(ReportError, match="unreadable PDF"):
        pdf_text(path)


def test_a_font_without_unicode_map_is_named_not_read(tmp_path, monkeypatch):
    """pdfminer prints "(cid:N)" for glyphs it cannot map: such a PDF is refused, never read as text."""
    import hotline_kg.extract.pdf as pdf_module

    built = build_pdf("一、总体情况\n共受理群众反映 100.0 万件。\n").write(tmp_path / "report.pdf")
    monkeypatch.setattr(pdf_module, "_page_text", lambda page: "(cid:1234)(cid:77) 100.0")
    with pytest.raises(ReportError, match=r"page 1: a font without a Unicode map"):
        pdf_text(built)
