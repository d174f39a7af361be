"""`hotline-kg validate`: check graphs against the SHACL shapes in shapes/ with pyshacl.

The built graph is validated one unit at a time — the reference data with the
ontology, then each report's graph with them, then the dataset metadata — so the
time grows with the data, not with a union of every year. Results are merged
(one result per focus node, shape and message) into one report.

The metadata unit (void.ttl: catalogue, datasets, distributions, the SPARQL service) is also
checked against the DCAT-AP 3.0.1 shapes vendored in shapes/dcat-ap-3.0.1/ — mandatory,
range and recommended. Any result of theirs stops the build, a recommended warning too.

With a cache folder (``--validation-cache``), the results of each unit and shapes file are kept
under a hash of what decides them: the unit's triples, the shapes file's text, and the versions of
pyshacl, rdflib, pyoxigraph and this module. A unit validated before with the same inputs is not validated
again; anything else (a changed triple, a shapes edit, an upgrade, an unreadable entry) is.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, QB, RDF, RDFS, SH, SKOS
from rdflib.term import BNode, Node

from hotline_kg.rdf.vocab import Site

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
#: Suffix → rdflib format name, for the files `validate` reads.
FORMATS = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld", ".rdf": "xml"}
#: The unit of the dataset metadata (void.ttl), the one the DCAT-AP shapes check.
METADATA_UNIT = "metadata"
#: DCAT-AP 3.0.1 (SEMICeu, © European Union, CC BY 4.0; shapes/dcat-ap-3.0.1/NOTICE.md): the
#: folder under shapes/ and its three files, all required.
DCAT_AP = "dcat-ap-3.0.1"
DCAT_AP_FILES = ("shapes.ttl", "range.ttl", "shapes_recommended.ttl")


class Shapes(Graph):
    """A shapes file as a graph: ``name``, the file's name, and ``digest``, a hash of the text it
    was read from (the key of its results in the validation cache)."""

    def __init__(self, text: str | bytes = "", name: str = "") -> None:
        super().__init__()
        self.name = name
        self.digest = hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


class UnitShapes(Shapes):
    """Shapes that check only the validation units named in ``units`` (the DCAT-AP shapes: the
    metadata unit). ``source`` names them in each message; with ``blocking``, any result of
    theirs — a sh:Warning too — makes the report not conform."""

    def __init__(self, source: str, units: frozenset[str], text: bytes = b"", blocking: bool = True) -> None:
        super().__init__(text, source)
        self.source = source
        self.units = units
        self.blocking = blocking


@dataclass(frozen=True)
class Result:
    severity: str
    focus: str
    focus_label: str
    path: str
    message: str
    value: str
    shape: str
    unit: str
    blocking: bool = False  # stops the build whatever its severity (a DCAT-AP result)

    @property
    def key(self) -> tuple[str, ...]:
        return (self.severity, self.focus, self.path, self.message, self.value, self.shape)


@dataclass(frozen=True)
class Report:
    results: list[Result]
    timings: dict[str, float]  # unit → seconds
    cached: frozenset[str] = frozenset()  # units whose every result was read from the cache

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.severity for r in self.results)

    @property
    def blocking_warnings(self) -> int:
        return sum(1 for r in self.results if r.blocking and r.severity != "Violation")

    @property
    def conforms(self) -> bool:
        """No violation, and no result of shapes whose every result blocks (DCAT-AP)."""
        return self.counts["Violation"] == 0 and not self.blocking_warnings


def load_shapes(site: Site, folder: Path) -> list[Graph]:
    """Each shapes file as a graph, its relative IRIs and declared namespaces pointed at the base URI;
    then the DCAT-AP shapes of shapes/dcat-ap-3.0.1/, for the metadata unit."""
    paths = sorted(folder.glob("*.ttl"))
    if not paths:
        raise ValueError(f"{folder}: no shapes (*.ttl) to validate with")
    graphs = []
    for path in paths:
        text = site.rebase(path.read_text(encoding="utf-8"))
        try:
            shapes = Shapes(site.base + "\n" + text, path.name)
            graphs.append(shapes.parse(data=text, format="turtle", publicID=site.base))
        except Exception as err:  # rdflib raises several types for bad Turtle
            raise ValueError(f"{path}: not valid Turtle: {err}") from err
    return graphs + dcat_ap_shapes(folder / DCAT_AP)


def dcat_ap_shapes(folder: Path) -> list[Graph]:
    """The three DCAT-AP 3.0.1 shape files, each a graph that checks the metadata unit only.
    A missing file is an error: the catalogue description is never left unchecked."""
    graphs: list[Graph] = []
    for name in DCAT_AP_FILES:
        path = folder / name
        if not path.is_file():
            raise ValueError(
                f"{path}: missing — the DCAT-AP 3.0.1 shapes the catalogue description (void.ttl) is validated "
                f"with ({', '.join(DCAT_AP_FILES)} from SEMICeu/DCAT-AP releases/3.0.1/html/shacl/, CC BY 4.0)"
            )
        text, base = path.read_bytes(), path.resolve().as_uri()
        shapes = UnitShapes(f"DCAT-AP 3.0.1 {name}", frozenset({METADATA_UNIT}), base.encode() + b"\n" + text)
        try:
            shapes.parse(data=text, format="turtle", publicID=base)
        except Exception as err:  # rdflib raises several types for bad Turtle
            raise ValueError(f"{path}: not valid Turtle: {err}") from err
        graphs.append(shapes)
    return graphs


def merged(shapes: list[Graph]) -> Graph:
    """The project's own shapes as one graph (dist/shapes.ttl). Shapes of one unit only (DCAT-AP,
    for the metadata) are not among them: the data graphs are not meant to meet them."""
    whole = Graph()
    for graph in shapes:
        if not isinstance(graph, UnitShapes):
            whole += graph
    return whole


def validate_units(units: Iterable[tuple[str, Graph]], shapes: list[Graph], cache: Path | None = None) -> Report:
    """Validate each (name, data graph) unit with pyshacl; merge the results.

    Shapes with SHACL-SPARQL constraints run against a copy of the data in an
    Oxigraph store (oxrdflib), whose SPARQL engine answers their joins in
    milliseconds; the core shapes run on the in-memory rdflib graph. With ``cache``, the
    results of a unit and a shapes file validated before are read from there (``cache_key``)."""

    seen: dict[tuple[str, ...], Result] = {}
    timings = {}
    cached = set()
    for name, data in units:
        started = time.perf_counter()
        triples = data.serialize(format="nt", encoding="utf-8")
        data_digest = _data_digest(data, triples) if cache is not None else None
        fast: Graph | None = None
        validated = False
        for shapes_graph in shapes:
            if isinstance(shapes_graph, UnitShapes) and name not in shapes_graph.units:
                continue
            key = cache_key(name, data_digest, shapes_graph)
            results = _cached(cache, key)
            if results is None:
                target = data
                if (None, SH.sparql, None) in shapes_graph:
                    if fast is None:
                        fast = Graph(store="Oxigraph")
                        # read by Oxigraph's own parser: ten times as fast as rdflib's adding one triple at a time
                        fast.parse(data=triples, format="ox-nt")
                    target = fast
                results = _validated(target, shapes_graph, data, name, inplace=target is fast)
                _keep(cache, key, results)
                validated = True
            for result in results:
                seen.setdefault(result.key, result)
        timings[name] = time.perf_counter() - started
        if not validated:
            cached.add(name)
    order = list(SEVERITIES.values())
    ordered = sorted(seen.values(), key=lambda r: (order.index(r.severity), r.shape, r.focus, r.message))
    return Report(ordered, timings, frozenset(cached))


def _validated(target: Graph, shapes: Graph, data: Graph, unit: str, inplace: bool) -> list[Result]:
    """The results of one shapes graph on ``target`` (``data`` or its Oxigraph copy, which pyshacl
    may use in place)."""
    import pyshacl  # heavy: loaded only by the commands that validate

    _, results_graph, text = pyshacl.validate(
        target,
        shacl_graph=_copy(shapes),
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        advanced=True,
        inplace=inplace,
    )
    if not isinstance(results_graph, Graph):
        raise ValueError(f"the shapes cannot be applied: {text}")
    return list(_results(results_graph, data, unit, shapes))


def _copy(shapes: Graph) -> Graph:
    """A copy of a shapes graph for pyshacl, which adds triples of its own to the graph it is given
    (owl:Class rdfs:subClassOf rdfs:Class …): the shapes stay as written, for dist/shapes.ttl and the
    next unit. Its prefixes are the file's, as the messages name the classes with them."""
    copy = Graph(bind_namespaces="none")
    for prefix, namespace in shapes.namespaces():
        copy.bind(prefix, namespace)
    copy += shapes
    return copy


# --- the validation cache ---------------------------------------------------------------------------


def _data_digest(data: Graph, triples: bytes) -> str | None:
    """A hash of a unit's triples (its N-Triples lines, sorted), or None when it has a blank node:
    blank node labels change from one reading to the next, so such a unit is never cached."""
    if any(isinstance(term, BNode) for triple in data for term in triple):
        return None
    return hashlib.sha256(b"\n".join(sorted(triples.splitlines()))).hexdigest()


def cache_key(unit: str, data_digest: str | None, shapes: Graph) -> str | None:
    """The name of a unit's results for one shapes file: a hash of the unit's name and triples,
    the shapes file's text, and the versions of pyshacl, rdflib, pyoxigraph and this module. None when the
    unit or the shapes have no digest (blank nodes in the data; shapes not read from a file)."""
    import pyoxigraph
    import pyshacl
    import rdflib

    if data_digest is None or not isinstance(shapes, Shapes):
        return None
    versions = (pyshacl.__version__, rdflib.__version__, pyoxigraph.__version__, _code_digest())
    parts = (*versions, unit, data_digest, shapes.digest)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """A hash of this module: a change in how results are read makes every entry old."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _cached(cache: Path | None, key: str | None) -> list[Result] | None:
    """The results kept under ``key``, or None: no cache, no entry, or one that cannot be read
    as results (it is validated again, and the entry written anew)."""
    if cache is None or key is None:
        return None
    try:
        return [Result(**item) for item in json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def _keep(cache: Path | None, key: str | None, results: list[Result]) -> None:
    """Write the results under ``key``, atomically (a reader sees the whole entry or none); a
    cache that cannot be written is left alone: validation does not depend on it."""
    if cache is None or key is None:
        return
    temp = None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache, suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump([r.__dict__ for r in results], out, ensure_ascii=False)
        os.replace(temp, cache / f"{key}.json")
    except OSError:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def _results(results: Graph, data: Graph, unit: str, shapes: Graph) -> Iterable[Result]:
    source = shapes.source if isinstance(shapes, UnitShapes) else ""
    blocking = isinstance(shapes, UnitShapes) and shapes.blocking
    for node in results.subjects(RDF.type, SH.ValidationResult):
        severity = SEVERITIES.get(results.value(node, SH.resultSeverity), "Violation")  # type: ignore[arg-type]
        focus = results.value(node, SH.focusNode)
        path = results.value(node, SH.resultPath)
        messages = sorted(str(m) for m in results.objects(node, SH.resultMessage))
        if source:
            messages = [f"{source}: {m}" for m in messages] or [f"{source}: {_short(path)}"]
        value = results.value(node, SH.value)
        shape = results.value(node, SH.sourceShape)
        yield Result(
            severity=severity,
            focus=str(focus),
            focus_label=label(data, focus),
            path=_short(path),
            message=messages[0] if messages else "",
            value=str(value) if value is not None else "",
            shape=str(shape) if isinstance(shape, URIRef) else str(results.value(node, SH.sourceConstraint) or ""),
            unit=unit,
            blocking=blocking,
        )


def label(graph: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    labels = {lit.language: str(lit) for lit in graph.objects(node, RDFS.label) if isinstance(lit, Literal)}  # type: ignore[arg-type]
    return labels.get("zh") or labels.get("en") or str(node)


def _short(path: Node | None) -> str:
    if path is None:
        return ""
    text = str(path)
    for sep in ("#", "/"):
        if sep in text:
            return text.rsplit(sep, 1)[-1]
    return text


# --- what to validate ---------------------------------------------------------------------------


def built_units(site: Site, graphs: dict[URIRef, Graph], metadata: Graph | None) -> list[tuple[str, Graph]]:
    """Reference + ontology; each report with them; the metadata on its own."""
    base = Graph()
    for name in (site.graph("ontology"), site.graph("reference")):
        if name in graphs:
            base += graphs[name]
    units = [("reference", base)]
    for name, graph in sorted(graphs.items()):
        if str(name).startswith(str(site.graph("report/"))):
            unit = Graph()
            unit += base
            unit += graph
            units.append((str(name).removeprefix(str(site.graph(""))), unit))
    if metadata is not None:
        units.append((METADATA_UNIT, metadata))
    return units


def read_data(paths: list[Path]) -> tuple[dict[URIRef, Graph], Graph]:
    """Named graphs and the default graph of the given RDF files (any dump format, gzipped or not)."""
    named: dict[URIRef, Graph] = {}
    default = Graph()
    for path in paths:
        name = path.name.removesuffix(".gz")
        fmt = next((f for suffix, f in FORMATS.items() if name.endswith(suffix)), None)
        if fmt is None:
            raise ValueError(f"{path}: unknown RDF format (expected one of {', '.join(FORMATS)}, optionally .gz)")
        try:
            _read_one(path, fmt, named, default)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: {err}") from err
        except Exception as err:  # rdflib's parsers raise many types for a malformed file
            raise ValueError(f"{path}: not valid {fmt}: {type(err).__name__}: {err}") from err
    if not len(default) and not any(len(g) for g in named.values()):
        raise ValueError(f"no triples in {', '.join(map(str, paths))}")
    return named, default


def _read_one(path: Path, fmt: str, named: dict[URIRef, Graph], default: Graph) -> None:
    raw = path.read_bytes()
    data = gzip.decompress(raw) if path.name.endswith(".gz") else raw
    if fmt not in ("nquads", "trig", "json-ld"):
        default.parse(data=data, format=fmt)
        return
    ds = Dataset()
    ds.parse(data=data, format=fmt)
    for graph in ds.graphs():
        is_default = graph.identifier == ds.default_graph.identifier
        target = default if is_default else named.setdefault(URIRef(graph.identifier), Graph())
        for triple in graph:
            target.add(triple)


def units_of_files(
    site: Site, paths: list[Path], ontology: Graph, reference: Graph | None = None
) -> list[tuple[str, Graph]]:
    """Validation units for the given files. Report graphs are validated with the reference data
    and the ontology; files without the code lists (a per-report dump) get them from ``reference``."""
    named, default = read_data(paths)
    has_reports = any(str(n).startswith(str(site.graph("report/"))) for n in named)
    if has_reports:
        named.setdefault(site.graph("ontology"), Graph())
        named[site.graph("ontology")] += ontology
        if site.graph("reference") not in named and reference is not None:
            named[site.graph("reference")] = reference
        units = built_units(site, named, None)
        if len(default):
            units.append(("default graph", default))
        return units
    if (None, RDF.type, DCAT.Catalog) in default and (None, RDF.type, QB.Observation) not in default:
        metadata = Graph()  # a catalogue description (void.ttl): checked on its own, as the build checks it
        metadata += default
        for graph in named.values():
            metadata += graph
        return [(METADATA_UNIT, metadata)]
    whole = Graph()
    whole += ontology
    whole += default
    for graph in named.values():
        whole += graph
    lacks_codes = (None, SKOS_IN_SCHEME, site.id("scheme/subjects")) not in whole
    if lacks_codes and reference is not None:
        whole += reference
    return [("data", whole)]


SKOS_IN_SCHEME = SKOS.inScheme


# --- output ---------------------------------------------------------------------------------------


def summary(report: Report) -> str:
    counts = report.counts
    head = "conforms" if report.conforms else "does not conform"
    blocking = f" ({report.blocking_warnings} of them blocking)" if report.blocking_warnings else ""
    timings = ", ".join(f"{u} {'cached' if u in report.cached else f'{t:.1f} s'}" for u, t in report.timings.items())
    lines = [
        f"{head}: {counts['Violation']} violations, {counts['Warning']} warnings{blocking}, {counts['Info']} infos"
        f" ({timings})"
    ]
    for r in report.results:
        path = f" [{r.path}]" if r.path else ""
        blocks = " (blocks the build)" if r.blocking and r.severity != "Violation" else ""
        lines.append(f"{r.severity}{blocks}: {r.focus_label}{path}: {r.message}")
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "conforms": report.conforms,
            "counts": dict(report.counts),
            "timings": report.timings,
            "cached": sorted(report.cached),
            "results": [r.__dict__ for r in report.results],
        },
        ensure_ascii=False,
        indent=1,
    )


def report_graph(site: Site, report: Report) -> Graph:
    """The merged report as SHACL results with stable IRIs (a hash of each result)."""
    g = Graph()
    g.bind("sh", SH)
    node = site.id("validation/report")
    g.add((node, RDF.type, SH.ValidationReport))
    g.add((node, SH.conforms, Literal(report.conforms)))
    g.add((node, RDFS.label, Literal("validation report", lang="en")))
    g.add((node, RDFS.label, Literal("校验报告", lang="zh")))
    severity = {v: k for k, v in SEVERITIES.items()}
    for r in report.results:
        result = site.id("validation/result/" + hashlib.sha256("\x1f".join(r.key).encode()).hexdigest()[:20])
        g.add((node, SH.result, result))
        g.add((result, RDF.type, SH.ValidationResult))
        g.add((result, SH.resultSeverity, severity[r.severity]))
        g.add((result, SH.focusNode, URIRef(r.focus) if "://" in r.focus else Literal(r.focus)))
        g.add((result, SH.resultMessage, Literal(r.message)))
        if r.shape:
            g.add((result, SH.sourceShape, URIRef(r.shape)))
        if r.value:
            g.add((result, SH.value, URIRef(r.value) if "://" in r.value else Literal(r.value)))
        g.add((result, RDFS.label, Literal(f"{r.severity}: {r.focus_label}", lang="zh")))
    return g
