"""The fast OWL 2 RL engine derives what owlrl derives, incrementally after writes, and explains itself."""

from __future__ import annotations

import importlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef

from dealgraph import InconsistencyError, Settings, build, owl2rl
from dealgraph.explain import why
from dealgraph.vocab import INFERRED_GRAPH, USER_GRAPH

reasoning = importlib.import_module("dealgraph.reason")
FEATURES = Path(__file__).parent / "data" / "owl2rl-features.ttl"
EX = Namespace("http://example.org/rl#")
DG = Namespace("https://w3id.org/dealgraph/ontology#")
ORG = Namespace("https://w3id.org/dealgraph/id/org/")
ID = Namespace("https://w3id.org/dealgraph/id/")
QUIET = {"progress": lambda message: None}


def inferred(store) -> set:
    return {(s, p, o) for s, p, o, _ in store.quads(INFERRED_GRAPH)}


@pytest.mark.parametrize("engine", ["fast", "nemo"])
def test_each_engine_derives_what_owlrl_derives_for_every_owl2rl_rule_family(engine):
    triples = list(Graph().parse(FEATURES))
    fast, reference = reasoning.owl_closure(triples, engine), reasoning.owl_closure(triples, "owlrl")
    assert fast == reference
    for expected in [
        (EX.ed, EX.uncleOf, EX.cid),  # prp-spo2
        (EX.e0, EX.ancestorOf, EX.e4),  # prp-spo1 + prp-trp
        (EX.e3, EX.ancestorOf, EX.e3),  # prp-trp around a cycle
        (EX.c1, OWL.sameAs, EX.c2),  # prp-key
        (EX.s1, OWL.sameAs, EX.s2),  # cls-maxc2
        (EX.b3, OWL.sameAs, EX.b4),  # cls-maxqc3
        (EX.mon, RDF.type, EX.Weekday),  # cls-oo
        (EX.hasPuppy, URIRef("http://www.w3.org/2000/01/rdf-schema#domain"), EX.Animal),  # scm-dom2 + scm-dom1
        (EX.hasKid, URIRef("http://www.w3.org/2000/01/rdf-schema#subPropertyOf"), EX.hasRelative),  # scm-eqp1 + spo
        (EX.ivy, RDF.type, EX.DogOwner),  # cls-svf1
        (EX.kale, RDF.type, EX.Plant),  # cls-avf
    ]:
        assert expected in fast


def test_auto_reasons_with_nemo_over_large_datasets_only():
    assert reasoning.engine_for("auto", 346_282) == "fast"  # the Crunchbase import: incremental writes
    assert reasoning.engine_for("auto", 876_930) == "nemo"  # the 1 M bench graph: within 2 GB
    assert reasoning.engine_for("owlrl", 876_930) == "owlrl"
    with pytest.raises(ValueError, match="unknown reasoner 'fastest'"):
        reasoning.engine_for("fastest", 10)


def test_transitive_closure_follows_chains_and_cycles():
    successors = {1: {2}, 2: {3}, 3: {4, 2}, 5: {5}, 6: {1}}
    assert owl2rl.reachable(successors) == {1: {2, 3, 4}, 2: {2, 3, 4}, 3: {2, 3, 4}, 5: {5}, 6: {1, 2, 3, 4}}


@pytest.mark.parametrize(
    "more, also",
    [
        ([], []),  # nothing but prp-trp reads the closure: it is kept aside from reasonable
        ([(EX.controlledBy, OWL.inverseOf, EX.controls)], [(EX.d, EX.controlledBy, EX.a)]),  # prp-inv reads it
        ([(EX.controls, RDFS.subPropertyOf, EX.influences)], [(EX.a, EX.influences, EX.d)]),  # prp-spo1 reads it
        ([(EX.controls, RDF.type, OWL.FunctionalProperty)], [(EX.b, OWL.sameAs, EX.d)]),  # prp-fp reads it
    ],
)
def test_a_transitive_property_is_closed_like_owlrl_whatever_else_reads_it(more, also):
    chain = [(EX.a, EX.owns, EX.b), (EX.b, EX.owns, EX.c), (EX.c, EX.owns, EX.d), (EX.d, EX.owns, EX.b)]
    schema = [
        (EX.controls, RDF.type, OWL.TransitiveProperty),
        (EX.owns, RDFS.subPropertyOf, EX.controls),
        (EX.controls, RDFS.domain, EX.Organization),
    ]
    fast = reasoning.owl_closure(chain + schema + more, "fast")
    assert fast == reasoning.owl_closure(chain + schema + more, "owlrl")
    assert fast == reasoning.owl_closure(chain + schema + more, "nemo")
    assert {(EX.a, EX.controls, EX.d), (EX.b, EX.controls, EX.b), (EX.d, RDF.type, EX.Organization)} <= fast
    assert set(also) <= fast


def test_every_engine_derives_the_same_inferred_graph_from_the_shipped_data():
    store = build(Settings(), **QUIET).store
    fast = inferred(store)
    for engine in ("owlrl", "nemo"):
        reasoning.reason(store, engine=engine)
        assert fast == inferred(store), engine
    assert len(fast) > 300


def test_every_engine_derives_the_same_inferred_graph_from_a_sample_of_the_crunchbase_import(crunchbase_sample):
    settings = Settings(data=(crunchbase_sample.ontology, crunchbase_sample.output))
    store = build(settings, **QUIET).store
    fast = inferred(store)
    for engine in ("owlrl", "nemo"):
        reasoning.reason(store, engine=engine)
        assert fast == inferred(store), engine
    owns = [t for t in fast if t[1] == DG.owns]
    assert len(owns) > 100


def test_each_engine_finds_the_contradictions_owl2rl_defines():
    base = [(DG.Completed, OWL.sameAs, DG.Failed), (DG.Completed, OWL.differentFrom, DG.Failed)]
    for engine in ("fast", "nemo", "owlrl"):
        with pytest.raises(InconsistencyError) as caught:
            reasoning.owl_closure(base, engine)
        assert "Completed" in str(caught.value) and "Failed" in str(caught.value)
    disjoint = [(EX.Cat, OWL.disjointWith, EX.Dog), (EX.tom, RDF.type, EX.Cat), (EX.tom, RDF.type, EX.Dog)]
    for engine in ("fast", "nemo"):
        with pytest.raises(InconsistencyError, match="cax-dw"):
            reasoning.owl_closure(disjoint, engine)


def test_the_fast_engine_gives_rdflib_its_iri_class_back_once_reasonable_has_answered():
    import rdflib
    from rdflib.plugins.sparql import prepareQuery

    contradiction = [(DG.Completed, OWL.sameAs, DG.Failed), (DG.Completed, OWL.differentFrom, DG.Failed)]
    assert (EX.a, RDF.type, EX.B) in reasoning.owl_closure([(EX.a, RDF.type, EX.A), (EX.A, RDFS.subClassOf, EX.B)])
    with pytest.raises(InconsistencyError):
        reasoning.owl_closure(contradiction, "fast")
    assert rdflib.URIRef is rdflib.term.URIRef
    # rdflib's SPARQL parser looks the class up on the package as it parses
    parsed = prepareQuery("SELECT ?x WHERE { ?x a <http://example.org/rl#B> }")
    assert type(parsed.algebra.p.p.triples[0][2]) is URIRef


def test_an_added_acquisition_is_reasoned_over_incrementally_with_the_same_result_as_from_scratch():
    store = build(Settings(update_token="t"), **QUIET).store  # a dataset that takes writes keeps the state
    deal, buyer, bought = URIRef("https://w3id.org/dealgraph/id/deal/test-1"), ORG["acme"], ORG["alapage"]
    quads = [
        (deal, DG.acquirer, buyer, USER_GRAPH),
        (deal, DG.target, bought, USER_GRAPH),
        (deal, DG.outcome, DG.Completed, USER_GRAPH),
        (deal, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), URIRef("urn:x"), USER_GRAPH),
    ]
    store.add_quads(quads)
    report = reasoning.reason_after_write(store, added=quads)
    assert report.incremental and report.owl_triples > 0
    incremental = inferred(store)
    assert (buyer, DG.owns, bought) in incremental and (bought, DG.ownedBy, buyer) in incremental
    reasoning.reason(store)
    assert incremental == inferred(store)


def test_the_kept_engine_reasons_over_additions_from_any_thread():
    store = build(Settings(update_token="t"), **QUIET).store
    quads = [(ORG["acme"], DG.owns, ORG["alapage"], USER_GRAPH)]
    store.add_quads(quads)
    with ThreadPoolExecutor(1) as other:  # a write arrives on another of the server's threads
        report = other.submit(reasoning.reason_after_write, store, quads).result()
    assert report.incremental
    assert (ORG["alapage"], DG.ownedBy, ORG["acme"]) in inferred(store)


def test_a_removal_is_reasoned_over_from_scratch():
    store = build(Settings(update_token="t"), **QUIET).store
    quad = (URIRef("https://w3id.org/dealgraph/id/deal/alapage-1999"), DG.outcome, DG.Completed, None)
    graphs = [g for s, p, o, g in store.quads() if (s, p, o) == quad[:3]]
    store.update(f"DELETE DATA {{ GRAPH <{graphs[0]}> {{ <{quad[0]}> dg:outcome dg:Completed }} }}")
    reasoning.reason_after_write(store, removed=[(*quad[:3], graphs[0])])
    assert (ORG["france-telecom"], DG.owns, ORG.alapage) not in inferred(store)


def test_what_no_rule_reads_is_a_label_of_an_unlinked_resource_only(knowledge_graph):
    store, rules, deal = knowledge_graph.store, reasoning.DOMAIN_RULES, ID["deal/alapage-1999"]
    assert reasoning.unread(store, [(deal, RDFS.label, Literal("Alapage bought"))], rules)
    assert reasoning.unread(store, [(deal, RDFS.comment, Literal("checked"))], rules)
    read = [
        (ORG["france-telecom"], RDFS.label, Literal("FT")),  # owl:sameAs wd:Q1431486: eq-rep-s copies it
        (ORG["alapage"], DG.operates, ORG["clust"]),  # dg:operates has a domain
        (deal, DG.outcome, DG.Failed),  # a domain rule reads it
        (deal, RDF.type, DG.Divestiture),  # cax-sco, by name
        (deal, RDFS.label, BNode()),  # a blank node cannot be looked up
    ]
    for triple in read:
        assert not reasoning.unread(store, [triple], rules), triple


def test_a_write_no_rule_reads_is_not_reasoned_over_and_later_writes_derive_as_from_scratch():
    store = build(Settings(update_token="t"), **QUIET).store
    before = inferred(store)
    deal, graph = ID["deal/alapage-1999"], URIRef("https://w3id.org/dealgraph/graph/jdn-2008-09-12")
    old = (deal, RDFS.label, Literal("France Télécom's purchase of Alapage (1999)", lang="en"), graph)
    new = (deal, RDFS.label, Literal("Alapage, bought by France Télécom", lang="en"), graph)
    store.update(f"DELETE DATA {{ GRAPH <{graph}> {{ {' '.join(t.n3() for t in old[:3])} }} }}")
    store.add_quads([new])
    assert reasoning.reason_after_write(store, added=[new], removed=[old]).kind == "not needed"
    assert inferred(store) == before
    quiet = (ORG["acme"], EX.holds, ORG["alapage"], USER_GRAPH)  # nothing reads ex:holds yet
    store.add_quads([quiet])
    assert reasoning.reason_after_write(store, added=[quiet]).kind == "not needed"
    schema = (EX.holds, RDFS.subPropertyOf, DG.owns, USER_GRAPH)  # now prp-spo1 does
    store.add_quads([schema])
    assert reasoning.reason_after_write(store, added=[schema]).kind == "incremental"
    after = inferred(store)
    assert (ORG["acme"], DG.owns, ORG["alapage"]) in after and (ORG["alapage"], DG.ownedBy, ORG["acme"]) in after
    assert old[:3] not in after  # the engine that still held the old label was started afresh
    reasoning.reason(store)
    assert after == inferred(store)


def test_why_explains_an_owl_triple_by_its_owl2rl_rule_and_premises(knowledge_graph):
    reasons = why(knowledge_graph.store, (ORG.alapage, DG.ownedBy, ORG["france-telecom"]))
    assert [r.rule for r in reasons] == ["prp-inv1"]
    premises = [p for p, _ in reasons[0].premises]
    assert (DG.ownedBy, OWL.inverseOf, DG.owns) in premises
    assert (ORG["france-telecom"], DG.owns, ORG.alapage) in premises


def test_why_prints_a_domain_rule_and_the_premises_it_fired_on():
    done = subprocess.run(
        [sys.executable, "-m", "dealgraph", "why", "id:org/france-telecom", "dg:owns", "id:org/alapage"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "derived by the domain rule ownership-from-acquisition" in done.stdout
    assert "dg:acquirer <https://w3id.org/dealgraph/id/org/france-telecom>" in done.stdout
    assert "[jdn-2008-09-12]" in done.stdout


def test_nothing_about_derivations_is_stored_beside_the_inferred_graph(knowledge_graph):
    graphs = {str(g).rsplit("/", 1)[-1] for g in knowledge_graph.store.graph_names()}
    assert "inferred" in graphs and "explanations" not in graphs
    assert not knowledge_graph.ask("ASK { ?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; dg:rule ?rule }")
