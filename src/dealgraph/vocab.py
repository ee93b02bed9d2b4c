"""The IRIs that CONTRACT.md fixes, in one place, so no module spells them twice."""

from rdflib import Namespace, URIRef

DG = Namespace("https://w3id.org/dealgraph/ontology#")
ID = Namespace("https://w3id.org/dealgraph/id/")
GRAPH = Namespace("https://w3id.org/dealgraph/graph/")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
PROV = Namespace("http://www.w3.org/ns/prov#")

ONTOLOGY_GRAPH = URIRef(GRAPH["ontology"])
INFERRED_GRAPH = URIRef(GRAPH["inferred"])
#: Where explanations of the domain rules' conclusions were stored until they were found
#: when asked (:mod:`dealgraph.explain`); reasoning drops it from a store built before.
RETIRED_EXPLANATIONS_GRAPH = URIRef(GRAPH["explanations"])
WIKIDATA_GRAPH = URIRef(GRAPH["wikidata"])
USER_GRAPH = URIRef(GRAPH["user"])

#: Graphs that reasoning writes; every other graph holds asserted facts.
DERIVED_GRAPHS = (INFERRED_GRAPH, RETIRED_EXPLANATIONS_GRAPH)

#: Prefixes offered to every query (and shown in the editor), as a SPARQL engine's
#: "default prefixes": a query may still declare its own.
PREFIXES = {
    "dg": str(DG),
    "id": str(ID),
    "schema": str(SCHEMA),
    "wd": str(WD),
    "wdt": str(WDT),
    "prov": str(PROV),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
}


def graph_iri(name: str) -> URIRef:
    """The IRI of the project graph called *name* (e.g. a data file's stem)."""
    return URIRef(GRAPH[name])


def sparql_prologue() -> str:
    """PREFIX lines for every prefix in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
