"""Asserted facts → the inferred graph: owlrl's OWL 2 RL closure plus the domain rules.

The two alternate until neither adds anything, because each feeds the other (a rule
derives ``dg:owns``; OWL then derives ``dg:ownedBy`` and ``dg:controls``). What
users see is kept clean: reflexive ``owl:sameAs``, statements about the RDF/OWL
vocabulary itself and owlrl's literal-subject triples are dropped. Every triple a
domain rule adds gets a ``dg:Explanation`` (rule and premises) in its own graph.

Links to Wikidata are identity links, not merges (docs/MODEL.md, "owl:sameAs"): the
closure keeps ``owl:sameAs`` itself (symmetric and transitive, so ``wd:Q… owl:sameAs
?org`` answers) but not OWL 2 RL's copies (eq-rep-s/p/o) of a dealgraph
organization's facts onto the Wikidata IRI it is linked to, which would double every
row that lists organizations. The Wikidata snapshot graph is data from another source
in its own terms, to which the ontology does not apply: reasoning does not read it.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import owlrl
from rdflib import OWL, RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.term import Node

from .rules import DOMAIN_RULES, Rule, constants, instantiate
from .store import OxigraphStore
from .vocab import DG, EXPLANATIONS_GRAPH, ID, INFERRED_GRAPH, WIKIDATA_GRAPH

Triple = tuple[Node, Node, Node]
_ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
_ERROR_TEXT = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
_VOCABULARY = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
#: Graphs reasoning neither reads nor writes to: its own output, and the Wikidata snapshot.
_NOT_REASONED_OVER = (INFERRED_GRAPH, EXPLANATIONS_GRAPH, WIKIDATA_GRAPH)
_REFLEXIVE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}


class InconsistencyError(ValueError):
    """OWL 2 RL found the data contradicting the ontology; carries owlrl's messages."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("the data is inconsistent with the ontology:\n" + "\n".join(f"  {m}" for m in messages))


@dataclass
class ReasoningReport:
    """What reasoning did: triples added by each engine, rounds, and seconds spent."""

    owl_triples: int = 0
    rule_triples: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0

    @property
    def inferred(self) -> int:
        return self.owl_triples + sum(self.rule_triples.values())


def is_trivial(triple: Triple) -> bool:
    """True for entailments that tell a user nothing (and that other engines refuse)."""
    s, p, o = triple
    if isinstance(s, Literal):
        return True
    if p in _REFLEXIVE and s == o:
        return True
    if str(s).startswith(_VOCABULARY):
        return True
    return o in (OWL.Thing, RDFS.Resource)


def external_identifiers(triples: Iterable[Triple]) -> set[Node]:
    """IRIs outside dealgraph's namespace that a dealgraph resource is ``owl:sameAs`` (Wikidata items)."""
    found = set()
    for s, p, o in triples:
        if p == OWL.sameAs and isinstance(s, URIRef) and isinstance(o, URIRef):
            inside_s, inside_o = str(s).startswith(str(ID)), str(o).startswith(str(ID))
            if inside_s != inside_o:
                found.add(o if inside_s else s)
    return found


def is_copy_onto_link(triple: Triple, external: set[Node]) -> bool:
    """True for OWL 2 RL's copy of a fact onto an external identifier (eq-rep-s/o), not the link itself."""
    s, p, o = triple
    return p != OWL.sameAs and (s in external or o in external)


def owl_closure(triples: Iterable[Triple]) -> set[Triple]:
    """The OWL 2 RL entailments of *triples* that are new, not trivial, and not copies onto links.

    owlrl runs over a Dataset whose default graph is the union, writing into a
    separate graph: measured here, that is the form that yields every entailment.
    """
    dataset = Dataset(default_union=True)
    base = dataset.graph(URIRef("urn:x-dealgraph:base"))
    for t in triples:
        base.add(t)
    closure = dataset.graph(URIRef("urn:x-dealgraph:closure"))
    with warnings.catch_warnings():
        # owlrl calls a Dataset API rdflib deprecated, once per triple per round.
        warnings.simplefilter("ignore", DeprecationWarning)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
            dataset, destination=closure
        )
    errors = [str(closure.value(node, _ERROR_TEXT)) for node in closure.subjects(RDF.type, _ERROR)]
    if errors:
        raise InconsistencyError(sorted(errors))
    external = external_identifiers(closure)
    return {t for t in closure if t not in base and not is_trivial(t) and not is_copy_onto_link(t, external)}


def explanation_iri(triple: Triple) -> URIRef:
    """A stable IRI for the explanation of *triple*, so re-reasoning does not duplicate it."""
    digest = hashlib.sha1(" ".join(term.n3() for term in triple).encode()).hexdigest()[:20]
    return URIRef(ID[f"explanation/{digest}"])


def _explain(triple: Triple, rule: Rule, premises: list[Triple]) -> list[Triple]:
    node = explanation_iri(triple)
    out = [
        (node, RDF.type, DG.Explanation),
        (node, RDF.subject, triple[0]),
        (node, RDF.predicate, triple[1]),
        (node, RDF.object, triple[2]),
        (node, DG.rule, rule.iri),
    ]
    for index, (s, p, o) in enumerate(premises):
        premise = URIRef(f"{node}/premise/{index}")
        out.append((node, DG.premise, premise))
        out += [(premise, RDF.subject, s), (premise, RDF.predicate, p), (premise, RDF.object, o)]
    return out


def rule_descriptions(rules: list[Rule]) -> list[Triple]:
    """Each rule as a resource users can look up: its name and what it says."""
    out = []
    for rule in rules:
        out += [
            (rule.iri, RDF.type, DG.Rule),
            (rule.iri, RDFS.label, Literal(rule.name)),
            (rule.iri, RDFS.comment, Literal(rule.description, lang="en")),
        ]
    return out


def apply_rules(store: OxigraphStore, rules: list[Rule], report: ReasoningReport) -> list[tuple[Triple, list[Triple]]]:
    """One pass of every rule: the new conclusions, each with its explanation triples."""
    terms = constants(rules)
    derived: dict[Triple, list[Triple]] = {}
    for rule in rules:
        for solution in store.query(rule.query()).rows():
            premises = [t for t in (instantiate(p, solution, terms) for p in rule.all_premises()) if t]
            for template in rule.conclusions:
                triple = instantiate(template, solution, terms)
                if triple is None or triple in derived or isinstance(triple[0], Literal):
                    continue
                if store.contains(*triple):
                    continue
                derived[triple] = _explain(triple, rule, premises)
                report.rule_triples[rule.name] = report.rule_triples.get(rule.name, 0) + 1
    return list(derived.items())


def reason(
    store: OxigraphStore,
    rules: list[Rule] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> ReasoningReport:
    """Fill the inferred and explanations graphs of *store* from everything else in it.

    The domain rules (cheap, evaluated by the store) run to their fixpoint before each
    OWL 2 RL closure (costly, owlrl is naive), so the closure runs as few times as
    possible. Both graphs are rebuilt from scratch: reasoning twice gives the same result.
    """
    rules = DOMAIN_RULES if rules is None else rules
    report = ReasoningReport()
    started = time.perf_counter()
    asserted = [(s, p, o) for s, p, o, g in store.quads() if g not in _NOT_REASONED_OVER]
    inferred: set[Triple] = set()
    explanations: list[Triple] = rule_descriptions(rules)
    store.replace_graph(INFERRED_GRAPH, [])
    while True:
        report.rounds += 1
        derived_any = False
        while derived := apply_rules(store, rules, report):
            derived_any = True
            for triple, explanation in derived:
                inferred.add(triple)
                explanations += explanation
            store.replace_graph(INFERRED_GRAPH, inferred)
        if report.rounds > 1 and not derived_any:
            break
        progress(f"reasoning: round {report.rounds}, OWL 2 RL closure over {len(asserted) + len(inferred)} triples")
        new_owl = owl_closure(asserted + sorted(inferred, key=str)) - inferred
        if not new_owl:
            break
        inferred |= new_owl
        report.owl_triples += len(new_owl)
        store.replace_graph(INFERRED_GRAPH, inferred)
    store.replace_graph(EXPLANATIONS_GRAPH, explanations)
    report.seconds = time.perf_counter() - started
    return report
