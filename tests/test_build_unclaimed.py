"""`hotline-kg build` refuses a report with a number no rule reads, naming each,
unless a person accepted it with a reason (data/raw/accepted-numbers.csv)."""

from pathlib import Path

import pytest

from conftest import run_build

EXTRA = "新增网点 45 处，"


def add_unread_number(root: Path) -> tuple[int, int]:
    """Put a number no rule reads into the 2024 report; its (line, column)."""
    path = root / "data" / "raw" / "2024.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    no = next(i for i, line in enumerate(lines) if "推动多元参与" in line)
    lines[no] = lines[no].replace("推动多元参与", EXTRA + "推动多元参与")
    path.write_text("\n".join(lines), encoding="utf-8")
    return no + 1, lines[no].index("45") + 1


def test_an_unclaimed_number_blocks_the_build_and_is_named(project, tmp_path):
    line, column = add_unread_number(project)
    out = tmp_path / "dist"
    result = run_build(project, out)
    assert result.returncode == 1
    assert f"2024.txt:{line}:{column}: unclaimed number 45" in result.stderr
    assert "accepted-numbers.csv" in result.stderr
    assert not out.exists()
    assert result.stderr.endswith("\n") and result.stderr.count("unclaimed number 45") == 1


@pytest.mark.slow
def test_an_accepted_number_with_a_reason_lets_the_report_in(project, tmp_path):
    line, column = add_unread_number(project)
    accepted = project / "data" / "raw" / "accepted-numbers.csv"
    accepted.write_text(
        f"file,line,column,number,reason\n2024.txt,{line},{column},45,a count of service points: no measure for it\n",
        encoding="utf-8",
    )
    assert run_build(project, tmp_path / "dist").returncode == 0


def test_an_accepted_number_needs_a_reason(project, tmp_path):
    line, column = add_unread_number(project)
    accepted = project / "data" / "raw" / "accepted-numbers.csv"
    accepted.write_text(f"file,line,column,number,reason\n2024.txt,{line},{column},45, \n", encoding="utf-8")
    result = run_build(project, tmp_path / "dist")
    assert result.returncode == 1
    assert "accepted-numbers.csv:2: an accepted number needs a reason" in result.stderr


@pytest.mark.slow
def test_a_broken_cube_stops_the_build_naming_the_constraint_and_resources(project, tmp_path):
    """The W3C Data Cube integrity constraints run in the build: here the structure names a
    dimension most observations lack (IC-11, all dimensions required)."""
    ontology = project / "ontology" / "hotline.ttl"
    text = ontology.read_text(encoding="utf-8")
    assert "    qb:dimension hl:measure ;" in text
    broken = text.replace("    qb:dimension hl:measure ;", "    qb:dimension hl:qualifier ;")
    ontology.write_text(broken, encoding="utf-8")
    out = tmp_path / "dist"
    result = run_build(project, out)
    assert result.returncode == 1
    assert "error: IC-11 (" in result.stderr and "/id/obs/" in result.stderr
    assert "integrity constraints; nothing written" in result.stderr
    assert not out.exists()
