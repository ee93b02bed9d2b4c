"""After the first write, a write that only adds is reasoned over incrementally, and the
derived graphs come out exactly as deriving everything again would make them."""

from __future__ import annotations

import pyoxigraph as ox

from dealgraph import Settings, build
from dealgraph.config import shipped_shapes
from dealgraph.reason import reason
from dealgraph.vocab import EXPLANATIONS_GRAPH, INFERRED_GRAPH
from dealgraph.writes import Writer

ID = "https://w3id.org/dealgraph/id/"


def deal(buyer: str, year: int) -> str:
    """An update adding a completed, valid acquisition of Alapage by a new organization."""
    return f"""PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA {{
  <{ID}org/{buyer}> a dg:Organization ; rdfs:label "{buyer}" .
  <{ID}deal/{buyer}-alapage> a dg:Acquisition ; rdfs:label "{buyer} buys Alapage" ;
    dg:acquirer <{ID}org/{buyer}> ; dg:target <{ID}org/alapage> ; dg:outcome dg:Completed ;
    dg:date "{year}"^^xsd:gYear ;
    dg:evidence [ a dg:Evidence ; dg:source <{ID}source/jdn-2008-09-12> ; dg:certainty dg:Stated ] .
}}"""


def derived(store) -> dict[str, set]:
    """The derived graphs as N-Triples lines (an explanation of a blank node is a fresh blank node: left out)."""
    out = {}
    for graph in (INFERRED_GRAPH, EXPLANATIONS_GRAPH):
        quads = store._store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph)))
        out[str(graph)] = {
            f"{q.subject} {q.predicate} {q.object}"
            for q in quads
            if graph == INFERRED_GRAPH or not isinstance(q.subject, ox.BlankNode)
        }
    return out


def test_an_additive_write_after_the_first_is_reasoned_incrementally_with_the_same_result():
    store = build(Settings(), progress=lambda message: None).store
    writer = Writer(store, shipped_shapes())
    first = writer.update(deal("first-buyer", 2010), who="test")
    second = writer.update(deal("second-buyer", 2011), who="test")
    assert (first.reasoning, second.reasoning) == ("full", "incremental")
    assert second.derived[str(INFERRED_GRAPH)]["added"] > 0
    owns = f"ASK {{ <{ID}org/second-buyer> <https://w3id.org/dealgraph/ontology#owns> <{ID}org/alapage> }}"
    assert store.query(owns).boolean
    from_scratch = store.copy()
    reason(from_scratch)
    assert derived(store) == derived(from_scratch)
    removal = writer.update(
        f"DELETE WHERE {{ <{ID}deal/second-buyer-alapage> <https://w3id.org/dealgraph/ontology#outcome> ?o }}",
        who="test",
    )
    assert removal.reasoning == "full"
    assert not store.query(owns).boolean
    writer.close()
