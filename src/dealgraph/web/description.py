"""The SPARQL Service Description of the endpoint, with a VoID description of each graph.

``GET /sparql`` without a query answers with it (W3C SPARQL 1.1 Service Description):
what the endpoint supports, and its dataset — the default graph (the union of all
graphs) and each named graph with its triple count, licence, sources and how to
cite it, plus where to download the whole dataset (``void:dataDump``).

A graph's licence and sources come from the data itself (``dcterms:license`` stated
in the graph; the news articles and documents it describes); otherwise the
dataset's licence from :class:`dealgraph.config.Settings` applies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from ..config import Settings
from ..store import OxigraphStore
from ..vocab import DERIVED_GRAPHS, INFERRED_GRAPH, WIKIDATA_GRAPH
from .formats import GRAPH_FORMATS, SOLUTION_FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

#: The W3C format IRIs (http://www.w3.org/ns/formats/) of the formats we serve.
_FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS["SPARQL_Results_JSON"],
    "application/sparql-results+xml": FORMATS["SPARQL_Results_XML"],
    "text/csv": FORMATS["SPARQL_Results_CSV"],
    "text/tab-separated-values": FORMATS["SPARQL_Results_TSV"],
    "text/turtle": FORMATS["Turtle"],
    "application/n-triples": FORMATS["N-Triples"],
    "application/ld+json": FORMATS["JSON-LD"],
    "application/rdf+xml": FORMATS["RDF_XML"],
    "application/trig": FORMATS["TriG"],
    "application/n-quads": FORMATS["N-Quads"],
}

_METADATA_QUERY = """
SELECT ?g ?license ?doc ?title ?url ?publisher ?date WHERE {
  {
    GRAPH ?g { ?x dcterms:license ?license }
  } UNION {
    GRAPH ?g {
      ?doc a ?type .
      VALUES ?type { schema:NewsArticle schema:Article schema:CreativeWork schema:Dataset schema:WebPage }
      OPTIONAL { ?doc schema:headline|schema:name|dcterms:title ?title }
      OPTIONAL { ?doc schema:url ?url }
      OPTIONAL { ?doc schema:datePublished ?date }
    }
    OPTIONAL { ?doc schema:publisher/rdfs:label ?publisher }
  }
}
"""


@dataclass
class _GraphFacts:
    licenses: set[URIRef] = field(default_factory=set)
    sources: dict[URIRef, dict[str, str]] = field(default_factory=dict)


def _graph_facts(store: OxigraphStore) -> dict[URIRef, _GraphFacts]:
    facts: dict[URIRef, _GraphFacts] = defaultdict(_GraphFacts)
    for row in store.query(_METADATA_QUERY).rows():
        entry = facts[row["g"]]
        if "license" in row and isinstance(row["license"], URIRef):
            entry.licenses.add(row["license"])
        if "doc" in row:
            source = entry.sources.setdefault(row["doc"], {})
            for key in ("title", "url", "publisher", "date"):
                if key in row:
                    source.setdefault(key, str(row[key]))
    return facts


def _citation(settings: Settings, graph: URIRef, facts: _GraphFacts) -> str:
    cited = []
    for doc, source in sorted(facts.sources.items()):
        if "title" in source:
            parts = [source.get("publisher"), f"“{source['title']}”", source.get("date"), source.get("url", str(doc))]
            cited.append(", ".join(p for p in parts if p))
    text = f"{settings.dataset_citation} Graph <{graph}>."
    return text + (" Sources: " + "; ".join(cited) + "." if cited else "")


def _describe_graph(
    sd: Graph, node: BNode, graph: URIRef, count: int, facts: _GraphFacts, settings: Settings, asserted: list[URIRef]
) -> None:
    sd.add((node, RDF.type, SD.Graph))
    sd.add((node, RDF.type, VOID.Dataset))
    sd.add((node, VOID.triples, Literal(count, datatype=XSD.integer)))
    for license in sorted(facts.licenses) or [URIRef(settings.dataset_license)]:
        sd.add((node, DCTERMS.license, license))
    for doc, source in facts.sources.items():
        sd.add((node, DCTERMS.source, doc))
        if "url" in source:
            sd.add((node, DCTERMS.source, URIRef(source["url"])))
    if graph in DERIVED_GRAPHS:
        for other in asserted:
            sd.add((node, DCTERMS.source, other))
        what = "triples derived by reasoning (OWL 2 RL closure and domain rules)"
        sd.add((node, RDFS.comment, Literal(f"Only {what}, from the asserted graphs.", lang="en")))
    elif graph == WIKIDATA_GRAPH:
        sd.add((node, DCTERMS.source, URIRef("https://www.wikidata.org/")))
    sd.add((node, DCTERMS.bibliographicCitation, Literal(_citation(settings, graph, facts))))


def service_description(store: OxigraphStore, counts: dict[str, int], settings: Settings, base_url: str) -> Graph:
    """The description of the endpoint at ``{base_url}sparql``, as an rdflib Graph."""
    endpoint = URIRef(f"{base_url}sparql")
    dataset = URIRef(f"{base_url}sparql#dataset")
    sd = Graph()
    for prefix, namespace in (("sd", SD), ("void", VOID), ("formats", FORMATS), ("dcterms", DCTERMS)):
        sd.bind(prefix, namespace)
    sd.add((endpoint, RDF.type, SD.Service))
    sd.add((endpoint, SD.endpoint, endpoint))
    sd.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    sd.add((endpoint, SD.feature, SD.UnionDefaultGraph))
    sd.add((endpoint, SD.feature, SD.BasicFederatedQuery))
    for media_type in dict.fromkeys(f.media_type for f in SOLUTION_FORMATS + GRAPH_FORMATS):
        if media_type in _FORMAT_IRIS:
            sd.add((endpoint, SD.resultFormat, _FORMAT_IRIS[media_type]))
    sd.add((endpoint, SD.defaultDataset, dataset))

    total = sum(counts.values())
    sd.add((dataset, RDF.type, SD.Dataset))
    sd.add((dataset, RDF.type, VOID.Dataset))
    sd.add((dataset, DCTERMS.title, Literal("dealgraph", lang="en")))
    sd.add((dataset, DCTERMS.license, URIRef(settings.dataset_license)))
    sd.add((dataset, DCTERMS.bibliographicCitation, Literal(settings.dataset_citation)))
    sd.add((dataset, VOID.sparqlEndpoint, endpoint))
    sd.add((dataset, VOID.triples, Literal(total, datatype=XSD.integer)))
    dump = URIRef(f"{base_url}dataset.nq.gz")
    sd.add((dataset, VOID.dataDump, dump))
    sd.add((dump, DCTERMS["format"], Literal("application/n-quads")))
    sd.add((dump, RDFS.comment, Literal("The whole dataset, inferred graph included, as gzipped N-Quads.", lang="en")))

    default = BNode()
    sd.add((dataset, SD.defaultGraph, default))
    sd.add((default, RDF.type, SD.Graph))
    sd.add((default, VOID.triples, Literal(total, datatype=XSD.integer)))
    sd.add((default, RDFS.comment, Literal("The union of all the named graphs.", lang="en")))

    facts = _graph_facts(store)
    named = [URIRef(g) for g in counts if g]
    asserted = [g for g in named if g not in DERIVED_GRAPHS]
    for graph in named:
        entry, description = BNode(), BNode()
        sd.add((dataset, SD.namedGraph, entry))
        sd.add((entry, RDF.type, SD.NamedGraph))
        sd.add((entry, SD.name, graph))
        sd.add((entry, SD.graph, description))
        sd.add((dataset, VOID.subset, description))
        _describe_graph(sd, description, graph, counts[str(graph)], facts.get(graph, _GraphFacts()), settings, asserted)
    if str(INFERRED_GRAPH) in counts:
        sd.add(
            (
                dataset,
                RDFS.comment,
                Literal(
                    f"Asserted facts only: name every graph but <{INFERRED_GRAPH}> with default-graph-uri.", lang="en"
                ),
            )
        )
    return sd
