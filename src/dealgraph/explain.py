"""Why a triple holds: ``dealgraph why S P O``.

An asserted triple names its graphs. A derived one is explained when asked, whichever
engine derived it, by matching against the store, with the triple's terms bound, the
rules that can conclude it: the domain rules (:func:`dealgraph.rules.firings_concluding`:
every firing, each with its premises), else the rules of the OWL 2 RL/RDF table (W3C
OWL 2 Profiles, section 4.3), of which the first solution of each rule that holds
gives its premises. Nothing about derivations is stored, so nothing goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.term import Node

from .rules import DOMAIN_RULES, firings_concluding
from .store import OxigraphStore
from .vocab import DERIVED_GRAPHS, INFERRED_GRAPH, PREFIXES

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class OwlRule:
    """One OWL 2 RL rule that can conclude ``?S ?P ?O``: its name, when it applies, its premises."""

    name: str
    says: str
    premises: tuple[tuple[str, str, str], ...]
    #: The predicate of the conclusion, when the rule only concludes one.
    predicate: URIRef | None = None
    condition: str = ""

    def query(self) -> str:
        patterns = " . ".join(" ".join(t) for t in self.premises)
        return f"SELECT * WHERE {{ {patterns} . {self.condition} }} LIMIT 1"


_T, _SC, _SP = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf

#: The OWL 2 RL/RDF rules, as premises over ``?S ?P ?O`` (the triple to explain).
OWL_RL_RULES = [
    OwlRule("prp-dom", "the domain of a property", (("?p", "rdfs:domain", "?O"), ("?S", "?p", "?y")), _T),
    OwlRule("prp-rng", "the range of a property", (("?p", "rdfs:range", "?O"), ("?x", "?p", "?S")), _T),
    OwlRule("cax-sco", "a subclass's instance", (("?c", "rdfs:subClassOf", "?O"), ("?S", "a", "?c")), _T),
    OwlRule("cax-eqc1", "an equivalent class", (("?c", "owl:equivalentClass", "?O"), ("?S", "a", "?c")), _T),
    OwlRule("cax-eqc2", "an equivalent class", (("?O", "owl:equivalentClass", "?c"), ("?S", "a", "?c")), _T),
    OwlRule(
        "cls-hv1",
        "a hasValue restriction",
        (("?O", "owl:hasValue", "?v"), ("?O", "owl:onProperty", "?p"), ("?S", "?p", "?v")),
        _T,
    ),
    OwlRule(
        "cls-svf1",
        "a someValuesFrom restriction",
        (("?O", "owl:someValuesFrom", "?y"), ("?O", "owl:onProperty", "?p"), ("?S", "?p", "?v"), ("?v", "a", "?y")),
        _T,
    ),
    OwlRule(
        "cls-avf",
        "an allValuesFrom restriction",
        (("?c", "owl:allValuesFrom", "?O"), ("?c", "owl:onProperty", "?p"), ("?x", "a", "?c"), ("?x", "?p", "?S")),
        _T,
    ),
    OwlRule("prp-spo1", "a sub-property", (("?q", "rdfs:subPropertyOf", "?P"), ("?S", "?q", "?O"))),
    OwlRule("prp-eqp1", "an equivalent property", (("?q", "owl:equivalentProperty", "?P"), ("?S", "?q", "?O"))),
    OwlRule("prp-eqp2", "an equivalent property", (("?P", "owl:equivalentProperty", "?q"), ("?S", "?q", "?O"))),
    OwlRule("prp-inv1", "an inverse property", (("?P", "owl:inverseOf", "?q"), ("?O", "?q", "?S"))),
    OwlRule("prp-inv2", "an inverse property", (("?q", "owl:inverseOf", "?P"), ("?O", "?q", "?S"))),
    OwlRule("prp-symp", "a symmetric property", (("?P", "a", "owl:SymmetricProperty"), ("?O", "?P", "?S"))),
    OwlRule(
        "prp-trp",
        "a transitive property",
        (("?P", "a", "owl:TransitiveProperty"), ("?S", "?P", "?m"), ("?m", "?P", "?O")),
        condition="FILTER(?m != ?S && ?m != ?O)",
    ),
    OwlRule(
        "cls-hv2",
        "a hasValue restriction",
        (("?c", "owl:hasValue", "?O"), ("?c", "owl:onProperty", "?P"), ("?S", "a", "?c")),
    ),
    OwlRule("eq-sym", "sameAs is symmetric", (("?O", "owl:sameAs", "?S"),), OWL.sameAs),
    OwlRule(
        "eq-trans",
        "sameAs is transitive",
        (("?S", "owl:sameAs", "?m"), ("?m", "owl:sameAs", "?O")),
        OWL.sameAs,
        "FILTER(?m != ?S && ?m != ?O)",
    ),
    OwlRule(
        "prp-fp",
        "a functional property",
        (("?p", "a", "owl:FunctionalProperty"), ("?x", "?p", "?S"), ("?x", "?p", "?O")),
        OWL.sameAs,
        "FILTER(?S != ?O)",
    ),
    OwlRule(
        "prp-ifp",
        "an inverse-functional property",
        (("?p", "a", "owl:InverseFunctionalProperty"), ("?S", "?p", "?v"), ("?O", "?p", "?v")),
        OWL.sameAs,
        "FILTER(?S != ?O)",
    ),
    OwlRule(
        "eq-rep-s",
        "the same individual",
        (("?x", "owl:sameAs", "?S"), ("?x", "?P", "?O")),
        condition="FILTER(?x != ?S)",
    ),
    OwlRule(
        "eq-rep-o",
        "the same individual",
        (("?x", "owl:sameAs", "?O"), ("?S", "?P", "?x")),
        condition="FILTER(?x != ?O)",
    ),
    OwlRule(
        "scm-sco",
        "subclasses chain",
        (("?S", "rdfs:subClassOf", "?m"), ("?m", "rdfs:subClassOf", "?O")),
        _SC,
        "FILTER(?m != ?S && ?m != ?O)",
    ),
    OwlRule("scm-eqc1", "equivalent classes", (("?S", "owl:equivalentClass", "?O"),), _SC),
    OwlRule("scm-eqc1", "equivalent classes", (("?O", "owl:equivalentClass", "?S"),), _SC),
    OwlRule(
        "scm-spo",
        "sub-properties chain",
        (("?S", "rdfs:subPropertyOf", "?m"), ("?m", "rdfs:subPropertyOf", "?O")),
        _SP,
        "FILTER(?m != ?S && ?m != ?O)",
    ),
    OwlRule("scm-eqp1", "equivalent properties", (("?S", "owl:equivalentProperty", "?O"),), _SP),
    OwlRule("scm-eqp1", "equivalent properties", (("?O", "owl:equivalentProperty", "?S"),), _SP),
    OwlRule(
        "scm-dom1", "a domain's superclass", (("?S", "rdfs:domain", "?c"), ("?c", "rdfs:subClassOf", "?O")), RDFS.domain
    ),
    OwlRule(
        "scm-dom2",
        "a super-property's domain",
        (("?q", "rdfs:domain", "?O"), ("?S", "rdfs:subPropertyOf", "?q")),
        RDFS.domain,
    ),
    OwlRule(
        "scm-rng1", "a range's superclass", (("?S", "rdfs:range", "?c"), ("?c", "rdfs:subClassOf", "?O")), RDFS.range
    ),
    OwlRule(
        "scm-rng2",
        "a super-property's range",
        (("?q", "rdfs:range", "?O"), ("?S", "rdfs:subPropertyOf", "?q")),
        RDFS.range,
    ),
]


@dataclass
class Reason:
    """One way a triple holds: asserted in graphs, or a rule with its premises (each with where it is)."""

    kind: str  # "asserted", "domain rule", "OWL 2 RL"
    rule: str = ""
    says: str = ""
    graphs: list[str] = field(default_factory=list)
    premises: list[tuple[Triple, list[str]]] = field(default_factory=list)


def graphs_of(store: OxigraphStore, triple: Triple) -> list[str]:
    """The graphs that hold *triple*."""
    rows = store.query(
        "SELECT DISTINCT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", bindings=dict(zip("spo", triple, strict=True))
    )
    return sorted(str(row["g"]) for row in rows.rows())


def why(store: OxigraphStore, triple: Triple) -> list[Reason]:
    """Every reason found for *triple*: asserted graphs, the domain rules or else OWL 2 RL rules that conclude it."""
    reasons = []
    graphs = graphs_of(store, triple)
    asserted = [g for g in graphs if URIRef(g) not in DERIVED_GRAPHS]
    if asserted:
        reasons.append(Reason("asserted", graphs=asserted))
    if str(INFERRED_GRAPH) not in graphs:
        return reasons
    select = lambda sparql: store.query(sparql).rows()  # noqa: E731
    by_rule = firings_concluding(DOMAIN_RULES, [triple], select).get(triple, [])
    for firing in by_rule:
        premises = [(premise, graphs_of(store, premise)) for premise in firing.premises]
        reasons.append(Reason("domain rule", rule=firing.rule.name, premises=premises))
    if not by_rule:
        reasons += owl_reasons(store, triple)
    return reasons


def owl_reasons(store: OxigraphStore, triple: Triple) -> list[Reason]:
    """The OWL 2 RL rules whose premises hold in *store* and conclude *triple*."""
    found = []
    for rule in OWL_RL_RULES:
        if rule.predicate is not None and rule.predicate != triple[1]:
            continue
        bindings = dict(zip("SPO", triple, strict=True))
        solution = next(store.query(rule.query(), bindings=bindings).rows(), None)
        if solution is None:
            continue
        values = {**solution, **bindings}
        premises = []
        for template in rule.premises:
            premise = tuple(_term(part, values) for part in template)
            premises.append((premise, graphs_of(store, premise)))
        found.append(Reason("OWL 2 RL", rule=rule.name, says=rule.says, premises=premises))
    return found


def _term(part: str, values: dict[str, Node]) -> Node:
    if part.startswith("?"):
        return values[part[1:]]
    if part == "a":
        return RDF.type
    prefix, local = part.split(":", 1)
    return URIRef(PREFIXES[prefix] + local)


def parse_term(text: str) -> Node:
    """A term as a user types it: ``<iri>``, ``http…``, ``prefix:name`` (dealgraph's prefixes), ``"literal"``."""
    from rdflib import Graph
    from rdflib.util import from_n3

    if text.startswith(("http://", "https://", "urn:")):
        return URIRef(text)
    if text == "a":
        return RDF.type
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    term = from_n3(text, nsm=graph.namespace_manager)
    if term is None or isinstance(term, str) and not isinstance(term, Node):
        raise ValueError(f"not an RDF term: {text!r}")
    return term


def render(triple: Triple, reasons: list[Reason]) -> str:
    """*reasons* as text for a terminal, prefixed names where dealgraph has a prefix."""
    from rdflib import Graph

    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    show = lambda t: " ".join(term.n3(graph.namespace_manager) for term in t)  # noqa: E731
    short = lambda graphs: ", ".join(g.rsplit("/", 1)[-1] for g in graphs) or "nowhere"  # noqa: E731
    lines = [show(triple)]
    if not reasons:
        lines.append("  does not hold in this dataset")
    for reason in reasons:
        if reason.kind == "asserted":
            lines.append(f"  asserted in {short(reason.graphs)}")
            continue
        says = f" ({reason.says})" if reason.says else ""
        kind = reason.kind if reason.kind.endswith("rule") else f"{reason.kind} rule"
        lines.append(f"  derived by the {kind} {reason.rule}{says}")
        for premise, graphs in reason.premises:
            lines.append(f"    from {show(premise)}   [{short(graphs)}]")
    return "\n".join(lines)
