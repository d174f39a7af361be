"""The validation cache (``--validation-cache``): a unit validated before with the same triples,
shapes and versions is read back with the same results; any change is validated anew, and a
damaged entry is never trusted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal
from rdflib.namespace import DCAT

from conftest import ROOT, SITE, VALIDATION_CACHE, copy_project
from hotline_kg import validate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def metadata(built) -> Graph:
    """The catalogue description, the smallest unit the build validates (core and DCAT-AP shapes)."""
    _, out = built
    return Graph().parse(out / "void.ttl")


def unit(graph: Graph) -> list[tuple[str, Graph]]:
    return [(validate.METADATA_UNIT, graph)]


def changed_size(metadata: Graph) -> Graph:
    """The description with one distribution's byte size left out (a violation)."""
    copy = Graph()
    copy += metadata
    distribution = next(copy.objects(SITE.id("dataset/hotline"), DCAT.distribution))
    copy.remove((distribution, DCAT.byteSize, None))
    return copy


def test_a_unit_validated_again_is_read_from_the_cache_with_the_same_results(metadata, shapes, tmp_path):
    broken = changed_size(metadata)
    first = validate.validate_units(unit(broken), shapes, tmp_path)
    assert not first.conforms and first.cached == frozenset()
    entries = sorted(tmp_path.glob("*.json"))
    assert len(entries) == len(shapes)  # one per shapes file: the metadata unit meets them all
    again = validate.validate_units(unit(broken), shapes, tmp_path)
    assert again.cached == {validate.METADATA_UNIT}
    assert again.results == first.results and not again.conforms
    assert sorted(tmp_path.glob("*.json")) == entries


def test_a_changed_triple_is_validated_anew(metadata, shapes, tmp_path):
    clean = validate.validate_units(unit(metadata), shapes, tmp_path)
    assert clean.conforms, validate.summary(clean)
    broken = validate.validate_units(unit(changed_size(metadata)), shapes, tmp_path)
    assert broken.cached == frozenset() and not broken.conforms
    assert any("size in bytes" in r.message for r in broken.results), validate.summary(broken)


def test_changed_shapes_are_applied_anew(metadata, shapes, tmp_path):
    validate.validate_units(unit(metadata), shapes, tmp_path)
    folder = tmp_path / "shapes"
    (folder / validate.DCAT_AP).mkdir(parents=True)
    for path in (ROOT / "shapes").glob("*.ttl"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    for name in validate.DCAT_AP_FILES:
        (folder / validate.DCAT_AP / name).write_bytes((ROOT / "shapes" / validate.DCAT_AP / name).read_bytes())
    edited = validate.validate_units(unit(metadata), validate.load_shapes(SITE, folder), tmp_path)
    assert edited.cached == frozenset()


def test_a_damaged_entry_is_validated_again_and_written_anew(metadata, shapes, tmp_path):
    broken = changed_size(metadata)
    first = validate.validate_units(unit(broken), shapes, tmp_path)
    damages = ("{not json", '[{"severity": "Violation"}]', '{"results": 1}', "\x00\xff")
    for i, entry in enumerate(sorted(tmp_path.glob("*.json"))):
        entry.write_text(damages[i % len(damages)], encoding="utf-8")
    again = validate.validate_units(unit(broken), shapes, tmp_path)
    assert again.cached == frozenset()
    assert again.results == first.results
    # the entries written anew are read back
    assert validate.validate_units(unit(broken), shapes, tmp_path).cached == {validate.METADATA_UNIT}


def test_a_unit_with_a_blank_node_is_never_cached(metadata, shapes, tmp_path):
    with_blank = Graph()
    with_blank += metadata
    with_blank.add((BNode(), DCAT.keyword, Literal("blank", lang="en")))
    validate.validate_units(unit(with_blank), shapes, tmp_path)
    assert not list(tmp_path.glob("*.json"))
    assert validate.validate_units(unit(with_blank), shapes, tmp_path).cached == frozenset()


def test_build_and_validate_take_the_cache_as_an_option_and_a_variable(tmp_path):
    project = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != VALIDATION_CACHE}

    def hotline(*args: str | Path, **extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hotline_kg.cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, check=False, env={**env, **extra})

    out = tmp_path / "dist"
    first = hotline("build", "--root", project, "--out", out, "--validation-cache", cache)
    assert first.returncode == 0, first.stderr
    assert "cached" not in first.stdout.splitlines()[0]
    assert len(list(cache.glob("*.json"))) >= 4
    again = hotline("validate", "--root", project, "--dist", out, **{VALIDATION_CACHE: str(cache)})
    assert again.returncode == 0, again.stderr
    head = again.stdout.splitlines()[0]
    assert head.startswith("conforms:")
    for name in ("reference", "report/2022", "report/2024", "metadata"):
        assert f"{name} cached" in head, head
