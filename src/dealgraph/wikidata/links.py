"""Links from dealgraph's organizations to Wikidata items, and the evidence each carries.

Two kinds, told apart by property and by ``dg:method`` on their evidence:

* ``owl:sameAs`` with ``dg:method dg:ConfirmedBySource``: a cited source shows the
  identifier beside the organization's name (FACTS.md's first table).
* ``skos:exactMatch`` with ``dg:method dg:AcceptedFromLinker``: a person accepted a
  candidate of ``dealgraph link`` in a review file; the evidence keeps the day
  (``dg:establishedOn``), the reviewer, the linker's score and its features.

The linker never writes a link by itself: :func:`accepted_links_turtle` only writes
the rows a person marked ``accept``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rdflib import OWL, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from ..vocab import ID, WD

#: The properties that link an organization to a Wikidata item (CONTRACT.md).
LINK_PROPERTIES = (OWL.sameAs, SKOS.exactMatch)

#: The source recorded on evidence of links accepted from the linker: the snapshot it matched against.
SNAPSHOT_SOURCE = URIRef(ID["source/wikidata-companies-2024-03"])


def qid_of(iri: Node) -> str | None:
    """``Q3884`` for ``wd:Q3884``; ``None`` for anything else."""
    text = str(iri)
    if isinstance(iri, URIRef) and text.startswith(str(WD)):
        local = text[len(str(WD)) :]
        if local.startswith("Q") and local[1:].isdigit():
            return local
    return None


def linked_qids(triples: Iterable[tuple[Node, Node, Node]]) -> set[str]:
    """The Wikidata items that dealgraph resources are linked to in *triples*."""
    return {q for s, p, o in triples if p in LINK_PROPERTIES and str(s).startswith(str(ID)) and (q := qid_of(o))}


#: Each organization's link, the method and date of each evidence, and its source.
LINKS_QUERY = """
SELECT ?organization ?label ?link ?wikidata ?method ?established ?source WHERE {
  ?organization ?link ?wikidata .
  VALUES ?link { owl:sameAs skos:exactMatch }
  FILTER(STRSTARTS(STR(?organization), STR(id:)) && STRSTARTS(STR(?wikidata), STR(wd:)))
  OPTIONAL { ?organization rdfs:label ?label FILTER(LANG(?label) = "") }
  OPTIONAL {
    ?organization dg:evidence ?evidence .
    ?evidence dg:supports ?link ; dg:method ?method ; dg:source ?source .
    OPTIONAL { ?evidence dg:establishedOn ?established }
  }
}
ORDER BY ?label ?wikidata ?source
"""


@dataclass(frozen=True)
class AcceptedLink:
    """One review-file row a person accepted: which organization is which Wikidata item, and why."""

    organization: URIRef
    qid: str
    score: float
    features: str
    reviewer: str
    day: date


def accepted_links_turtle(links: Iterable[AcceptedLink]) -> str:
    """Turtle for accepted links: ``skos:exactMatch`` and evidence with method, day, reviewer, score."""
    lines = [
        "@prefix dg: <https://w3id.org/dealgraph/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix wd: <http://www.wikidata.org/entity/> .",
        "",
    ]
    for link in links:
        comment = Literal(f"Candidate of `dealgraph link` accepted by a person; features: {link.features}.", lang="en")
        lines += [
            f"{link.organization.n3()} skos:exactMatch wd:{link.qid} ;",
            "    dg:evidence [ a dg:Evidence ;",
            f"        dg:source {SNAPSHOT_SOURCE.n3()} ; dg:certainty dg:Stated ;",
            "        dg:supports skos:exactMatch ; dg:method dg:AcceptedFromLinker ;",
            f'        dg:establishedOn "{link.day.isoformat()}"^^xsd:date ;',
            f"        dg:reviewedBy {Literal(link.reviewer).n3()} ;",
            f'        dg:linkScore "{link.score:.1f}"^^xsd:decimal ;',
            f"        rdfs:comment {comment.n3()} ] .",
            "",
        ]
    return "\n".join(lines)
