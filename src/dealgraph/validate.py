"""SHACL shapes → readable violations, checked on the asserted data before reasoning.

Validation runs in memory on one union graph (pySHACL is fastest on rdflib's own
store, and a fact may rely on a label stated in another graph), without inference:
the shapes themselves target deals by the properties they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, Dataset, Graph, Namespace
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One way the data breaks a shape: which resource, which property, what is wrong."""

    focus: Node
    path: Node | None
    value: Node | None
    message: str
    severity: str
    graphs: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" (in {', '.join(self.graphs)})" if self.graphs else ""
        path = f" {self.path.n3()}" if self.path is not None and not isinstance(self.path, Graph) else ""
        value = f" = {self.value.n3()}" if self.value is not None else ""
        return f"{self.severity}: {self.focus.n3()}{path}{value}: {self.message}{where}"


class ValidationError(ValueError):
    """The data breaks the shapes; carries every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{len(violations)} SHACL violation(s):\n{lines}")


def union_graph(dataset: Dataset) -> Graph:
    """All of *dataset*'s triples in one in-memory graph."""
    union = Graph()
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
    shapes_graph = shapes if isinstance(shapes, Graph) else Graph().parse(shapes)
    conforms, report, _ = shacl_validate(
        union_graph(dataset), shacl_graph=shapes_graph, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        violations.append(
            Violation(
                focus=focus,
                path=report.value(result, SH.resultPath),
                value=report.value(result, SH.value),
                message=str(report.value(result, SH.resultMessage) or "violates a shape"),
                severity=severity.split("#")[-1] if severity else "Violation",
                graphs=_graphs_mentioning(dataset, focus),
            )
        )
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return sorted(violations, key=lambda v: (order.get(v.severity, 3), str(v.focus), str(v.path)))


def require_valid(dataset: Dataset, shapes: Path | Graph) -> None:
    """Raise ValidationError when *dataset* has any violation (warnings pass)."""
    errors = [v for v in check(dataset, shapes) if v.severity == "Violation"]
    if errors:
        raise ValidationError(errors)
