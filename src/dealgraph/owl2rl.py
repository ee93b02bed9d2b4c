"""The OWL 2 RL closure, fast: ``reasonable`` (Rust) for the bulk, plus what it leaves out.

``reasonable`` computes most of the OWL 2 RL/RDF rules (W3C OWL 2 Profiles, section
4.3) in compiled code, but measured here it derives none of the schema rules
(``scm-*``: equivalentProperty → subPropertyOf, domain and range up the
hierarchies, …) and none of ``prp-spo2`` (property chains), ``prp-key``,
``cls-maxc2``, ``cls-maxqc3/4`` and ``cls-oo``; nor does it check consistency. This
module adds exactly those, in Python, over the few triples they read, and feeds
what they derive back to ``reasonable`` until nothing new follows. The ``false``
rules (``eq-diff1``, ``cax-dw``, ``prp-irp``, …) become :class:`InconsistencyError`.

:class:`FastClosure` keeps ``reasonable``'s state, so triples added later (a write)
are reasoned over incrementally; a removal needs a new one (``reasonable`` itself
re-materializes on removals).

The result is the same as owlrl's ``DeductiveClosure(OWLRL_Semantics)`` apart from
owlrl's axiomatic and datatype triples and reflexive ``owl:sameAs``, which
dealgraph filters out of both (``tests/test_reasoning_engines.py`` compares them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import reasonable
from rdflib import OWL, RDF, RDFS, XSD, Literal
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

# rdflib's namespace attributes are looked up by a Python __getattr__: in loops over
# millions of triples, the terms are read once, here.
_TYPE, _SAME_AS, _DIFFERENT_FROM, _STRING = RDF.type, OWL.sameAs, OWL.differentFrom, XSD.string

#: The predicates of the schema (TBox) triples the ``scm-*`` rules read and write.
SCHEMA_PREDICATES = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        RDFS.domain,
        RDFS.range,
        OWL.onProperty,
        OWL.hasValue,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.propertyChainAxiom,
        OWL.hasKey,
        OWL.maxCardinality,
        OWL.maxQualifiedCardinality,
        OWL.onClass,
        OWL.oneOf,
        OWL.disjointWith,
        OWL.complementOf,
        OWL.propertyDisjointWith,
        OWL.members,
        OWL.distinctMembers,
        OWL.sourceIndividual,
        OWL.assertionProperty,
        OWL.targetIndividual,
        OWL.targetValue,
        RDF.first,
        RDF.rest,
    }
)
#: Classes whose instances are schema statements (property characteristics, axioms over lists).
SCHEMA_CLASSES = frozenset(
    {
        OWL.IrreflexiveProperty,
        OWL.AsymmetricProperty,
        OWL.AllDifferent,
        OWL.AllDisjointClasses,
        OWL.AllDisjointProperties,
        OWL.NegativePropertyAssertion,
    }
)


class InconsistencyError(ValueError):
    """OWL 2 RL found the data contradicting the ontology; carries one message per contradiction."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("the data is inconsistent with the ontology:\n" + "\n".join(f"  {m}" for m in messages))


def _plain(term: Node) -> Node:
    """``reasonable`` returns plain literals as ``xsd:string`` ones; RDF 1.1 says they are the same."""
    if type(term) is Literal and term.datatype == _STRING:
        return Literal(str(term))
    return term


def _normalized(triples: Iterable[Triple]) -> Iterator[Triple]:
    for s, p, o in triples:
        yield s, p, _plain(o)


class _Index:
    """The triples the extra rules read, by predicate; rdf:type only for the classes they name."""

    def __init__(self, triples: Iterable[Triple], predicates: set[Node], classes: set[Node]):
        self.pairs: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
        self.objects: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
        self.instances: dict[Node, set[Node]] = defaultdict(set)
        for s, p, o in triples:
            if p == _TYPE:
                if o in classes:
                    self.instances[o].add(s)
                    self.objects[(s, p)].add(o)
            elif p in predicates:
                self.pairs[p].append((s, o))
                self.objects[(s, p)].add(o)

    def values(self, s: Node, p: Node) -> set[Node]:
        return self.objects.get((s, p), set())

    def one(self, s: Node, p: Node) -> Node | None:
        found = self.values(s, p)
        return next(iter(found)) if found else None

    def items(self, head: Node | None) -> list[Node]:
        """The members of the RDF list starting at *head*."""
        members, seen = [], set()
        while head is not None and head != RDF.nil and head not in seen:
            seen.add(head)
            first = self.one(head, RDF.first)
            if first is None:
                break
            members.append(first)
            head = self.one(head, RDF.rest)
        return members


def _schema(triples: Iterable[Triple]) -> list[Triple]:
    """The schema triples among *triples*: what the ``scm-*`` rules read, and the axioms the others read."""
    predicates, classes = SCHEMA_PREDICATES, SCHEMA_CLASSES
    return [t for t in triples if t[1] in predicates or (t[1] == _TYPE and t[2] in classes)]


def _transitive(pairs: set[tuple[Node, Node]]) -> set[tuple[Node, Node]]:
    """The transitive closure of a (small) relation."""
    successors: dict[Node, set[Node]] = defaultdict(set)
    for a, b in pairs:
        successors[a].add(b)
    closed = set()
    for start in list(successors):
        stack, seen = list(successors[start]), set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(successors.get(node, ()))
        closed |= {(start, n) for n in seen}
    return closed


def schema_entailments(triples: Iterable[Triple]) -> set[Triple]:
    """The ``scm-*`` rules to their fixpoint, over the schema triples of *triples*.

    Reflexive results (``scm-cls``, ``scm-op``, ``scm-dp``) are left out: they are trivial.
    """
    schema = set(_schema(triples))
    index = _Index(schema, set(SCHEMA_PREDICATES), set())
    sco = {(a, b) for a, b in index.pairs[RDFS.subClassOf]}
    spo = {(a, b) for a, b in index.pairs[RDFS.subPropertyOf]}
    for a, b in index.pairs[OWL.equivalentClass]:  # scm-eqc1
        sco |= {(a, b), (b, a)}
    for a, b in index.pairs[OWL.equivalentProperty]:  # scm-eqp1
        spo |= {(a, b), (b, a)}
    for c, head in index.pairs[OWL.intersectionOf]:  # scm-int
        sco |= {(c, member) for member in index.items(head)}
    for c, head in index.pairs[OWL.unionOf]:  # scm-uni
        sco |= {(member, c) for member in index.items(head)}
    restriction = {c: index.one(c, OWL.onProperty) for c, _ in index.pairs[OWL.onProperty]}
    while True:
        sco, spo = _transitive(sco), _transitive(spo)  # scm-sco, scm-spo
        added = set()
        for kind, both in ((OWL.hasValue, "same"), (OWL.someValuesFrom, "svf"), (OWL.allValuesFrom, "avf")):
            entries = [(c, v, restriction.get(c)) for c, v in index.pairs[kind]]
            for c1, v1, p1 in entries:
                for c2, v2, p2 in entries:
                    if c1 == c2 or p1 is None or p2 is None:
                        continue
                    same_value, same_property = v1 == v2, p1 == p2
                    if both == "same" and same_value and (p1, p2) in spo:  # scm-hv
                        added.add((c1, c2))
                    elif both == "svf" and same_property and (v1, v2) in sco:  # scm-svf1
                        added.add((c1, c2))
                    elif both == "svf" and same_value and (p1, p2) in spo:  # scm-svf2
                        added.add((c1, c2))
                    elif both == "avf" and same_property and (v1, v2) in sco:  # scm-avf1
                        added.add((c1, c2))
                    elif both == "avf" and same_value and (p1, p2) in spo:  # scm-avf2
                        added.add((c2, c1))
        if added <= sco:
            break
        sco |= added
    out: set[Triple] = set()
    out |= {(a, RDFS.subClassOf, b) for a, b in sco if a != b}
    out |= {(a, RDFS.subPropertyOf, b) for a, b in spo if a != b}
    out |= {(a, OWL.equivalentClass, b) for a, b in sco if a != b and (b, a) in sco}  # scm-eqc2
    out |= {(a, OWL.equivalentProperty, b) for a, b in spo if a != b and (b, a) in spo}  # scm-eqp2
    for relation in (RDFS.domain, RDFS.range):  # scm-dom1/2, scm-rng1/2
        declared = set(index.pairs[relation])
        below = {(p, c2) for p, c in declared for c1, c2 in sco if c1 == c}
        wider = {(p1, c) for p, c in declared | below for p1, p2 in spo if p2 == p}
        more = {(p, c2) for p, c in wider for c1, c2 in sco if c1 == c}
        out |= {(p, relation, c) for p, c in declared | below | wider | more}
    return out


def instance_entailments(closure: set[Triple], schema_triples: list[Triple] | None = None) -> set[Triple]:
    """``prp-spo2``, ``prp-key``, ``cls-maxc2``, ``cls-maxqc3/4`` and ``cls-oo`` over *closure*.

    *schema_triples* are ``_schema(closure)`` when the caller has them already.
    """
    schema_triples = _schema(closure) if schema_triples is None else schema_triples
    schema = _Index(schema_triples, set(SCHEMA_PREDICATES), set())
    chains = [(p, schema.items(head)) for p, head in schema.pairs[OWL.propertyChainAxiom]]
    keys = [(c, schema.items(head)) for c, head in schema.pairs[OWL.hasKey]]
    maxima = [
        (c, schema.one(c, OWL.onProperty), schema.one(c, OWL.onClass), kind)
        for kind in (OWL.maxCardinality, OWL.maxQualifiedCardinality)
        for c, n in schema.pairs[kind]
        if isinstance(n, Literal) and str(n).strip() == "1"
    ]
    enumerations = [(c, schema.items(head)) for c, head in schema.pairs[OWL.oneOf]]
    out: set[Triple] = {(member, RDF.type, c) for c, members in enumerations for member in members}  # cls-oo
    if not (chains or keys or maxima):
        return out
    predicates = {p for _, links in chains for p in links} | {p for _, props in keys for p in props}
    predicates |= {p for _, p, _, _ in maxima if p is not None}
    classes = {c for c, _ in keys} | {c for c, _, _, _ in maxima} | {c for _, _, c, _ in maxima if c is not None}
    data = _Index(closure, predicates, classes)
    for p, links in chains:  # prp-spo2
        if not links:
            continue
        frontier = set(data.pairs[links[0]])
        for link in links[1:]:
            frontier = {(start, end) for start, middle in frontier for end in data.values(middle, link)}
        out |= {(start, p, end) for start, end in frontier}
    for c, properties in keys:  # prp-key
        by_key: dict[tuple, list[Node]] = defaultdict(list)
        for x in data.instances[c]:
            values = [data.values(x, p) for p in properties]
            if all(values):
                for combination in _product(values):
                    by_key[combination].append(x)
        for same in by_key.values():
            out |= {(a, OWL.sameAs, b) for a in same for b in same if a != b}
    for c, p, qualifier, _ in maxima:  # cls-maxc2, cls-maxqc3/4
        if p is None:
            continue
        for x in data.instances[c]:
            values = data.values(x, p)
            if qualifier is not None and qualifier != OWL.Thing:
                values = {y for y in values if y in data.instances[qualifier]}
            out |= {(a, OWL.sameAs, b) for a in values for b in values if a != b}
    return out


def _product(values: list[set[Node]]) -> Iterator[tuple[Node, ...]]:
    if not values:
        yield ()
        return
    for head in values[0]:
        for rest in _product(values[1:]):
            yield (head, *rest)


def _name(term: Node) -> str:
    return term.n3()


def contradictions(closure: set[Triple], schema_triples: list[Triple] | None = None) -> list[str]:
    """What the OWL 2 RL ``false`` rules find in *closure*, one readable line each."""
    schema_triples = _schema(closure) if schema_triples is None else schema_triples
    schema = _Index(schema_triples, set(SCHEMA_PREDICATES), set(SCHEMA_CLASSES))
    disjoint = set(schema.pairs[OWL.disjointWith])
    for group, head in schema.pairs[OWL.members] + schema.pairs[OWL.distinctMembers]:
        members = schema.items(head)
        if group in schema.instances[OWL.AllDisjointClasses]:
            disjoint |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    complements = set(schema.pairs[OWL.complementOf])
    classes = {c for pair in disjoint | complements for c in pair} | {OWL.Nothing}
    irreflexive, asymmetric = schema.instances[OWL.IrreflexiveProperty], schema.instances[OWL.AsymmetricProperty]
    disjoint_properties = set(schema.pairs[OWL.propertyDisjointWith])
    predicates = {OWL.sameAs, OWL.differentFrom} | irreflexive | asymmetric
    predicates |= {p for pair in disjoint_properties for p in pair}
    zero = [
        (c, schema.one(c, OWL.onProperty), schema.one(c, OWL.onClass))
        for kind in (OWL.maxCardinality, OWL.maxQualifiedCardinality)
        for c, n in schema.pairs[kind]
        if isinstance(n, Literal) and str(n).strip() == "0"
    ]
    predicates |= {p for _, p, _ in zero if p is not None}
    classes |= {c for c, _, _ in zero} | {q for _, _, q in zero if q is not None}
    data = _Index(closure, predicates, classes)
    found = []
    for a, b in data.pairs[OWL.sameAs]:  # eq-diff1
        if b in data.values(a, OWL.differentFrom) or a in data.values(b, OWL.differentFrom):
            if str(a) < str(b):
                found.append(f"{_name(a)} owl:sameAs {_name(b)}, but they are owl:differentFrom (eq-diff1)")
    for group, head in schema.pairs[OWL.members] + schema.pairs[OWL.distinctMembers]:  # eq-diff2/3
        if group in schema.instances[OWL.AllDifferent]:
            members = schema.items(head)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if b in data.values(a, OWL.sameAs):
                        found.append(f"{_name(a)} owl:sameAs {_name(b)}, but they are all different (eq-diff2)")
    for x in data.instances[OWL.Nothing]:  # cls-nothing2
        found.append(f"{_name(x)} is an instance of owl:Nothing (cls-nothing2)")
    for c1, c2 in disjoint:  # cax-dw, cax-adc
        for x in data.instances[c1] & data.instances[c2]:
            found.append(f"{_name(x)} is both {_name(c1)} and {_name(c2)}, which are disjoint (cax-dw)")
    for c1, c2 in complements:  # cls-com
        for x in data.instances[c1] & data.instances[c2]:
            found.append(f"{_name(x)} is both {_name(c1)} and its complement {_name(c2)} (cls-com)")
    for p in irreflexive:  # prp-irp
        found += [f"{_name(x)} {_name(p)} itself, which is irreflexive (prp-irp)" for x, y in data.pairs[p] if x == y]
    for p in asymmetric:  # prp-asyp
        found += [
            f"{_name(x)} {_name(p)} {_name(y)} and back, which is asymmetric (prp-asyp)"
            for x, y in data.pairs[p]
            if x in data.values(y, p) and str(x) <= str(y)
        ]
    for p1, p2 in disjoint_properties:  # prp-pdw
        for x, y in data.pairs[p1]:
            if y in data.values(x, p2):
                found.append(f"{_name(x)} {_name(p1)} and {_name(p2)} {_name(y)}: disjoint properties (prp-pdw)")
    for c, p, qualifier in zero:  # cls-maxc1, cls-maxqc1/2
        for x in data.instances[c]:
            values = data.values(x, p)
            if qualifier is not None and qualifier != OWL.Thing:
                values = values & data.instances[qualifier]
            if values:
                found.append(f"{_name(x)} has a {_name(p)}, but {_name(c)} allows none (cls-maxc1)")
    return sorted(set(found))


class FastClosure:
    """The OWL 2 RL closure of the triples given so far, kept up to date as more are added."""

    def __init__(self) -> None:
        self._reasoner = reasonable.PyReasoner()
        #: Every triple given or entailed (given ones included), plain literals plain.
        self.closure: set[Triple] = set()

    def add(self, triples: Iterable[Triple]) -> None:
        """Add *triples* and reason: :attr:`closure` is then everything given or entailed.

        Raises InconsistencyError when a ``false`` rule fires.
        """
        before = self.closure
        pending = {t for t in triples if t not in before and not isinstance(t[0], Literal)}
        if not pending:
            return
        pending |= schema_entailments(list(pending) + _schema(before))
        current = set(before)
        while pending:
            self._reasoner.from_graph([t for t in pending if not isinstance(t[0], Literal)])
            current = set(_normalized(self._reasoner.reason()))
            schema = _schema(current)
            pending = (schema_entailments(schema) | instance_entailments(current, schema)) - current
        problems = contradictions(current, schema)  # the schema of the last round is that of current
        if problems:
            raise InconsistencyError(problems)
        self.closure = current


def closure(triples: Iterable[Triple]) -> set[Triple]:
    """Every triple in or entailed by *triples* under OWL 2 RL (a fresh :class:`FastClosure`)."""
    engine = FastClosure()
    engine.add(triples)
    return engine.closure
