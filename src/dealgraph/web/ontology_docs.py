"""``GET /ontology``: the ontology at its namespace — documentation for people, Turtle for machines.

The page is generated from ``ontology/dealgraph.ttl`` (the shipped file, read once):
the ontology's metadata, then its classes, object, datatype and annotation
properties and named individuals, each with an anchor (``/ontology#Deal`` for
``dg:Deal``), its English and French labels and definitions, and its place in the
model (super-classes, domain, range, inverse, characteristics). RDF clients get
the file itself as Turtle, or the same triples in N-Triples, JSON-LD or RDF/XML.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from flask import Blueprint, Response, render_template
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.namespace import DCTERMS

from ..config import shipped_ontology
from ..vocab import DG
from . import formats
from .facts import href, short
from .i18n import LANGUAGES, language, pick_literal, words

bp = Blueprint("ontology_docs", __name__, template_folder="templates")

OFFERED = formats.RESOURCE_FORMATS
_RDFLIB_FORMATS = {"ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}

#: Sections of the page: the template's title key and the OWL type of their terms.
SECTIONS = (
    ("classes", OWL.Class),
    ("object_properties", OWL.ObjectProperty),
    ("datatype_properties", OWL.DatatypeProperty),
    ("annotation_properties", OWL.AnnotationProperty),
    ("individuals", OWL.NamedIndividual),
)
_CHARACTERISTICS = (
    OWL.TransitiveProperty,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.IrreflexiveProperty,
)


@dataclass
class Term:
    """One term of the ontology as the page lists it."""

    iri: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    relations: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


@functools.cache
def ontology_graph() -> Graph:
    """The shipped ontology, parsed once per process."""
    return Graph().parse(shipped_ontology(), format="turtle")


def _by_language(graph: Graph, subject: URIRef, *predicates: URIRef) -> dict[str, str]:
    found = [o for p in predicates for o in graph.objects(subject, p)]
    return {lang: pick_literal(found, lang) or "" for lang in LANGUAGES if found}


def _targets(graph: Graph, subject: URIRef, predicate: URIRef) -> list[tuple[str, str]]:
    """Named values of *predicate* (blank-node class expressions are left to the Turtle)."""
    return sorted((short(str(o)), href(str(o))) for o in graph.objects(subject, predicate) if isinstance(o, URIRef))


def terms(graph: Graph) -> list[tuple[str, list[Term]]]:
    """The ontology's own terms (``dg:``), by section, in alphabetical order."""
    sections = []
    for key, owl_type in SECTIONS:
        found = []
        for subject in sorted(s for s in graph.subjects(RDF.type, owl_type) if str(s).startswith(str(DG))):
            term = Term(str(subject), str(subject)[len(str(DG)) :])
            term.labels = _by_language(graph, subject, RDFS.label)
            term.definitions = _by_language(graph, subject, SKOS.definition, RDFS.comment)
            relations = [
                ("subclass_of", _targets(graph, subject, RDFS.subClassOf)),
                ("subproperty_of", _targets(graph, subject, RDFS.subPropertyOf)),
                ("domain", _targets(graph, subject, RDFS.domain)),
                ("range", _targets(graph, subject, RDFS.range)),
                ("inverse_of", _targets(graph, subject, OWL.inverseOf)),
                (
                    "characteristics",
                    [(short(str(c)), str(c)) for c in _CHARACTERISTICS if (subject, RDF.type, c) in graph],
                ),
            ]
            if owl_type == OWL.NamedIndividual:
                classes = [t for t in _targets(graph, subject, RDF.type) if t[0] != "owl:NamedIndividual"]
                relations.append(("member_of", classes))
            term.relations = [(k, v) for k, v in relations if v]
            found.append(term)
        sections.append((key, found))
    return sections


def _header(graph: Graph, lang: str) -> dict[str, str]:
    ontology = next(graph.subjects(RDF.type, OWL.Ontology), None)
    if ontology is None:
        return {}

    def one(predicate: URIRef) -> str:
        return pick_literal(list(graph.objects(ontology, predicate)), lang) or ""

    return {
        "iri": str(ontology),
        "title": one(DCTERMS.title),
        "description": one(DCTERMS.description),
        "version": str(graph.value(ontology, OWL.versionInfo) or ""),
        "version_iri": str(graph.value(ontology, OWL.versionIRI) or ""),
        "license": str(graph.value(ontology, DCTERMS.license) or ""),
        "creator": str(graph.value(ontology, DCTERMS.creator) or ""),
    }


@bp.route("/ontology")
def ontology() -> Response:
    """The ontology: documentation for browsers, RDF by ``Accept`` or ``?format=``."""
    chosen = formats.requested(OFFERED, "the ontology is offered as")
    graph = ontology_graph()
    if chosen.name == "turtle":
        body: bytes | str = shipped_ontology().read_bytes()
    elif chosen.name == "html":
        lang = language()
        body = render_template(
            "pages/ontology.html",
            t=words(lang),
            lang=lang,
            other=[x for x in LANGUAGES if x != lang][0],
            header=_header(graph, lang),
            sections=terms(graph),
            formats=[f for f in OFFERED if f.name != "html"],
            title=words(lang)["ontology"],
        )
    else:
        body = graph.serialize(format=_RDFLIB_FORMATS[chosen.name], encoding="utf-8")
    response = Response(body, 200, content_type=chosen.content_type)
    response.vary.update(("Accept", "Accept-Language"))
    response.headers["Cache-Control"] = "no-cache"
    return response
