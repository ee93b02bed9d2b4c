"""Asserted facts → the inferred graph: the OWL 2 RL closure plus the domain rules.

Three engines compute the closure (``Settings.reasoner``): ``fast`` (:mod:`dealgraph.owl2rl`:
the Rust reasoner ``reasonable`` plus the rules it leaves out, incremental); ``nemo``
(:mod:`dealgraph.nemo_closure`: the rules in the Rust engine Nemo, for large datasets:
1.5 GB instead of 3.7 GB to build 1 M triples); and ``owlrl``, the pure-Python
reference. The default, ``auto``, picks ``fast`` or ``nemo`` by size (:func:`engine_for`).
They give the same inferred graph (tests/test_reasoning_engines.py); ``fast`` is 22–30×
quicker than owlrl through the whole reasoning step (bench/RESULTS.md).

The closure and the domain rules alternate until neither adds anything, because each feeds the other (a rule
derives ``dg:owns``; OWL then derives ``dg:ownedBy`` and ``dg:controls``). What
users see is kept clean: reflexive ``owl:sameAs``, statements about the RDF/OWL
vocabulary itself and owlrl's literal-subject triples are dropped. Why a triple was
derived is not stored (it would be most of the store: ≈ 9 quads per conclusion) but
found when asked, for the domain rules as for OWL 2 RL (:mod:`dealgraph.explain`).

Links to Wikidata are identity links, not merges (docs/MODEL.md, "owl:sameAs"): the
closure keeps ``owl:sameAs`` itself (symmetric and transitive, so ``wd:Q… owl:sameAs
?org`` answers) but not OWL 2 RL's copies (eq-rep-s/p/o) of a dealgraph
organization's facts onto the Wikidata IRI it is linked to, which would double every
row that lists organizations. The Wikidata snapshot graph is data from another source
in its own terms, to which the ontology does not apply: reasoning does not read it.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import owlrl
import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from . import nemo_closure, owl2rl
from .owl2rl import InconsistencyError, TermIds, predicates, unpack
from .rules import DOMAIN_RULES, Rule, constants, instantiate
from .store import OxigraphStore, Quad, to_oxigraph
from .vocab import DERIVED_GRAPHS, DG, ID, INFERRED_GRAPH, WIKIDATA_GRAPH

Triple = tuple[Node, Node, Node]
_ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
_ERROR_TEXT = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
#: Graphs reasoning neither reads nor writes to: its own output, and the Wikidata snapshot.
_NOT_REASONED_OVER = (*DERIVED_GRAPHS, WIKIDATA_GRAPH)
_REFLEXIVE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}
_EMPTY_CLASSES = {OWL.Thing, RDFS.Resource}
_SAME_AS = OWL.sameAs
_INSIDE = str(ID)


@dataclass
class ReasoningReport:
    """What reasoning did: triples added by each engine, rounds, and seconds spent."""

    owl_triples: int = 0
    rule_triples: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0
    #: Of :attr:`seconds`, those of the OWL 2 RL closure (the rest: the domain rules, reading, writing).
    owl_seconds: float = 0.0
    #: When only what follows from a write's additions was derived (:func:`reason_after_write`):
    #: the quads that went to the inferred graph; ``None`` when it was derived from scratch.
    added: list[ox.Quad] | None = None

    @property
    def incremental(self) -> bool:
        return self.added is not None

    @property
    def kind(self) -> str:
        """How a write was reasoned over: ``from scratch``, ``incremental``, or ``not needed`` (:func:`unread`)."""
        if self.added is None:
            return "from scratch"
        return "incremental" if self.rounds else "not needed"

    @property
    def inferred(self) -> int:
        return self.owl_triples + sum(self.rule_triples.values())


def external_identifiers(triples: Iterable[Triple]) -> set[Node]:
    """IRIs outside dealgraph's namespace that a dealgraph resource is ``owl:sameAs`` (Wikidata items)."""
    found = set()
    for s, p, o in triples:
        if p == _SAME_AS and isinstance(s, URIRef) and isinstance(o, URIRef):
            inside_s, inside_o = str.startswith(s, _INSIDE), str.startswith(o, _INSIDE)
            if inside_s != inside_o:
                found.add(o if inside_s else s)
    return found


#: The OWL 2 RL engines: ``fast`` (:mod:`dealgraph.owl2rl`: reasonable plus the rules it
#: leaves out, incremental), ``nemo`` (:mod:`dealgraph.nemo_closure`: rules in Nemo, file to
#: file, less than half the memory at 1 M triples, no incremental state) and ``owlrl`` (the
#: pure-Python reference, naive and slow).
ENGINES = ("fast", "nemo", "owlrl")
#: Asserted triples above which the default engine, ``auto``, is ``nemo`` rather than ``fast``:
#: on the 1 M bench graph the build peaked at 3.7 GB with ``fast`` and 1.5 GB with ``nemo``,
#: which took 84 s against 50 s and keeps no state for incremental writes; the Crunchbase
#: import (346 k) builds within 1.5 GB with ``fast``.
LARGE_DATASET = 500_000


def engine_for(engine: str, asserted: int) -> str:
    """The engine that *engine* (``auto`` or one of :data:`ENGINES`) stands for over *asserted* triples."""
    if engine == "auto":
        return "nemo" if asserted > LARGE_DATASET else "fast"
    if engine not in ENGINES:
        raise ValueError(f"unknown reasoner {engine!r}; use auto or one of {', '.join(ENGINES)}")
    return engine


def owlrl_entailments(triples: Iterable[Triple]) -> set[Triple]:
    """owlrl's OWL 2 RL entailments of *triples*, or InconsistencyError with owlrl's messages.

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
    return set(closure)


def shown(entailed: set[int], given: set[int], ids: TermIds) -> set[int]:
    """What of *entailed* goes to the inferred graph: new, not trivial, and not a copy onto a link.

    Trivial: about a literal or the RDF/OWL vocabulary itself, reflexive, or typing
    with ``owl:Thing``. A copy onto a link is OWL 2 RL's copy of a fact onto an
    external identifier (eq-rep-s/o), not the link itself.
    """
    hidden, same_as = ids.literals | ids.vocabulary, ids.of(_SAME_AS)
    reflexive, empty = {ids.of(p) for p in _REFLEXIVE}, {ids.of(c) for c in _EMPTY_CLASSES}
    kept, links = [], [key for key in given if unpack(key)[1] == same_as]
    for key in entailed - given:
        s, p, o = unpack(key)
        if s in hidden or o in empty or (s == o and p in reflexive):
            continue
        kept.append(key)
        if p == same_as:
            links.append(key)
    external = {ids.of(term) for term in external_identifiers(ids.triple(key) for key in links)}
    if not external:  # no links to other identifiers: nothing can be a copy onto one
        return set(kept)
    return {key for key in kept if _not_copied(key, external, same_as)}


def _not_copied(key: int, external: set[int], same_as: int) -> bool:
    s, p, o = unpack(key)
    return p == same_as or (s not in external and o not in external)


class OwlClosure:
    """The OWL 2 RL entailments of the triples given so far (keys of :attr:`ids`), by one engine.

    The fast engine keeps its state and reasons over what is added incrementally;
    nemo and owlrl compute everything again each time.
    """

    def __init__(self, engine: str = "fast", ids: TermIds | None = None):
        if engine not in ENGINES:
            raise ValueError(f"unknown reasoner {engine!r}; use one of {', '.join(ENGINES)}")
        self.engine = engine
        self.ids = TermIds() if ids is None else ids
        self.given: set[int] = set()
        self._fast = owl2rl.FastClosure(self.ids) if engine == "fast" else None
        #: Triples no rule reads (:func:`unread`), given with the next triples that matter.
        self._deferred: set[int] = set()
        #: The fast engine still holds triples taken back since: it starts afresh at the next addition.
        self._stale = False

    def add(self, keys: Iterable[int]) -> set[int]:
        """Give more triples; returns every entailment shown so far (see :func:`shown`)."""
        keys = set(keys) | self._deferred
        self._deferred = set()
        keys -= self.given
        self.given |= keys
        if self._fast is not None:
            if self._stale:  # ``reasonable`` only drops a triple by deriving everything again anyway
                self._fast, self._stale, keys = owl2rl.FastClosure(self.ids), False, self.given
            self._fast.add(keys)
            return shown(self._fast.closure, self.given, self.ids)
        if self.engine == "nemo":
            terms, key = self.ids.terms, self.ids.key
            given = (tuple(terms[t] for t in unpack(k)) for k in self.given)
            return shown({key(*triple) for triple in nemo_closure.entailments(given)}, self.given, self.ids)
        entailed = owlrl_entailments(self.ids.triple(key) for key in self.given)
        return shown(self.ids.keys(entailed), self.given, self.ids)

    def set_aside(self, added: Iterable[int], removed: Iterable[int]) -> None:
        """Record a write of triples no rule reads (:func:`unread`): nothing follows from them or from their absence.

        What it added is given to the engine with the next triples that matter, for a later
        schema statement or ``owl:sameAs`` may make them matter; what it removed, the engine
        forgets before its next pass.
        """
        removed = set(removed)
        self._deferred = (self._deferred | set(added)) - removed
        self._stale = self._stale or bool(removed & self.given)
        self.given -= removed


def owl_closure(triples: Iterable[Triple], engine: str = "fast") -> set[Triple]:
    """The OWL 2 RL entailments of *triples* (rdflib terms) that are new, not trivial, and not copies onto links."""
    closure = OwlClosure(engine)
    return {closure.ids.triple(key) for key in closure.add(closure.ids.keys(triples))}


def write_triples(store: OxigraphStore, graph: URIRef, keys: Iterable[int], ids: TermIds) -> None:
    """Add the triples of *keys* to *graph* (blank nodes keep their identity: they are the asserted ones)."""
    terms, name = ids.terms, to_oxigraph(graph)
    store.add_raw_quads(ox.Quad(terms[s], terms[p], terms[o], name) for s, p, o in map(unpack, keys))


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


#: Where a pass of the rules puts its conclusions (a graph per rule, under this IRI) before
#: they join the inferred graph.
_NEW = URIRef("urn:x-dealgraph:new-conclusions")


def _keys_of(store: OxigraphStore, ids: TermIds, query: str) -> list[int]:
    """The ``?s ?p ?o`` rows of *query* as triple keys (read as the engine's own terms: no rdflib on the way)."""
    key = ids.key
    return [key(row[0], row[1], row[2]) for row in store.query(query).raw]


def apply_rules(
    store: OxigraphStore, rules: list[Rule], report: ReasoningReport, ids: TermIds
) -> tuple[dict[str, list[int]], dict[str, set[int]]]:
    """One pass of *rules*, in order, evaluated by the store as SPARQL Updates (:meth:`Rule.update`).

    Conclusions that are new go to the inferred graph. Returns their keys by rule,
    and for each rule the predicates (ids) of what it and the rules after it concluded:
    what it has not read yet. Each rule writes to a graph of its own, which the rules
    after it read.
    """
    scratch = [URIRef(f"{_NEW}/{number}") for number in range(len(rules))]
    graphs = [str(g) for g in store.graph_names() if not str(g).startswith(str(_NEW))]
    new: dict[str, list[int]] = {}
    concluded: list[set[int]] = []
    for rule, graph in zip(rules, scratch, strict=True):
        graphs.append(str(graph))
        store.update(rule.update(str(graph), graphs))
        keys = _keys_of(store, ids, f"SELECT ?s ?p ?o WHERE {{ GRAPH {graph.n3()} {{ ?s ?p ?o }} }}")
        if keys:
            report.rule_triples[rule.name] = report.rule_triples.get(rule.name, 0) + len(keys)
        new[rule.name] = keys
        concluded.append(predicates(keys))
    inferred = INFERRED_GRAPH.n3()
    store.update(" ; ".join(f"ADD SILENT {g.n3()} TO {inferred} ; DROP SILENT GRAPH {g.n3()}" for g in scratch))
    unread = {rule.name: set().union(*concluded[index:]) for index, rule in enumerate(rules)}
    return new, unread


def asserted_keys(store: OxigraphStore, ids: TermIds) -> list[int]:
    """The triples reasoning reads: every graph but its own output and the Wikidata snapshot."""
    skipped = ", ".join(g.n3() for g in _NOT_REASONED_OVER)
    return _keys_of(store, ids, f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({skipped})) }}")


@dataclass
class _State:
    """What reasoning over one store left behind, so that a later write is reasoned over incrementally."""

    closure: OwlClosure
    rules: list[Rule]
    inferred: set[int] = field(default_factory=set)
    #: What each non-monotonic rule concluded, to tell whether a write withdraws any of it.
    withdrawable: dict[str, set[int]] = field(default_factory=dict)


#: The reasoning state of each store reasoned over in this process (kept when asked).
_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reason(
    store: OxigraphStore,
    rules: list[Rule] | None = None,
    progress: Callable[[str], None] = lambda message: None,
    engine: str = "auto",
    keep_state: bool = False,
) -> ReasoningReport:
    """Fill the inferred graph of *store* from everything else in it.

    The domain rules (cheap, evaluated by the store) run to their fixpoint before each
    OWL 2 RL closure, so the closure runs as few times as possible. The graph is
    rebuilt from scratch (with a description of each rule, which explanations link
    to): reasoning twice gives the same result. *engine* is ``auto`` (by the number of
    asserted triples: :func:`engine_for`) or one of :data:`ENGINES`; with *keep_state*
    the ``fast`` engine's state stays in memory so that :func:`reason_after_write` can
    reason over additions incrementally.
    """
    rules = DOMAIN_RULES if rules is None else rules
    report = ReasoningReport()
    started = time.perf_counter()
    ids = TermIds()
    asserted = asserted_keys(store, ids)
    state = _State(OwlClosure(engine_for(engine, len(asserted)), ids), rules)
    store.remove_graphs(DERIVED_GRAPHS)
    store.replace_graph(INFERRED_GRAPH, rule_descriptions(rules))
    _derive(store, state, asserted, report, progress)
    if keep_state:
        _STATES[store] = state
    else:
        _STATES.pop(store, None)
    report.seconds = time.perf_counter() - started
    return report


def _derive(
    store: OxigraphStore, state: _State, added: list[int], report: ReasoningReport, progress: Callable[[str], None]
) -> list[int]:
    """Domain rules and OWL 2 RL alternate, from what *added* brings, until neither adds anything.

    A rule is evaluated again only when something new uses a property it reads
    (:meth:`Rule.reads`): the costly ones fire once on a large import, not once per pass.
    Returns the keys of every triple added to the inferred graph.
    """
    ids = state.closure.ids
    pending = list(added)
    written: list[int] = []
    reads = {rule.name: {ids.of(term) for term in rule.reads()} for rule in state.rules}
    dirty = [rule for rule in state.rules if reads[rule.name] & predicates(added)]
    while True:
        report.rounds += 1
        derived_any = False
        while dirty:
            by_rule, unread = apply_rules(store, dirty, report, ids)
            for rule in dirty:
                if not rule.monotonic:
                    state.withdrawable.setdefault(rule.name, set()).update(by_rule[rule.name])
            new = [key for keys in by_rule.values() for key in keys]
            derived_any = derived_any or bool(new)
            state.inferred.update(new)
            pending += new
            written += new
            changed = predicates(new)
            dirty = [rule for rule in state.rules if reads[rule.name] & unread.get(rule.name, changed)]
        if report.rounds > 1 and not derived_any:
            break
        progress(f"reasoning: round {report.rounds}, OWL 2 RL ({state.closure.engine}) over {len(pending)} new triples")
        started = time.perf_counter()
        new_owl = state.closure.add(pending) - state.inferred
        report.owl_seconds += time.perf_counter() - started
        pending = []
        if not new_owl:
            break
        state.inferred |= new_owl
        written += new_owl
        report.owl_triples += len(new_owl)
        write_triples(store, INFERRED_GRAPH, new_owl, ids)
        changed = predicates(new_owl)
        dirty = [rule for rule in state.rules if reads[rule.name] & changed]
    return written


def reason_after_write(
    store: OxigraphStore,
    added: Iterable[Quad] = (),
    removed: Iterable[Quad] = (),
    progress: Callable[[str], None] = lambda message: None,
    state_of: OxigraphStore | None = None,
) -> ReasoningReport:
    """Bring the inferred graph of *store* up to date after a write.

    *added* and *removed* are the quads ``(s, p, o, graph)`` the write changed (rdflib
    terms; changes to the graphs reasoning does not read are ignored). Triples no rule
    reads (:func:`unread`) need no reasoning, added or removed. Other additions are
    reasoned over incrementally — only what follows from them is derived — when the
    state of the last :func:`reason` over this store was kept (``keep_state=True``)
    and every conclusion a non-monotonic domain rule (one with ``NOT EXISTS``) drew
    still follows; otherwise, and after the removal of a triple a rule reads,
    everything is derived again.

    *state_of* is the store whose kept state to start from, when *store* is a scratch
    copy of it that the write went to first. The state is taken from *state_of* and
    kept for *store* (:func:`move_reasoning_state` hands it back once the copy's
    changes are applied); if reasoning fails (an inconsistency) it is dropped, and the
    next write reasons from scratch.
    """
    relevant = lambda quads: [(s, p, o) for s, p, o, g in quads if g not in _NOT_REASONED_OVER]  # noqa: E731
    added, removed = relevant(added), relevant(removed)
    state = _STATES.pop(state_of if state_of is not None else store, None)
    engine = state.closure.engine if state else "auto"
    rules = state.rules if state else DOMAIN_RULES
    if not unread(store, removed, rules):  # what followed from them must go
        return reason(store, rules, progress, engine=engine, keep_state=True)
    if unread(store, added, rules):  # nothing follows from the write: no reasoning is needed
        if state is not None:
            ids = state.closure.ids
            state.closure.set_aside(ids.keys(added), ids.keys(removed))
            _STATES[store] = state
        return ReasoningReport(added=[])
    if state is None or engine != "fast":
        return reason(store, rules, progress, engine=engine, keep_state=True)
    state.closure.set_aside((), state.closure.ids.keys(removed))
    added = state.closure.ids.keys(added)
    report = ReasoningReport()
    started = time.perf_counter()
    written = _derive(store, state, added, report, progress)
    if any(_withdrawn(store, rule, state) for rule in state.rules if not rule.monotonic):
        progress("reasoning: the write withdraws a conclusion of a non-monotonic rule; deriving everything again")
        return reason(store, rules, progress, engine=engine, keep_state=True)
    _STATES[store] = state
    terms, graph = state.closure.ids.terms, to_oxigraph(INFERRED_GRAPH)
    report.added = [ox.Quad(terms[s], terms[p], terms[o], graph) for s, p, o in map(unpack, written)]
    report.seconds = time.perf_counter() - started
    return report


def unread(store: OxigraphStore, triples: list[Triple], rules: list[Rule]) -> bool:
    """True when no rule can read or conclude any of *triples*: adding or removing them changes no inference.

    OWL 2 RL's rules read a triple ``s p o`` by its predicate's name (``rdf:type``, the
    schema's own properties, ``owl:sameAs``…), through a schema statement naming ``p`` (a
    domain, range, super-property, inverse, characteristic, restriction, chain or key,
    each of which can also conclude such a triple), or through an ``owl:sameAs`` or
    ``owl:differentFrom`` of ``s``, ``p`` or ``o``; a domain rule, through the names it
    mentions (:meth:`Rule.mentions`). A label or a comment usually meets none of these,
    and a write that only changes such triples needs no reasoning. *store* holds the
    dataset after the write with the inferences from before it, whose schema and links
    are the same when the write is unread. A blank node cannot be named in a query: a
    triple with one counts as read.
    """
    if not triples:
        return True
    terms = {term for triple in triples for term in triple}
    predicates = {p for _, p, _ in triples}
    if any(isinstance(term, BNode) for term in terms) or predicates & owl2rl.RULE_PREDICATES:
        return False
    if any(predicates & rule.mentions() for rule in rules):
        return False
    links = " ".join(p.n3() for p in owl2rl.RULE_PREDICATES - {RDF.type})
    classes = " ".join(c.n3() for c in owl2rl.RULE_CLASSES)
    return not store.query(
        f"""ASK {{ VALUES ?term {{ {" ".join(t.n3() for t in terms)} }}
          {{ VALUES ?link {{ {links} }}
             {{ ?term ?link ?other }} UNION {{ ?other ?link ?term }} FILTER(?other != ?term) }}
          UNION {{ VALUES ?class {{ {classes} }} ?term a ?class }} }}"""
    ).boolean


def _withdrawn(store: OxigraphStore, rule: Rule, state: _State) -> bool:
    """True when *rule* no longer draws a conclusion it drew before."""
    terms = constants([rule])
    now = set()
    for solution in store.query(rule.query()).rows():
        now |= {t for t in (instantiate(c, solution, terms) for c in rule.conclusions) if t}
    ids = state.closure.ids
    return any(ids.triple(key) not in now for key in state.withdrawable.get(rule.name, ()))


def move_reasoning_state(source: OxigraphStore, target: OxigraphStore) -> None:
    """Keep the reasoning state of *source* (a scratch copy whose changes went into *target*) for *target*."""
    state = _STATES.pop(source, None)
    if state is not None:
        _STATES[target] = state
