"""The integrity constraints of the W3C RDF Data Cube vocabulary (IC-1 … IC-21).

As the Recommendation (section 11) prescribes, the graph is first normalised
(type closure, then attributes and dimensions attached to data sets and slices
pushed down to observations); each constraint is then a query for the nodes
that break it. The queries here name the offending nodes rather than answering
yes/no, so a failure says where to look. IC-12 (no two observations with the
same dimension values) and IC-17 group observations by their dimension values
in Python: the pairwise comparison of the Recommendation's formulation grows
with the square of the cube.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from hotline_kg.rdf.vocab import QB

PREFIXES = """
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb:   <http://purl.org/linked-data/cube#>
"""

#: Phase 1: type closure. Phase 2: push attachments down to observations.
NORMALISE = (
    "INSERT { ?obs a qb:Observation } WHERE { [] qb:observation ?obs }",
    "INSERT { ?obs a qb:Observation } WHERE { ?obs qb:dataSet [] }",
    "INSERT { ?slice a qb:Slice } WHERE { [] qb:slice ?slice }",
    "INSERT { ?spec qb:componentProperty ?p . ?p a qb:DimensionProperty } WHERE { ?spec qb:dimension ?p }",
    "INSERT { ?spec qb:componentProperty ?p . ?p a qb:MeasureProperty } WHERE { ?spec qb:measure ?p }",
    "INSERT { ?spec qb:componentProperty ?p . ?p a qb:AttributeProperty } WHERE { ?spec qb:attribute ?p }",
    """INSERT { ?obs ?p ?v } WHERE {
         ?ds qb:structure/qb:component ?spec . ?spec qb:componentProperty ?p ; qb:componentAttachment qb:DataSet .
         ?ds ?p ?v . ?obs qb:dataSet ?ds }""",
    """INSERT { ?obs ?p ?v } WHERE {
         ?ds qb:structure/qb:component ?spec ; qb:slice ?slice . ?spec qb:componentProperty ?p ;
         qb:componentAttachment qb:Slice . ?slice ?p ?v ; qb:observation ?obs }""",
    """INSERT { ?obs ?p ?v } WHERE {
         ?ds qb:structure/qb:component/qb:componentProperty ?p ; qb:slice ?slice . ?p a qb:DimensionProperty .
         ?slice ?p ?v ; qb:observation ?obs }""",
    """INSERT { ?obs ?p ?v } WHERE {
         ?ds qb:structure/qb:component ?spec . ?spec qb:componentProperty ?p ;
         qb:componentAttachment qb:MeasureProperty . ?ds qb:structure/qb:component/qb:componentProperty ?m .
         ?m a qb:MeasureProperty ; ?p ?v . ?obs qb:dataSet ?ds ; ?m [] }""",
)

#: Constraint → (what it asks, query selecting ?node for each violation).
CONSTRAINTS: dict[str, tuple[str, str]] = {
    "IC-1": (
        "every observation belongs to exactly one data set",
        """
        SELECT ?node WHERE { ?node a qb:Observation . OPTIONAL { ?node qb:dataSet ?ds } }
        GROUP BY ?node HAVING (COUNT(DISTINCT ?ds) != 1)""",
    ),
    "IC-2": (
        "every data set has exactly one structure definition",
        """
        SELECT ?node WHERE { ?node a qb:DataSet .
          OPTIONAL { ?node qb:structure ?dsd . ?dsd a qb:DataStructureDefinition } }
        GROUP BY ?node HAVING (COUNT(DISTINCT ?dsd) != 1)""",
    ),
    "IC-3": (
        "every structure definition includes a measure",
        """
        SELECT ?node WHERE { ?node a qb:DataStructureDefinition .
          FILTER NOT EXISTS { ?node qb:component/qb:componentProperty ?m . ?m a qb:MeasureProperty } }""",
    ),
    "IC-4": (
        "every dimension has a range",
        """
        SELECT ?node WHERE { ?node a qb:DimensionProperty . FILTER NOT EXISTS { ?node rdfs:range [] } }""",
    ),
    "IC-5": (
        "every dimension ranging over concepts has a code list",
        """
        SELECT ?node WHERE { ?node a qb:DimensionProperty ; rdfs:range skos:Concept .
          FILTER NOT EXISTS { ?node qb:codeList [] } }""",
    ),
    "IC-6": (
        "only attributes may be optional",
        """
        SELECT ?node WHERE { ?dsd qb:component ?node . ?node qb:componentProperty ?p ; qb:componentRequired false .
          FILTER NOT EXISTS { ?p a qb:AttributeProperty } }""",
    ),
    "IC-7": (
        "every slice key belongs to a structure definition",
        """
        SELECT ?node WHERE { ?node a qb:SliceKey .
          FILTER NOT EXISTS { ?dsd a qb:DataStructureDefinition ; qb:sliceKey ?node } }""",
    ),
    "IC-8": (
        "slice key components are components of the structure",
        """
        SELECT ?node WHERE { ?node a qb:SliceKey ; qb:componentProperty ?p . ?dsd qb:sliceKey ?node .
          FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty ?p } }""",
    ),
    "IC-9": (
        "every slice has exactly one slice structure",
        """
        SELECT ?node WHERE { ?node a qb:Slice . OPTIONAL { ?node qb:sliceStructure ?key } }
        GROUP BY ?node HAVING (COUNT(DISTINCT ?key) != 1)""",
    ),
    "IC-10": (
        "every slice has a value for each dimension of its key",
        """
        SELECT ?node WHERE { ?node qb:sliceStructure/qb:componentProperty ?dim .
          FILTER NOT EXISTS { ?node ?dim [] } }""",
    ),
    "IC-11": (
        "every observation has a value for each dimension",
        """
        SELECT ?node WHERE { ?node qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
          ?dim a qb:DimensionProperty . FILTER NOT EXISTS { ?node ?dim [] } }""",
    ),
    "IC-13": (
        "every observation has each required attribute",
        """
        SELECT ?node WHERE { ?node qb:dataSet/qb:structure/qb:component ?spec .
          ?spec qb:componentRequired true ; qb:componentProperty ?attr . ?attr a qb:AttributeProperty .
          FILTER NOT EXISTS { ?node ?attr [] } }""",
    ),
    "IC-14": (
        "without a measure dimension, every observation has every measure",
        """
        SELECT ?node WHERE { ?node qb:dataSet/qb:structure ?dsd .
          FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty qb:measureType }
          ?dsd qb:component/qb:componentProperty ?m . ?m a qb:MeasureProperty .
          FILTER NOT EXISTS { ?node ?m [] } }""",
    ),
    "IC-15": (
        "with a measure dimension, an observation has a value for its measure",
        """
        SELECT ?node WHERE { ?node qb:dataSet/qb:structure ?dsd ; qb:measureType ?m .
          ?dsd qb:component/qb:componentProperty qb:measureType . FILTER NOT EXISTS { ?node ?m [] } }""",
    ),
    "IC-16": (
        "with a measure dimension, an observation has no other measure",
        """
        SELECT ?node WHERE { ?node qb:dataSet/qb:structure ?dsd ; qb:measureType ?m ; ?other [] .
          ?dsd qb:component/qb:componentProperty qb:measureType , ?other . ?other a qb:MeasureProperty .
          FILTER (?other != ?m) }""",
    ),
    "IC-18": (
        "observations of a slice belong to the slice's data set",
        """
        SELECT ?node WHERE { ?ds qb:slice ?slice . ?slice qb:observation ?node .
          FILTER NOT EXISTS { ?node qb:dataSet ?ds } }""",
    ),
    "IC-19": (
        "every coded dimension value is in its code list",
        """
        SELECT ?node WHERE {
          { ?dim qb:codeList ?list . ?list a skos:ConceptScheme . ?obs ?dim ?node .
            FILTER NOT EXISTS { ?node a skos:Concept ; skos:inScheme ?list } }
          UNION
          { ?dim qb:codeList ?list . ?list a skos:Collection . ?obs ?dim ?node .
            FILTER NOT EXISTS { ?list skos:member|(skos:memberList/rdf:rest*/rdf:first) ?node } }
          ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim . ?dim a qb:DimensionProperty }""",
    ),
}


@dataclass(frozen=True)
class Violation:
    constraint: str
    meaning: str
    node: str


def store_of(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def check(graph: Graph) -> list[Violation]:
    """Normalise a copy of the graph and list every violation of IC-1 … IC-21."""
    store = store_of(graph)
    for update in NORMALISE:
        store.update(PREFIXES + update)
    found = [
        Violation(ic, meaning, str(row["node"].value))
        for ic, (meaning, query) in CONSTRAINTS.items()
        for row in store.query(PREFIXES + query)  # type: ignore[union-attr]
    ]
    found += _duplicates(store) + _measures_complete(store) + _hierarchies(store)
    return sorted(found, key=lambda v: (int(v.constraint[3:]), v.node))


def _select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(PREFIXES + query)
    return [tuple(str(term.value) for term in row) for row in result]  # type: ignore[union-attr]


def _dimension_values(store: ox.Store) -> dict[tuple[str, str], dict[str, str]]:
    """(data set, observation) → {dimension: value}."""
    rows = _select(
        store,
        """
        SELECT ?ds ?obs ?dim ?v WHERE { ?obs qb:dataSet ?ds . ?ds qb:structure/qb:component/qb:componentProperty ?dim .
          ?dim a qb:DimensionProperty . ?obs ?dim ?v }""",
    )
    values: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for ds, obs, dim, v in rows:
        values[(ds, obs)][dim] = v
    return values


def _duplicates(store: ox.Store) -> list[Violation]:
    """IC-12: no two observations of a data set have the same value for every dimension."""
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = defaultdict(list)
    for (ds, obs), dims in _dimension_values(store).items():
        groups[(ds, tuple(sorted(dims.items())))].append(obs)
    meaning = "no two observations have the same dimension values"
    return [Violation("IC-12", meaning, obs) for group in groups.values() if len(group) > 1 for obs in sorted(group)]


def _measures_complete(store: ox.Store) -> list[Violation]:
    """IC-17: with a measure dimension, each combination of the other dimensions has every measure."""
    measures: dict[str, set[str]] = defaultdict(set)
    for ds, m in _select(
        store,
        """
        SELECT ?ds ?m WHERE { ?ds qb:structure ?dsd . ?dsd qb:component/qb:componentProperty qb:measureType ;
          qb:component/qb:componentProperty ?m . ?m a qb:MeasureProperty }""",
    ):
        measures[ds].add(m)
    measure_type = str(QB.measureType)
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, str]] = defaultdict(dict)
    for (ds, obs), dims in _dimension_values(store).items():
        if ds in measures and measure_type in dims:
            key = tuple(sorted((d, v) for d, v in dims.items() if d != measure_type))
            groups[(ds, key)][obs] = dims[measure_type]
    meaning = "with a measure dimension, every measure is present for each combination of other dimensions"
    return [
        Violation("IC-17", meaning, obs)
        for (ds, _), members in groups.items()
        if set(members.values()) != measures[ds]
        for obs in sorted(members)
    ]


def _hierarchies(store: ox.Store) -> list[Violation]:
    """IC-20/21: values of a dimension with a hierarchical code list are reachable from its roots,
    down its parent–child property (IC-20) or up the property it is the inverse of (IC-21)."""
    found: list[Violation] = []
    lists = store.query(
        PREFIXES
        + """
        SELECT DISTINCT ?dim ?list ?pcp ?inverse WHERE { ?dim qb:codeList ?list .
          ?list a qb:HierarchicalCodeList ; qb:parentChildProperty ?pcp .
          OPTIONAL { ?pcp <http://www.w3.org/2002/07/owl#inverseOf> ?inverse } }"""
    )
    for row in list(lists):  # type: ignore[arg-type]
        dim, hlist, pcp, inverse = row["dim"], row["list"], row["pcp"], row["inverse"]
        if isinstance(pcp, ox.NamedNode):
            ic, path = "IC-20", f"<{pcp.value}>*"
        elif inverse is not None:
            ic, path = "IC-21", f"^<{inverse.value}>*"
        else:
            continue
        rows = _select(
            store,
            f"""
            SELECT ?node WHERE {{ ?obs <{dim.value}> ?node .
              FILTER NOT EXISTS {{ <{hlist.value}> qb:hierarchyRoot/{path} ?node }} }}""",
        )
        found += [Violation(ic, "every value of a hierarchical dimension is reachable from a root", r[0]) for r in rows]
    return found
