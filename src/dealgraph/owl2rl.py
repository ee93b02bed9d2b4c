"""The OWL 2 RL closure, fast: ``reasonable`` (Rust) for the bulk, plus what it leaves out.

``reasonable`` computes most of the OWL 2 RL/RDF rules (W3C OWL 2 Profiles, section
4.3) in compiled code, but measured here it derives none of the schema rules
(``scm-*``: equivalentProperty → subPropertyOf, domain and range up the
hierarchies, …) and none of ``prp-spo2`` (property chains), ``prp-key``,
``cls-maxc2``, ``cls-maxqc3/4`` and ``cls-oo``; nor does it check consistency. This
module adds exactly those, in Python, over the few triples they read, and feeds
what they derive back to ``reasonable`` until nothing new follows. It also takes
``prp-trp`` (transitive properties) away from ``reasonable``: over a million generated
deals, its join of ``dg:controls`` with itself grew past 23 GB, where strongly
connected components in topological order (:func:`reachable`) need seconds. The ``false``
rules (``eq-diff1``, ``cax-dw``, ``prp-irp``, …) become :class:`InconsistencyError`.

:class:`FastClosure` keeps ``reasonable``'s state, so triples added later (a write)
are reasoned over incrementally; a removal needs a new one (``reasonable`` itself
re-materializes on removals). That state may only be used and dropped by the thread
that made it, and writes arrive on any of the server's threads: every engine lives on
one thread of its own (:func:`on_engine_thread`).

The closure is kept as integers, not as rdflib terms (:class:`TermIds`), and
``reasonable``, which builds a new term for every position of every triple it
returns (a string here: :func:`_names_as_strings`), is given short names ("i:42")
instead of IRIs — except the RDF, RDFS, OWL and XSD vocabulary its rules match on;
literals are named too, since OWL 2 RL's rules compare terms by identity. Measured on
877 k generated triples: 1.56 GB after reasoning against 2.04 GB with the terms
themselves, and no Python set of rdflib tuples.

The result is the same as owlrl's ``DeductiveClosure(OWLRL_Semantics)`` apart from
owlrl's axiomatic and datatype triples and reflexive ``owl:sameAs``, which
dealgraph filters out of both (``tests/test_reasoning_engines.py`` compares them).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pyoxigraph as ox
import rdflib
import reasonable
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef
from rdflib.term import Node

from .store import to_oxigraph, to_rdflib

Triple = tuple[Node, Node, Node]

# rdflib's namespace attributes are looked up by a Python __getattr__: in loops over
# millions of triples, the terms are read once, here.
_TYPE = RDF.type
#: The namespaces whose IRIs ``reasonable`` is given as they are: its rules match on them.
VOCABULARY = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))

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
        OWL.TransitiveProperty,
    }
)


class InconsistencyError(ValueError):
    """OWL 2 RL found the data contradicting the ontology; carries one message per contradiction."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("the data is inconsistent with the ontology:\n" + "\n".join(f"  {m}" for m in messages))


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


def instance_entailments(closure: Closure, schema_triples: list[Triple]) -> set[Triple]:
    """``prp-spo2``, ``prp-key``, ``cls-maxc2``, ``cls-maxqc3/4`` and ``cls-oo`` over *closure*, given its schema."""
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
    data = _Index(closure.select(predicates, classes), predicates, classes)
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


def contradictions(closure: Closure, schema_triples: list[Triple]) -> list[str]:
    """What the OWL 2 RL ``false`` rules find in *closure* (schema: *schema_triples*), one readable line each."""
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
    data = _Index(closure.select(predicates, classes), predicates, classes)
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


def reachable(successors: dict[int, set[int]]) -> dict[int, set[int]]:
    """Every node's successors, direct or not: the transitive closure of a relation (``prp-trp``).

    Tarjan's algorithm (iterative) finds the strongly connected components sinks
    first, so each component's reach is the union of its successors' reaches: one set
    union per edge, instead of joining the relation with itself until it stops growing.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    component: dict[int, int] = {}
    reaches: list[set[int]] = []
    stack: list[int] = []
    on_stack: set[int] = set()

    def visit(node: int) -> tuple[int, Iterator[int]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(successors.get(node, ()))

    for root in successors:
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, pending = work[-1]
            for successor in pending:
                if successor not in index:
                    work.append(visit(successor))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    members = _pop_component(node, stack, on_stack, component, len(reaches))
                    reaches.append(_reach_of_component(members, component, successors, reaches))
    return {node: reaches[component[node]] for node in successors}


def _pop_component(node: int, stack: list[int], on_stack: set[int], component: dict, number: int) -> list[int]:
    """The members of the component whose root is *node*, taken off Tarjan's stack and numbered *number*."""
    members = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component[member] = number
        members.append(member)
        if member == node:
            return members


def _reach_of_component(members: list[int], component: dict[int, int], successors, reaches) -> set[int]:
    """What a component reaches (itself too, on a cycle), from the reaches of the components found before it."""
    number = component[members[0]]
    reach: set[int] = set()
    cyclic = len(members) > 1
    for member in members:
        for successor in successors.get(member, ()):
            other = component[successor]
            if other == number:
                cyclic = True
            else:
                reach.add(successor)
                reach |= reaches[other]
    if cyclic:
        reach.update(members)
    return reach


#: Triples are kept as one integer each, three term ids of 32 bits.
_BITS = 32
_MASK = (1 << _BITS) - 1


def pack(s: int, p: int, o: int) -> int:
    """The key of the triple of term ids *s*, *p*, *o* (inlined where millions are packed)."""
    return (((s << _BITS) | p) << _BITS) | o


def unpack(key: int) -> tuple[int, int, int]:
    """The subject, predicate and object ids of a triple's key."""
    return key >> 2 * _BITS, (key >> _BITS) & _MASK, key & _MASK


def predicates(keys: Iterable[int]) -> set[int]:
    """The predicate ids of the triples of *keys* (``unpack`` inlined: run over every conclusion)."""
    return {(key >> _BITS) & _MASK for key in keys}


class TermIds:
    """Terms (pyoxigraph's) as small integers, and the name ``reasonable`` knows each by."""

    def __init__(self) -> None:
        self._ids: dict = {}
        self.terms: list = []
        self._names: list[str] = []
        self._vocabulary: dict[str, int] = {}
        self._rdflib: dict[int, Node] = {}
        #: Ids of literals and of the RDF/RDFS/OWL/XSD vocabulary: subjects users are not told about.
        self.literals: set[int] = set()
        self.vocabulary: set[int] = set()

    def id(self, term) -> int:
        """The id of a pyoxigraph term, given one on first sight."""
        found = self._ids.get(term)
        if found is None:
            found = self._ids[term] = len(self.terms)
            self.terms.append(term)
            if type(term) is ox.NamedNode and term.value.startswith(VOCABULARY):
                self._vocabulary[term.value] = found
                self.vocabulary.add(found)
                self._names.append(term.value)
            else:
                if type(term) is ox.Literal:
                    self.literals.add(found)
                self._names.append(f"i:{found}")
        return found

    def key(self, s, p, o) -> int:
        """The key of a triple of pyoxigraph terms."""
        return pack(self.id(s), self.id(p), self.id(o))

    def keys(self, triples: Iterable[Triple]) -> set[int]:
        """The keys of rdflib triples."""
        return {self.key(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples}

    def of(self, term: Node) -> int:
        """The id of an rdflib term."""
        return self.id(to_oxigraph(term))

    def rdflib(self, term_id: int) -> Node:
        found = self._rdflib.get(term_id)
        if found is None:
            found = self._rdflib[term_id] = to_rdflib(self.terms[term_id])
        return found

    def triple(self, key: int) -> Triple:
        """A key as a triple of rdflib terms."""
        s, p, o = unpack(key)
        return self.rdflib(s), self.rdflib(p), self.rdflib(o)

    def named(self, keys: Iterable[int]) -> list[tuple[str, str, str]]:
        """Triples as ``reasonable`` is given them; literal subjects (RDF has none) left out."""
        names, literals = self._names, self.literals
        out = []
        for key in keys:
            s, p, o = unpack(key)
            if s not in literals:
                out.append((names[s], names[p], names[o]))
        return out

    def decode(self, named: list, watched: set[int], classes: set[int]) -> tuple[set[int], list[int]]:
        """The keys of ``reasonable``'s output, and those of its triples whose predicate is *watched*.

        Of ``rdf:type`` triples, only those of *classes* are watched. The list is emptied
        as it is read, so that its names are freed as they are decoded.
        """
        keys: set[int] = set()
        kept: list[int] = []
        add, type_id, ident = keys.add, self.of(_TYPE), self._named_id
        while named:
            s, p, o = named.pop()
            s = int(s[2:]) if s[1] == ":" else ident(s)
            p = int(p[2:]) if p[1] == ":" else ident(p)
            o = int(o[2:]) if o[1] == ":" else ident(o)
            key = (((s << _BITS) | p) << _BITS) | o  # pack(s, p, o), inlined: once per output triple
            add(key)
            if p in watched and (p != type_id or o in classes):
                kept.append(key)
        return keys, kept

    def _named_id(self, name: str | Node) -> int:
        """The id of a vocabulary IRI as ``reasonable`` returns it (it adds some, e.g. ``owl:Thing``)."""
        if type(name) is str or isinstance(name, URIRef):
            found = self._vocabulary.get(str(name))
            return found if found is not None else self.id(ox.NamedNode(str(name)))
        return self.of(name)


class Closure:
    """A set of triple keys, with the triples of the predicates the extra rules read at hand."""

    def __init__(self, ids: TermIds, keys: set[int], watched=(), predicates=frozenset(), classes=frozenset()):
        """*watched* are the keys of the triples of *predicates* (of ``rdf:type``: of *classes*)."""
        self.ids, self.keys = ids, keys
        self._watched, self._predicates, self._classes = watched, predicates, classes

    def select(self, predicates: Iterable[Node], classes: Iterable[Node]) -> Iterator[Triple]:
        """The triples (rdflib terms) of *predicates* but ``rdf:type``, and the ``rdf:type`` ones of *classes*."""
        ids, type_id = self.ids, self.ids.of(_TYPE)
        wanted, of_classes = {ids.of(p) for p in predicates} - {type_id}, {ids.of(c) for c in classes}
        covered = wanted <= self._predicates and (not of_classes or of_classes <= self._classes)
        for key in self._watched if covered else self.keys:
            _, p, o = unpack(key)
            if p in wanted or (p == type_id and o in of_classes):
                yield ids.triple(key)

    def pairs(self, predicate: int) -> dict[int, set[int]]:
        """The subjects of *predicate* (an id) with their objects."""
        found: dict[int, set[int]] = defaultdict(set)
        for key in self._watched if predicate in self._predicates else self.keys:
            s, p, o = unpack(key)
            if p == predicate:
                found[s].add(o)
        return found


#: Property characteristics whose rules read a transitive property's pairs (besides ``prp-trp``).
_CHARACTERISTICS = frozenset(
    {
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.SymmetricProperty,
        OWL.AsymmetricProperty,
        OWL.IrreflexiveProperty,
    }
)
#: The predicates OWL 2 RL's rules match by name, and the classes whose instances they read
#: beside the schema: the schema, and what the ``false`` rules and ``prp-trp`` read. Every
#: pass decodes these as rdflib terms. Any other triple is read only through a schema
#: statement naming its property or an ``owl:sameAs`` of one of its terms (:func:`dealgraph.reason.unread`).
RULE_PREDICATES = SCHEMA_PREDICATES | {OWL.sameAs, OWL.differentFrom, OWL.inverseOf, _TYPE}
RULE_CLASSES = SCHEMA_CLASSES | _CHARACTERISTICS | {OWL.Nothing}
#: What may be said of a transitive property whose closure needs no more reasoning (see ``_inert``):
#: its domain and range, and the properties below it.
_INERT_AS_SUBJECT = frozenset({RDFS.domain, RDFS.range})
_INERT_AS_OBJECT = frozenset({RDFS.subPropertyOf})


@contextmanager
def _names_as_strings() -> Iterator[None]:
    """Have ``reasonable`` return its output as plain strings instead of rdflib IRIs.

    ``reasonable`` returns every triple (given ones too) as new terms, each made by
    calling ``rdflib.URIRef``, looked up on the package on each call: 435 k Python-level
    constructions at 100 k triples, 0.7 s of its 1.1 s (measured). The names it returns
    are ours ("i:42", or the RDF/OWL vocabulary) and are read back as ids at once
    (:meth:`TermIds.decode`), so a string is all that is needed; with ``str`` in its place
    the call runs no Python code and holds the GIL throughout.

    Only code that looks ``rdflib.URIRef`` up on the package while it runs sees the
    change: of what dealgraph runs, rdflib's SPARQL parser and pySHACL's graph copies,
    both used by validation, which loads and writes run one at a time before reasoning.
    """
    made = rdflib.URIRef
    rdflib.URIRef = str
    try:
        yield
    finally:
        rdflib.URIRef = made


#: The thread every ``reasonable`` engine is made, used and dropped on (its objects are
#: bound to their thread: used from another they raise, dropped from another they leak).
_ENGINE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dealgraph-reasoning")


def on_engine_thread(function: Callable, *args):
    """``function(*args)`` run on the engines' thread, whichever thread asks."""
    if threading.current_thread().name.startswith("dealgraph-reasoning"):
        return function(*args)
    return _ENGINE_THREAD.submit(function, *args).result()


class FastClosure:
    """The OWL 2 RL closure of the triples given so far (:class:`TermIds` keys), kept up to date as more are added.

    Usable from any thread: ``reasonable``'s engine stays on the engines' thread.
    """

    def __init__(self, ids: TermIds | None = None) -> None:
        self.ids = TermIds() if ids is None else ids
        self._reasoner = on_engine_thread(reasonable.PyReasoner)
        #: The key of every triple given or entailed (given ones included).
        self.closure: set[int] = set()
        self._schema: list[Triple] = []
        #: ``rdf:type owl:TransitiveProperty`` triples: ``prp-trp`` is computed here (:func:`reachable`).
        self._withheld: set[int] = set()
        #: How many pairs each transitive property had when last closed, and after.
        self._closed: dict[int, tuple[int, int]] = {}
        #: The closures of the transitive properties no other rule reads (``_transitive_entailments``).
        self._aside: set[int] = set()

    def __del__(self) -> None:
        # The engine's last reference goes on its own thread, wherever this object is dropped.
        engine = [self.__dict__.pop("_reasoner", None)]
        try:
            _ENGINE_THREAD.submit(engine.clear)
        except RuntimeError:  # the interpreter is exiting: nothing is left to free
            pass

    def add(self, keys: Iterable[int]) -> None:
        """Add the triples of *keys* and reason: :attr:`closure` is then everything given or entailed.

        Raises InconsistencyError when a ``false`` rule fires.
        """
        on_engine_thread(self._add, keys)

    def _add(self, keys: Iterable[int]) -> None:
        ids = self.ids
        pending = set(keys)
        pending -= self.closure
        if not pending:
            return
        watched = {ids.of(p) for p in RULE_PREDICATES}
        classes = {ids.of(c) for c in RULE_CLASSES}
        schema = self._schema + list(Closure(ids, pending).select(SCHEMA_PREDICATES, SCHEMA_CLASSES))
        pending |= ids.keys(schema_entailments(schema))
        current = self.closure
        while pending:
            transitive = self._withhold_transitivity(schema)
            self._reasoner.from_graph(ids.named(pending - self._withheld))
            with _names_as_strings():
                entailed = self._reasoner.reason()
            current, kept = ids.decode(entailed, watched | transitive, classes)
            current |= self._withheld
            closure = Closure(ids, current, kept + list(self._withheld), watched | transitive, classes)
            schema = _schema(closure.select(RULE_PREDICATES, RULE_CLASSES))
            pending = ids.keys(schema_entailments(schema) | instance_entailments(closure, schema))
            pending |= self._transitive_entailments(closure, transitive)
            pending -= current
            current |= self._aside
        problems = contradictions(closure, schema)  # the schema of the last round is that of current
        if problems:
            raise InconsistencyError(problems)
        self.closure, self._schema = current, schema

    def _withhold_transitivity(self, schema: list[Triple]) -> set[int]:
        """The transitive properties of *schema* (ids); their ``rdf:type`` triples are kept from ``reasonable``."""
        declared = [t for t in schema if t[1] == _TYPE and t[2] == OWL.TransitiveProperty]
        self._withheld |= self.ids.keys(declared)
        return {self.ids.of(p) for p, _, _ in declared}

    def _transitive_entailments(self, closure: Closure, transitive: set[int]) -> set[int]:
        """``prp-trp``: the keys of what the transitive properties' closures add, to reason over further.

        The closure of an :meth:`_inert` property goes to :attr:`_aside` instead: no other
        rule reads it, and ``reasonable`` would take gigabytes over it (a million deals).
        """
        out: set[int] = set()
        for p in transitive:
            successors = closure.pairs(p)
            if sum(map(len, successors.values())) in self._closed.get(p, ()):
                continue  # what reasoning gave back is what was closed last time: nothing new
            reach = reachable(successors)
            self._closed[p] = (sum(map(len, successors.values())), sum(map(len, reach.values())))
            keys = {pack(s, p, o) for s, objects in reach.items() for o in objects}
            if self._inert(closure, p):
                self._aside = {key for key in self._aside if unpack(key)[1] != p} | keys
            else:
                out |= keys
        return out

    def _inert(self, closure: Closure, p: int) -> bool:
        """True when no OWL 2 RL rule but ``prp-trp``, ``prp-dom`` and ``prp-rng`` reads *p*'s pairs.

        Domain and range add nothing over a closure: its pairs start where a given pair
        starts and end where one ends. Sub-properties only feed *p*. Anything else
        (an inverse, a super-property, a characteristic, a restriction, a chain, a key,
        ``owl:sameAs`` between individuals) and the closure is reasoned over further.
        """
        ids = self.ids
        term = ids.rdflib(p)
        for s, q, o in closure.select(RULE_PREDICATES - {_TYPE}, _CHARACTERISTICS):
            if s == o:
                continue
            if (s == term and q not in _INERT_AS_SUBJECT) or (o == term and q not in _INERT_AS_OBJECT):
                return False
        return not closure.pairs(ids.of(OWL.sameAs))


def closure(triples: Iterable[Triple]) -> set[Triple]:
    """Every triple in or entailed by *triples* (rdflib terms) under OWL 2 RL (a fresh :class:`FastClosure`)."""
    engine = FastClosure()
    engine.add(engine.ids.keys(triples))
    return {engine.ids.triple(key) for key in engine.closure}
