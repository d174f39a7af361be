"""`hotline-kg validate` on the built graph and on corrupted copies of its dumps."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import ROOT, SITE, copy_project

pytestmark = pytest.mark.slow


def hotline(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `hotline-kg ARGS` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "hotline_kg.cli", *map(str, args)], capture_output=True, text=True, check=False, cwd=ROOT
    )


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return hotline("validate", "--root", ROOT, *args)


@pytest.fixture(scope="module")
def dist(cli_dist) -> Path:
    """A dist/ built by the command itself (which validates before writing)."""
    return cli_dist


def test_validate_the_built_graph(dist):
    report = dist / "validation-report.ttl"
    before = report.read_bytes()
    result = cli("--dist", dist)
    assert result.returncode == 0, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("conforms: 0 violations,") and "report/2022" in first and "report/2024" in first
    assert report.read_bytes() == before  # the same report, byte for byte
    assert (dist / "shapes.ttl").exists()


def test_json_and_turtle_output(dist):
    as_json = json.loads(cli("--dist", dist, "--format", "json").stdout)
    assert as_json["conforms"] is True and as_json["counts"].get("Violation", 0) == 0
    turtle = cli("--dist", dist, "--format", "turtle").stdout
    assert "sh:ValidationReport" in turtle and len(Graph().parse(data=turtle, format="turtle")) > 0


def corrupted(dist: Path, tmp_path: Path, old: str, new: str) -> Path:
    lines = gzip.decompress((dist / "hotline.nq.gz").read_bytes()).decode("utf-8")
    assert old in lines
    path = tmp_path / "corrupted.nq.gz"
    path.write_bytes(gzip.compress(lines.replace(old, new, 1).encode("utf-8")))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # a changed figure
            '<http://purl.org/linked-data/sdmx/2009/measure#obsValue> "445.2"',
            '<http://purl.org/linked-data/sdmx/2009/measure#obsValue> "454.2"',
            "the value 454.2 is not the printed figure 445.2",
        ),
        (  # a removed required triple
            "<https://w3id.org/hotline-kg/id/obs/2024/district/110108/share/2024> "
            "<http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure>",
            "<http://example.org/removed> <http://example.org/removed>",
            "exactly one unit",
        ),
        (  # a wrong datatype
            '"445.2"^^<http://www.w3.org/2001/XMLSchema#decimal>',
            '"445.2"^^<http://www.w3.org/2001/XMLSchema#double>',
            "never a float",
        ),
    ],
    ids=["changed-figure", "removed-triple", "wrong-datatype"],
)
def test_corrupted_dump_is_caught(dist, tmp_path, old, new, message):
    path = corrupted(dist, tmp_path, old, new)
    report = tmp_path / "report.ttl"
    result = cli(path, "--report", report)
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("does not conform:")
    assert message in result.stdout
    assert (SITE.id("validation/report"), None, None) in Graph().parse(report)


def test_validate_any_dump_format(dist, tmp_path):
    for name in ("hotline.ttl", "hotline.nt.gz", "hotline.jsonld"):
        result = cli(dist / name)
        assert result.returncode == 0, (name, result.stdout, result.stderr)


def test_unreadable_input(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle <<<", encoding="utf-8")
    result = cli(bad)
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    result = cli(tmp_path / "data.xyz")
    assert result.returncode == 2 and "unknown RDF format" in result.stderr


def test_a_build_that_does_not_conform_writes_nothing(tmp_path):
    project = copy_project(tmp_path / "project")
    districts = project / "data" / "reference" / "districts.csv"
    districts.write_text(districts.read_text(encoding="utf-8").replace("110101,", "11010X,", 1), encoding="utf-8")
    out = tmp_path / "dist"
    done = hotline("build", "--root", str(project), "--out", str(out))
    assert done.returncode == 1
    assert "GB/T 2260 code" in done.stderr and "nothing written" in done.stderr
    assert not out.exists()


def test_validate_needs_shapes_and_triples(tmp_path, dist):
    empty = tmp_path / "empty.ttl"
    empty.write_text("", encoding="utf-8")
    result = cli(empty)
    assert result.returncode == 2 and "no triples" in result.stderr
    no_shapes = hotline("validate", "--root", str(tmp_path), "--dist", str(dist))
    assert no_shapes.returncode == 2 and "no shapes" in no_shapes.stderr


def test_a_per_report_dump_is_validated_with_the_reference_data(dist):
    result = cli(dist / "report-2024.ttl", "--dist", dist)
    assert result.returncode == 0, result.stdout


def test_build_does_not_replace_a_folder_that_is_not_a_build(tmp_path):
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    done = hotline("build", "--root", str(ROOT), "--out", str(other))
    assert done.returncode == 2 and "not a previous build" in done.stderr
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_the_published_shapes_are_those_of_the_shapes_folder(dist):
    """dist/shapes.ttl holds the project's shapes as written, nothing the validator added to them."""
    from rdflib.compare import isomorphic

    from hotline_kg import validate

    published = Graph().parse(dist / "shapes.ttl")
    assert isomorphic(published, validate.merged(validate.load_shapes(SITE, ROOT / "shapes")))
