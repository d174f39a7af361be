"""Bad input: a clear message naming the file (and line), a non-zero exit, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from hotline_kg.extract import ReportError, extract_file


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", "extract", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", encoding="utf-8")
    result = run_cli(path)
    assert result.returncode == 1
    assert f"{path}: the file is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("一、总体情况\n".encode() + "共受理群众反映".encode("gbk"))
    with pytest.raises(ReportError) as err:
        extract_file(path)
    assert err.value.line == 2
    result = run_cli(path)
    assert result.returncode == 1
    assert f"{path}:2: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_binary_file(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02")
    result = run_cli(path)
    assert result.returncode == 1 and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_text_that_is_not_such_a_report(write_report):
    path = write_report("这是一段普通文字，2031 年写成，没有报告的结构。\n")
    result = run_cli(path)
    assert result.returncode == 1
    assert "not a 12345 hotline annual report" in result.stderr and str(path) in result.stderr


def test_a_text_without_a_stated_period_lists_its_figures_and_takes_one_from_year(write_report):
    """No period is guessed: the figure is listed with the reason until --year gives one."""
    path = write_report("一、总体情况\n2019年的工作回顾。12345热线共受理群众反映 100.0 万件。\n")
    result = run_cli(path)
    assert result.returncode == 1
    assert "unclaimed number 100.0: no period stated" in result.stderr
    given = run_cli(path, "--year", "2031")
    assert given.returncode == 0, given.stderr
    assert ",2031,report," in given.stdout and ",100.0,万件," in given.stdout


def test_a_year_contradicting_the_stated_period_is_an_error(write_report):
    path = write_report("2031年1月1日0时至2031年12月31日24时，12345热线共受理群众反映 100.0 万件。\n")
    result = run_cli(path, "--year", "2030")
    assert result.returncode == 1
    assert "states its reporting period as 2031; --year 2030 contradicts it" in result.stderr


def test_missing_file(tmp_path):
    result = run_cli(tmp_path / "nope.txt")
    assert result.returncode == 1
    assert "nope.txt: cannot read the file" in result.stderr


UNKNOWN_SECTION = """
 2031 年，12345 热线持续优化服务。
一、总体情况
2031年1月1日0时至2031年12月31日24时，12345热线共受理群众反映 100.0 万件。
五、新增服务情况
全年新增服务网点 45 处。
"""


def test_unknown_section_warns_with_its_line_and_its_numbers_stay_visible(write_report):
    path = write_report(UNKNOWN_SECTION)
    result = run_cli(path)
    assert result.returncode == 0
    assert f"{path}:4: warning: unknown section “五、新增服务情况”" in result.stderr
    listing = run_cli(path, "--unclaimed")
    assert listing.returncode == 1
    assert f"{path}:5:10: unclaimed number 45" in listing.stdout


def test_output_file_and_out_dir(write_report, tmp_path):
    path = write_report(UNKNOWN_SECTION)
    out = tmp_path / "facts.csv"
    assert run_cli(path, "-o", out).returncode == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("year,section,subject,")
    assert run_cli(path, "--out-dir", tmp_path / "facts").returncode == 0
    assert (tmp_path / "facts" / "2031.csv").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_a_failed_run_keeps_the_last_good_output(write_report, tmp_path):
    good = write_report(UNKNOWN_SECTION, "good.txt")
    out = tmp_path / "facts.csv"
    run_cli(good, "-o", out)
    before = out.read_bytes()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    assert run_cli(bad, "-o", out).returncode == 1
    assert out.read_bytes() == before


NEW_SHAPE = """
 2031 年北京 12345 热线年度数据。
一、年度数据概览
全年接到来电来信 300.5 万件，日均 0.8 万件。
"""


def test_no_facts_still_lists_every_number(write_report):
    path = write_report(NEW_SHAPE)
    result = run_cli(path)
    assert result.returncode == 1
    assert f"{path}:3:10: unclaimed number 300.5" in result.stderr
    assert f"{path}:3:22: unclaimed number 0.8" in result.stderr
    assert result.stderr.count("error:") == 1 and "no facts found" in result.stderr
    assert result.stderr.endswith("\n") and result.stdout == ""


def test_unclaimed_numbers_are_announced_when_facts_are_written(write_report, tmp_path):
    path = write_report(UNKNOWN_SECTION)
    result = run_cli(path, "-o", tmp_path / "facts.csv")
    assert result.returncode == 0
    assert "1 unclaimed numbers" in result.stderr and "--unclaimed" in result.stderr
