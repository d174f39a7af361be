"""The build is deterministic and atomic, and bad input stops it with a clear message."""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from conftest import SITE, run_build
from hotline_kg.rdf.integrity import check
from hotline_kg.rdf.vocab import QB, SDMX_ATTRIBUTE


@pytest.mark.slow
def test_same_inputs_give_byte_identical_files(cli_dist, project, tmp_path):
    first, second = cli_dist, tmp_path / "b"  # the first built with another hash seed (0), elsewhere
    assert run_build(project, second, seed="2").returncode == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.slow
def test_sha256sums_list_every_file(cli_dist):
    out = cli_dist
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = {line.split()[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
    assert listed == {p.name for p in out.iterdir()} - {"SHA256SUMS"}


def break_facts(root: Path, old: str, new: str) -> None:
    table = root / "data" / "facts" / "2024.csv"
    text = table.read_text(encoding="utf-8")
    assert old in text
    table.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, text: str) -> int:
    lines = (root / "data" / "facts" / "2024.csv").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.slow
def test_a_failed_build_leaves_the_previous_dist_intact(cli_dist, project, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(cli_dist, out)  # a previous build
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    break_facts(project, ",市场管理,category,", ",不存在的分类,category,")
    result = run_build(project, out)
    assert result.returncode == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".dist")]


def test_subject_missing_from_reference_names_file_and_row(project, tmp_path):
    break_facts(project, ",市场管理,category,", ",不存在的分类,category,")
    result = run_build(project, tmp_path / "dist")
    assert result.returncode == 1
    row = line_of(project, "不存在的分类")
    assert f"data/facts/2024.csv:{row}: category “不存在的分类” is not in the reference data" in result.stderr
    assert not (tmp_path / "dist").exists()
    assert "Traceback" not in result.stderr


def test_malformed_value_names_file_and_row(project, tmp_path):
    break_facts(project, ",requests,445.2,", ",requests,445.2x,")
    result = run_build(project, tmp_path / "dist")
    assert result.returncode == 1
    assert f"2024.csv:{line_of(project, '445.2x')}: malformed value “445.2x”" in result.stderr


def test_duplicate_fact_with_a_different_value_names_both_rows(project, tmp_path):
    table = project / "data" / "facts" / "2024.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    i, original = next((i, line) for i, line in enumerate(lines) if ",市场管理,category,requests,445.2," in line)
    lines.append(original.replace(",445.2,", ",999.9,"))
    table.write_text("".join(lines), encoding="utf-8")
    result = run_build(project, tmp_path / "dist")
    assert result.returncode == 1
    assert (
        f"2024.csv:{len(lines)}: 市场管理 requests 2024 is 999.9 万件 here but 445.2 万件 at row {i + 1}"
        in result.stderr
    )


@pytest.mark.slow
def test_base_uri_is_one_setting(project, tmp_path):
    out = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hotline_kg.cli",
            "build",
            "--root",
            str(project),
            "--out",
            str(out),
            "--base-uri",
            "https://data.example.org/12345/",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = (out / "hotline.ttl").read_text(encoding="utf-8")
    assert "https://data.example.org/12345/id/district/110108" in text
    assert "127.0.0.1" not in text


# --- the integrity checker catches broken cubes -----------------------------------------------


@pytest.fixture(scope="module")
def cube(whole_graph) -> Graph:
    return whole_graph


def one_observation(graph: Graph) -> URIRef:
    return sorted(graph.subjects(RDF.type, QB.Observation))[0]


def broken(cube: Graph, change) -> set[str]:  # type: ignore[no-untyped-def]
    graph = Graph()
    graph += cube
    change(graph)
    return {v.constraint for v in check(graph)}


def test_observation_without_data_set(cube):
    assert "IC-1" in broken(cube, lambda g: g.remove((one_observation(g), QB.dataSet, None)))


def test_two_observations_with_the_same_dimension_values(cube):
    def duplicate(g: Graph) -> None:
        obs = one_observation(g)
        for p, o in list(g.predicate_objects(obs)):
            g.add((URIRef(str(obs) + "-copy"), p, o))

    assert "IC-12" in broken(cube, duplicate)


def test_observation_without_its_unit(cube):
    assert "IC-13" in broken(cube, lambda g: g.remove((one_observation(g), SDMX_ATTRIBUTE.unitMeasure, None)))


def test_subject_outside_the_code_list(cube):
    def outsider(g: Graph) -> None:
        obs = one_observation(g)
        g.set((obs, SITE.hl.subject, URIRef("http://example.org/not-a-code")))

    assert "IC-19" in broken(cube, outsider)


def test_dimension_without_range(cube):
    assert "IC-4" in broken(
        cube, lambda g: g.remove((SITE.hl.refPeriod, URIRef("http://www.w3.org/2000/01/rdf-schema#range"), None))
    )


def test_optional_dimension(cube):
    spec = SITE.id("structure/hotline/subject")
    assert "IC-6" in broken(cube, lambda g: g.add((spec, QB.componentRequired, Literal(False))))


def test_missing_dimension_value(cube):
    assert "IC-11" in broken(cube, lambda g: g.remove((one_observation(g), SITE.hl.measure, None)))


# --- source pages -------------------------------------------------------------------------------------


def set_pages(root: Path, page_of) -> None:  # type: ignore[no-untyped-def]
    """Fill the source_page column of the 2024 facts table (a report text with page breaks)."""
    table = root / "data" / "facts" / "2024.csv"
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    line, page = rows[0].index("source_line"), rows[0].index("source_page")
    for row in rows[1:]:
        row[page] = page_of(int(row[line]))
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.slow
def test_source_pages_become_hl_source_page(project, tmp_path):
    set_pages(project, lambda line: str(1 + line // 40))
    out = tmp_path / "dist"
    result = run_build(project, out)
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(out / "report-2024.ttl")
    observations = set(graph.subjects(RDF.type, QB.Observation))
    assert observations
    for node in observations:
        lines = {lit.toPython() for lit in graph.objects(node, SITE.hl.sourceLine)}
        pages = set(graph.objects(node, SITE.hl.sourcePage))
        assert pages and all(p.datatype == XSD.integer and p.toPython() >= 1 for p in pages)
        assert {p.toPython() for p in pages} == {1 + line // 40 for line in lines}
    assert not list(Graph().parse(out / "report-2022.ttl").subject_objects(SITE.hl.sourcePage))


@pytest.mark.parametrize("bad", ["0", "x", "-2"])
@pytest.mark.slow
def test_bad_source_page_names_file_and_row(project, tmp_path, bad):
    set_pages(project, lambda line: bad if line == 21 else "")
    result = run_build(project, tmp_path / "dist")
    assert result.returncode == 1
    row = line_of(project, "12345热线,hotline,requests,2419.5")
    assert f"2024.csv:{row}: source_page must be a positive whole number: “{bad}”" in result.stderr
    assert "Traceback" not in result.stderr
