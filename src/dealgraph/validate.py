"""SHACL shapes → readable violations, checked on the asserted data before reasoning.

Validation runs in memory on one union graph (pySHACL is fastest on rdflib's own
store, and a fact may rely on a label stated in another graph), without inference:
the shapes themselves target deals by the properties they use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import OWL, RDF, RDFS, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from .store import to_rdflib

SH = Namespace("http://www.w3.org/ns/shacl#")

# rdflib logs a warning with a traceback for every ill-typed literal ("2008-02-30"^^xsd:date);
# the shapes report those literals as violations, naming the resource, so the traceback only confuses.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)


@lru_cache(maxsize=64)
def _prepared(text: str, namespaces: frozenset) -> Query:
    return prepareQuery(text, initNs=dict(namespaces))


class DataGraph(Graph):
    """An in-memory rdflib graph for pySHACL to validate, which parses each SPARQL text once.

    pySHACL runs a shape's SPARQL (``sh:sparql`` constraints, SPARQL targets) once per
    focus node, and rdflib parses the text each time: about 60 ms for the Wikidata link
    constraint, most of a write's validation on the seed.
    """

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, *args, **kwargs):  # noqa: N803
        if isinstance(query_object, str) and processor == "sparql":
            namespaces = dict(self.namespaces()) if initNs is None else initNs
            query_object = _prepared(query_object, frozenset(namespaces.items()))
        return super().query(query_object, processor, result, initNs, *args, **kwargs)


@dataclass(frozen=True)
class Violation:
    """One way the data breaks a shape: which resource, which property, what is wrong."""

    focus: Node
    path: Node | None
    value: Node | None
    message: str
    severity: str
    graphs: tuple[str, ...] = ()
    #: The file and line that first write the resource, when the data came from files.
    file: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f" (in {', '.join(self.graphs)})" if self.graphs else ""
        path = f" {self.path.n3()}" if self.path is not None and not isinstance(self.path, Graph) else ""
        value = f" = {self.value.n3()}" if self.value is not None else ""
        located = f"{self.file}:{self.line}: " if self.file is not None else ""
        return f"{located}{self.severity}: {self.focus.n3()}{path}{value}: {self.message}{where}"


class ValidationError(ValueError):
    """The data breaks the shapes; carries every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{len(violations)} SHACL violation(s):\n{lines}")


def union_graph(dataset: Dataset) -> Graph:
    """All of *dataset*'s triples in one in-memory graph."""
    union = DataGraph()
    for prefix, namespace in dataset.namespaces():
        union.bind(prefix, namespace, override=False)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _graphs_mentioning(dataset: Dataset, resource: Node) -> tuple[str, ...]:
    names = {str(g) for _, _, _, g in dataset.quads((resource, None, None, None)) if g is not None}
    return tuple(sorted(names))


def check(dataset: Dataset, shapes: Path | Graph) -> list[Violation]:
    """Every violation of *shapes* by the asserted triples of *dataset*, worst first."""
    return check_graph(union_graph(dataset), shapes, lambda focus: _graphs_mentioning(dataset, focus))


def check_graph(
    union: Graph,
    shapes: Path | Graph,
    graphs_of: Callable[[Node], tuple[str, ...]] = lambda focus: (),
) -> list[Violation]:
    """Every violation of *shapes* by the triples of *union*, worst first; *graphs_of* names
    the graphs that state a resource. *union* is validated in place (pySHACL's copy of it
    costs as much as the validation), so it must be a graph of the caller's own. Blank
    nodes skolemized in *union* (:func:`skolem`) are named unskolemized in the violations.
    """
    return _violations_of(union, _for_pyshacl(shapes), graphs_of)


def _violations_of(union: Graph, shapes: Graph, graphs_of: Callable[[Node], tuple[str, ...]]) -> list[Violation]:
    """:func:`check_graph` with *shapes* ready for pySHACL (:func:`batched`)."""
    conforms, report, _ = shacl_validate(
        union,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    if conforms:
        return []
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        focus_node = unskolem(report.value(result, SH.focusNode))
        violations.append(
            Violation(
                focus=focus_node,
                path=report.value(result, SH.resultPath),
                value=unskolem(report.value(result, SH.value)),
                message=str(report.value(result, SH.resultMessage) or "violates a shape"),
                severity=severity.split("#")[-1] if severity else "Violation",
                graphs=graphs_of(focus_node),
            )
        )
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return sorted(violations, key=lambda v: (order.get(v.severity, 3), str(v.focus), str(v.path)))


#: The ways a shape names its focus nodes (SHACL 2.1, and SHACL-AF's ``sh:target``).
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def batched(shapes: Graph) -> Graph:
    """*shapes* with the property shapes of each top-level node shape made top-level too, with its targets.

    pySHACL checks a property shape nested under ``sh:property`` once per focus node,
    reading the shape's constraints from the shapes graph each time, but one with
    targets of its own once for all its focus nodes. The results are the same (focus
    node, path, value, message, severity); the time is not: on the 100 k bench graph,
    16.5 s nested, 6.6 s so. Left as they are: a node shape that another shape refers
    to (``sh:node``, ``sh:or``, …), which must keep its properties there, one whose
    property shapes it reads itself (``sh:closed`` allows their paths,
    ``sh:qualifiedValueShapesDisjoint`` compares siblings) or that is deactivated; and a
    property shape that is not a blank node of that one shape's. *shapes* itself is not
    changed.
    """
    copy = Graph()
    for prefix, namespace in shapes.namespaces():
        copy.bind(prefix, namespace, override=False)
    copy += shapes
    for node, prop in shapes.subject_objects(SH.property):  # read there, changed in the copy
        targets = [(p, o) for p in _TARGETS for o in shapes.objects(node, p)]
        if (node, RDF.type, RDFS.Class) in shapes or (node, RDF.type, OWL.Class) in shapes:
            targets.append((SH.targetClass, node))  # an implicit class target
        referred = next(shapes.subjects(None, node), None) is not None
        own = isinstance(prop, BNode) and sum(1 for _ in shapes.subjects(None, prop)) == 1
        if not targets or referred or not own or _keeps_its_properties(shapes, node):
            continue
        copy.remove((node, SH.property, prop))
        for predicate, target in targets:
            copy.add((prop, predicate, target))
    return copy


def _keeps_its_properties(shapes: Graph, node: Node) -> bool:
    """True for a deactivated node shape, or one that reads its property shapes itself."""
    flags = [(node, SH.deactivated), (node, SH.closed)]
    flags += [(sibling, SH.qualifiedValueShapesDisjoint) for sibling in shapes.objects(node, SH.property)]
    return any((shape, flag, Literal(True)) in shapes for shape, flag in flags)


def _for_pyshacl(shapes: Path | Graph) -> Graph:
    """*shapes* :func:`batched`; a file is read once, not at every write's validation."""
    return batched(shapes) if isinstance(shapes, Graph) else _batched_file(shapes, shapes.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _batched_file(path: Path, modified: int) -> Graph:
    return batched(Graph().parse(path))


def check_nodes(
    store, shapes: Path | Graph, focus: Iterable[Node], skip_graphs: Iterable[Node] = ()
) -> list[Violation]:
    """The violations of *shapes* by the *focus* nodes of *store* (worst first), read from their surroundings.

    The nodes are validated over what a shape can read of them (:func:`neighbourhood`),
    not over the whole dataset, and the violations of other nodes in it, whose
    surroundings it holds only in part, are dropped. Not pySHACL's focus-node mode: it
    still looks for every shape's targets in the whole graph (3 s a write at 100 k
    triples), and it skips the shapes nested in ``sh:or`` (a month 13 passed). The
    graphs *skip_graphs* are not read (those reasoning derives).
    """
    focus = set(focus)
    read = _for_pyshacl(shapes)
    pointing = None if (None, SH.inversePath, None) in read else set(read.objects(None, SH.targetObjectsOf))
    graph = neighbourhood(store, focus, skip_graphs, pointing)
    return [v for v in _violations_of(graph, read, store.graphs_stating) if v.focus in focus]


def neighbourhood(
    store, focus: Iterable[Node], skip_graphs: Iterable[Node] = (), pointing: set[Node] | None = None
) -> Graph:
    """What the shapes can read about the *focus* nodes of *store*, as one graph (blank nodes skolemized).

    A node's own triples; those of its values (their types, and the evidence that a
    Wikidata link's SPARQL constraint reads one step further); the triples pointing at
    it by a property in *pointing* (those of ``sh:targetObjectsOf``; ``None``: all of
    them, as an ``sh:inversePath`` reads); and the class hierarchy (``sh:class``,
    ``sh:targetClass``). dealgraph's shapes read nothing further, so a node validated
    over this graph has the violations it has in the whole dataset
    (tests/test_validation.py compares them). The other triples pointing at a node
    would only bring nodes whose violations are dropped: on the 100 k bench graph, a
    deal citing the source that 6,250 pieces of evidence cite took 15 s to write,
    against 3–4 s so.
    """
    skipped = {URIRef(g) for g in skip_graphs}
    graph = DataGraph()

    def add(quads: Iterable[tuple[Node, Node, Node, Node]]) -> list[Node]:
        values = []
        for s, p, o, g in quads:
            if g not in skipped:
                graph.add((skolem(s), p, skolem(o)))
                values.append(o)
        return values

    for node in focus:
        for value in add(store.quads(subject=node)):
            if not isinstance(value, Literal):
                add(store.quads(subject=value))
        if pointing is None:
            add(store.quads(object=node))
        for predicate in pointing or ():
            add(store.quads(predicate=predicate, object=node))
    add(store.quads(predicate=RDFS.subClassOf))
    return graph


def skolem(term: Node) -> Node:
    """A blank node as an IRI (rdflib's well-known ``genid`` form, from its id), anything else as it is."""
    return term.skolemize() if isinstance(term, BNode) else term


def unskolem(term: Node | None) -> Node | None:
    """The blank node a :func:`skolem` IRI stands for, anything else as it is."""
    if isinstance(term, URIRef) and str.startswith(term, _GENID):
        return BNode(term[len(_GENID) :])
    return term


_GENID = str(BNode("x").skolemize()).rsplit("/", 1)[0] + "/"


def require_valid(
    union: Graph, shapes: Path | Graph, graphs_of: Callable[[Node], tuple[str, ...]] = lambda focus: ()
) -> None:
    """Raise ValidationError when *union* has any violation (warnings pass); *graphs_of* names a resource's graphs."""
    errors = [v for v in check_graph(union, shapes, graphs_of) if v.severity == "Violation"]
    if errors:
        raise ValidationError(errors)


_SPARQL_IRI = re.compile(r"<([^<>\s]+)>|\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)")


def _named_in(shapes: Graph) -> set[URIRef]:
    """Every IRI the shapes name (not SHACL's own terms): as a subject or object of their
    triples (paths, targets, classes, values) and in the text of their SPARQL constraints."""
    own = str(SH)
    named = {t for s, _, o in shapes for t in (s, o) if isinstance(t, URIRef) and not str.startswith(t, own)}
    prefixes = {prefix: str(namespace) for prefix, namespace in shapes.namespaces()}
    for text in (*shapes.objects(None, SH.select), *shapes.objects(None, SH.ask)):
        for iri, prefix, local in _SPARQL_IRI.findall(str(text)):
            if iri:
                named.add(URIRef(iri))
            elif prefix in prefixes:
                named.add(URIRef(prefixes[prefix] + local))
    return named


def shapes_view(store, shapes: Path | Graph, skip_graphs: Iterable[Node] = ()) -> Graph:
    """The triples of *store* that *shapes* can read, as one graph: pySHACL's input, made small.

    A shape reads only triples whose predicate it names (paths, targets, the text of
    its SPARQL constraints), the ``rdf:type`` triples of classes it names or their
    subclasses, and the class hierarchy. On a graph that is mostly not about deals
    (LUBM, a Wikidata dump) that is a small part; validating it gives the same
    violations as validating everything. A shapes graph with ``sh:closed`` reads every
    property of its focus nodes, so it gets every triple. *skip_graphs* are left out.
    One graph, not a dataset of graphs: the union pySHACL validates would be a second copy
    (validating the 820 k such triples of the 1 M bench graph, the serving process tree
    peaked at 2.8 GB with both copies, 2.1 GB with one, before the terms were shared).
    """
    shapes_graph = shapes if isinstance(shapes, Graph) else Graph().parse(shapes)
    skip = " ".join(g.n3() for g in skip_graphs)
    keep = f"FILTER(?g NOT IN ({', '.join(g.n3() for g in skip_graphs)}))" if skip else ""
    view = DataGraph()
    if (None, SH.closed, Literal(True)) in shapes_graph:
        queries = [f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {keep} }}"]
    else:
        named = _named_in(shapes_graph) | {RDFS.subClassOf}
        values = " ".join(term.n3() for term in sorted(named))
        queries = [
            f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?p {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} {keep} }}",
            f"""SELECT ?s ?p ?o ?g WHERE {{
                  {{ SELECT DISTINCT ?o WHERE {{ VALUES ?named {{ {values} }} ?o rdfs:subClassOf* ?named }} }}
                  BIND(rdf:type AS ?p) GRAPH ?g {{ ?s ?p ?o }} {keep} }}""",
        ]
    # One rdflib object per term, made once from Oxigraph's: each row brings new ones, and
    # rdflib's indexes keep whichever they are given (1,438 → 1,131 MB for those 820 k
    # triples, the validation's peak 1,960 → 1,621), and making an rdflib term (a literal
    # parses its value) was most of the time (100 k bench graph: 3.8 → 2.4 s).
    terms: dict = {}

    def term(value) -> Node:
        made = terms.get(value)
        if made is None:
            made = terms[value] = to_rdflib(value)
        return made

    for query in queries:
        for solution in store.query(query).raw:
            view.add((term(solution["s"]), term(solution["p"]), term(solution["o"])))
    return view
