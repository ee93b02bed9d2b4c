"""Wikidata links, offline: what the links and the snapshot answer, the evidence every link
carries, and the owl:sameAs design (identity links, not merged copies; docs/MODEL.md)."""

from __future__ import annotations

from rdflib import Literal, URIRef

from dealgraph.config import shipped_data, shipped_ontology, shipped_shapes
from dealgraph.load import load
from dealgraph.validate import check
from dealgraph.vocab import DG
from dealgraph.wikidata.links import LINKS_QUERY

WD = "http://www.wikidata.org/entity/"
ID = "https://w3id.org/dealgraph/id/"


def test_rue_du_commerce_parent_in_wikidata_is_carrefour_group(knowledge_graph):
    rows = knowledge_graph.select(
        """SELECT ?parent ?parentLabel WHERE {
             <https://w3id.org/dealgraph/id/org/rue-du-commerce> owl:sameAs ?item .
             ?item wdt:P127 ?parent .
             ?parent rdfs:label ?parentLabel FILTER(LANG(?parentLabel) = "en")
           }"""
    )
    assert [(str(r["parent"]), str(r["parentLabel"])) for r in rows] == [(WD + "Q3117359", "Carrefour Group")]


def test_orange_inception_is_1988_01_01(knowledge_graph):
    rows = knowledge_graph.select(
        "SELECT ?inception WHERE { <https://w3id.org/dealgraph/id/org/france-telecom> owl:sameAs/wdt:P571 ?inception }"
    )
    assert [str(r["inception"])[:10] for r in rows] == ["1988-01-01"]
    # As WDQS writes it: an xsd:dateTime with "Z".
    assert knowledge_graph.ask('ASK { wd:Q1431486 wdt:P571 "1988-01-01T00:00:00Z"^^xsd:dateTime }')


def test_france_telecom_and_amazon_have_their_wikidata_items(knowledge_graph):
    rows = knowledge_graph.select(LINKS_QUERY)
    items = {(str(r["organization"]), str(r["wikidata"])) for r in rows}
    assert (ID + "org/france-telecom", WD + "Q1431486") in items
    assert (ID + "org/amazon", WD + "Q3884") in items
    assert (ID + "org/rue-du-commerce", WD + "Q3446822") in items
    assert (ID + "org/carrefour", WD + "Q3117359") in items


def test_every_link_carries_source_method_and_date(knowledge_graph):
    rows = knowledge_graph.select(LINKS_QUERY)
    by_link: dict[tuple, list[dict]] = {}
    for r in rows:
        by_link.setdefault((r["organization"], r["wikidata"]), []).append(r)
    assert len(by_link) == 4
    for link, evidence in by_link.items():
        dated = [e for e in evidence if "source" in e and "method" in e and "established" in e]
        assert dated, f"{link} has no evidence with source, method and date"
        assert all(e["method"] == DG.ConfirmedBySource for e in dated)
        assert {str(e["established"]) for e in dated} == {"2024-03"}


def test_a_query_by_the_wikidata_iri_finds_dealgraph_facts_through_the_link(knowledge_graph):
    """owl:sameAs is kept symmetric in the inferred graph, so wd:Q… owl:sameAs ?org answers."""
    rows = knowledge_graph.select(
        "SELECT DISTINCT ?deal WHERE { wd:Q1431486 owl:sameAs ?org . ?deal dg:seller ?org }"
    )
    assert URIRef(ID + "deal/alapage-2009") in {r["deal"] for r in rows}


def test_same_as_does_not_copy_facts_onto_wikidata_items(knowledge_graph):
    """No eq-rep-s/o copies: listing organizations gives each once, never its Wikidata IRI."""
    assert not knowledge_graph.ask("ASK { wd:Q1431486 a dg:Organization }")
    assert not knowledge_graph.ask("ASK { ?deal dg:seller wd:Q1431486 }")
    rows = knowledge_graph.select("SELECT ?org WHERE { ?org a dg:Organization }")
    assert rows and all(str(r["org"]).startswith(ID) for r in rows)
    copies = knowledge_graph.select(
        """SELECT ?s ?p ?o WHERE { GRAPH <https://w3id.org/dealgraph/graph/inferred> { ?s ?p ?o }
             FILTER(?p != owl:sameAs && (STRSTARTS(STR(?s), STR(wd:)) || STRSTARTS(STR(?o), STR(wd:)))) }"""
    )
    assert copies == []


def test_the_wikidata_snapshot_is_not_reasoned_over(knowledge_graph):
    assert not knowledge_graph.ask(
        "ASK { GRAPH <https://w3id.org/dealgraph/graph/inferred> { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(wd:)) "
        "&& ?p != owl:sameAs) } }"
    )


def test_a_link_without_its_method_breaks_the_shapes():
    dataset = load(shipped_data(), ontology_files=[shipped_ontology()])
    removed = list(dataset.quads((None, DG.method, DG.ConfirmedBySource, None)))
    assert len(removed) == 5
    for quad in removed:
        dataset.remove(quad)
    violations = check(dataset, shipped_shapes())
    focus = {str(v.focus) for v in violations}
    assert {ID + "org/france-telecom", ID + "org/amazon", ID + "org/rue-du-commerce", ID + "org/carrefour"} <= focus
    assert all("dg:evidence" in v.message for v in violations if str(v.focus).startswith(ID + "org/"))


def test_an_accepted_link_needs_the_day_it_was_accepted():
    dataset = load(shipped_data(), ontology_files=[shipped_ontology()])
    graph = dataset.graph(URIRef("https://w3id.org/dealgraph/graph/test"))
    alapage = URIRef(ID + "org/alapage")
    evidence = URIRef(ID + "evidence/test")
    skos_exact = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    graph.add((alapage, skos_exact, URIRef(WD + "Q1")))
    graph.add((alapage, DG.evidence, evidence))
    graph.add((evidence, DG.source, URIRef(ID + "source/wikidata-companies-2024-03")))
    graph.add((evidence, DG.certainty, DG.Stated))
    graph.add((evidence, DG.supports, skos_exact))
    graph.add((evidence, DG.method, DG.AcceptedFromLinker))
    assert any(str(v.focus) == str(alapage) for v in check(dataset, shipped_shapes()))
    graph.add((evidence, DG.establishedOn, Literal("2025-01-02", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))))
    assert not any(str(v.focus) == str(alapage) for v in check(dataset, shipped_shapes()))
