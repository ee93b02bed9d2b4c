"""The W3C Reconciliation Service API v0.2 over the graph's organizations.

An OpenRefine user reconciles a column of company names against dealgraph and gets,
for each, dealgraph's identifier (``org/alapage``, below ``https://w3id.org/dealgraph/id/``)
and, where one is linked, the Wikidata item (``wikidata`` in the candidate and in its
description). Names are compared by :func:`.names.similarity` — the same folding as the
candidate linker: case, accents, punctuation and legal forms do not count — over every
name the graph has for an organization (label, names in other languages, other
names such as the Wikidata label or the official name).

A candidate is a ``match`` only when it is confident: a score of at least
:data:`.linker.CONFIDENT` and clearly ahead (:data:`.linker.MARGIN`) of any other
organization, so an ambiguous name ("Orange": France Télécom's later name and
Wanadoo's) or an unknown one gets candidates, or none, but no match.

This module knows nothing of HTTP (:mod:`dealgraph.web.reconcile` serves it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.term import Literal, Node

from ..saved_queries import expand_curie
from ..vocab import DG, ID
from .linker import CONFIDENT, MARGIN
from .links import qid_of
from .names import fold, similarity

ORGANIZATION_TYPE = str(DG.Organization)
#: Property ids a query may constrain on besides any IRI or prefixed name of the graph.
PROPERTY_ALIASES = {
    "wikidata": ("http://www.w3.org/2002/07/owl#sameAs", "http://www.w3.org/2004/02/skos/core#exactMatch"),
}
DEFAULT_LIMIT = 5
#: Candidates scoring less than this are not returned.
MINIMUM_SCORE = 60.0

_QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}


class BadQuery(ValueError):
    """A query batch that does not follow the reconciliation query schema."""


@dataclass
class Entity:
    """One organization as the service returns it."""

    iri: str
    names: set[str] = field(default_factory=set)
    label: str = ""
    types: dict[str, str] = field(default_factory=dict)
    wikidata: set[str] = field(default_factory=set)
    values: dict[str, set[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.iri[len(str(ID)) :]

    @property
    def name(self) -> str:
        return self.label or min(self.names, default=self.id)

    def description(self) -> str:
        return ("Wikidata " + ", ".join(sorted(self.wikidata))) if self.wikidata else "not linked to Wikidata yet"


#: Every organization below id:, each fact of it (value, and the label of an IRI value), and type labels.
ENTITIES_QUERY = """
SELECT ?org ?p ?o ?oLabel WHERE {
  ?org a dg:Organization .
  FILTER(STRSTARTS(STR(?org), STR(id:)))
  ?org ?p ?o .
  FILTER(!isBlank(?o))
  OPTIONAL { ?o rdfs:label ?oLabel FILTER(LANG(?oLabel) IN ("", "en")) }
}
"""
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_NAMES = (_LABEL, "http://www.w3.org/2004/02/skos/core#altLabel", "https://schema.org/name")
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _value_texts(value: Node, label: Node | None) -> set[str]:
    texts = {str(value)}
    if label is not None:
        texts.add(str(label))
    if qid := qid_of(value):
        texts.add(qid)
    return texts


class ReconciliationIndex:
    """The organizations of one dataset version, ready to be reconciled against."""

    def __init__(self, rows):
        entities: dict[str, Entity] = {}
        for row in rows:
            entity = entities.setdefault(str(row["org"]), Entity(str(row["org"])))
            p, o, label = str(row["p"]), row["o"], row.get("oLabel")
            if p in _NAMES and isinstance(o, Literal):
                entity.names.add(str(o))
                if p == _LABEL and not o.language:
                    entity.label = str(o)
            if p == _TYPE:
                local = str(o).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                entity.types[str(o)] = str(label) if label is not None else local
            if (qid := qid_of(o)) and p in PROPERTY_ALIASES["wikidata"]:
                entity.wikidata.add(qid)
            entity.values.setdefault(p, set()).update(_value_texts(o, label))
        self.entities = {e.id: e for e in entities.values() if e.names}

    @classmethod
    def from_store(cls, store) -> ReconciliationIndex:
        return cls(store.query(ENTITIES_QUERY).rows())

    def types(self) -> list[dict]:
        return [{"id": ORGANIZATION_TYPE, "name": "Organization"}]

    def reconcile(self, query: dict) -> list[dict]:
        """The candidates for one query of a batch, best first."""
        text = query.get("query")
        wanted_types = query.get("type") or []
        wanted_types = [wanted_types] if isinstance(wanted_types, str) else list(wanted_types)
        wanted_types = [expand_curie(t) for t in wanted_types]
        strict = query.get("type_strict", "any")
        properties = query.get("properties") or []
        limit = int(query.get("limit") or DEFAULT_LIMIT)
        scored = []
        for entity in self.entities.values():
            candidate = self._score(entity, text, wanted_types, strict, properties)
            if candidate is not None and candidate["score"] >= MINIMUM_SCORE:
                scored.append(candidate)
        scored.sort(key=lambda c: (-c["score"], c["name"], c["id"]))
        if scored:
            runner_up = scored[1]["score"] if len(scored) > 1 else 0.0
            scored[0]["match"] = scored[0]["score"] >= CONFIDENT and scored[0]["score"] - runner_up >= MARGIN
        return scored[: max(limit, 0)]

    def _score(self, entity: Entity, text, wanted_types, strict, properties) -> dict | None:
        features = []
        has_type = [t in entity.types for t in wanted_types]
        if wanted_types and strict != "should":
            if (strict == "all" and not all(has_type)) or (strict != "all" and not any(has_type)):
                return None
        name_score = max((similarity(text, n) for n in entity.names), default=0.0) if text else None
        if name_score is not None:
            features.append({"id": "name", "value": round(name_score, 1)})
        matched = 0
        for constraint in properties:
            pid = constraint["pid"]
            values = constraint["v"] if isinstance(constraint["v"], list) else [constraint["v"]]
            hit = any(self._has_value(entity, pid, v) for v in values)
            matched += hit
            features.append({"id": f"property:{pid}", "value": hit})
        if name_score is None:
            score = 100.0 * matched / len(properties)
        elif properties:
            score = 0.8 * name_score + 20.0 * matched / len(properties)
        else:
            score = name_score
        if wanted_types and not any(has_type):
            score -= 10.0
        features.append({"id": "wikidata_linked", "value": bool(entity.wikidata)})
        candidate = {
            "id": entity.id,
            "name": entity.name,
            "description": entity.description(),
            "score": round(max(score, 0.0), 1),
            "match": False,
            "type": [{"id": t, "name": n} for t, n in sorted(entity.types.items())],
            "features": features,
        }
        if entity.wikidata:
            candidate["wikidata"] = sorted(entity.wikidata)[0]
        return candidate

    def _has_value(self, entity: Entity, pid: str, value) -> bool:
        wanted = value.get("id", value.get("name", "")) if isinstance(value, dict) else value
        wanted = fold(str(wanted))
        if not wanted:
            return False
        properties = PROPERTY_ALIASES.get(pid, (expand_curie(pid),))
        for prop in properties:
            for text in entity.values.get(prop, ()):
                if fold(text) == wanted or fold(text.rsplit("/", 1)[-1]) == wanted:
                    return True
        return False


def check_batch(batch) -> dict:
    """*batch* if it follows the spec's query-batch schema, else BadQuery saying what is wrong."""
    if not isinstance(batch, dict):
        raise BadQuery("a query batch is a JSON object of queries keyed by query id")
    for qid, query in batch.items():
        if not isinstance(query, dict):
            raise BadQuery(f"query {qid!r} is not an object")
        unknown = set(query) - _QUERY_KEYS
        if unknown:
            raise BadQuery(f"query {qid!r} has unknown members {sorted(unknown)}; allowed: {sorted(_QUERY_KEYS)}")
        if "query" in query and not isinstance(query["query"], str):
            raise BadQuery(f"query {qid!r}: 'query' must be a string")
        properties = query.get("properties")
        if "query" not in query and not properties:
            raise BadQuery(f"query {qid!r} needs a 'query' string or at least one property")
        if properties is not None:
            if not isinstance(properties, list):
                raise BadQuery(f"query {qid!r}: 'properties' must be a list")
            for p in properties:
                if not isinstance(p, dict) or "pid" not in p or "v" not in p:
                    raise BadQuery(f"query {qid!r}: each property needs 'pid' and 'v'")
        kind = query.get("type")
        if kind is not None and not (
            isinstance(kind, str) or (isinstance(kind, list) and all(isinstance(t, str) for t in kind))
        ):
            raise BadQuery(f"query {qid!r}: 'type' must be a string or a list of strings")
        if "limit" in query and (isinstance(query["limit"], bool) or not isinstance(query["limit"], (int, float))):
            raise BadQuery(f"query {qid!r}: 'limit' must be a number")
        if query.get("type_strict", "any") not in ("any", "should", "all"):
            raise BadQuery(f"query {qid!r}: 'type_strict' must be any, should or all")
    return batch


def manifest(base_url: str) -> dict:
    """The service manifest; *base_url* is where the app is served (ends with /)."""
    return {
        "versions": ["0.2"],
        "name": "dealgraph organizations",
        "identifierSpace": str(ID),
        "schemaSpace": str(DG),
        "documentation": base_url + "reconcile/docs",
        "defaultTypes": [{"id": ORGANIZATION_TYPE, "name": "Organization"}],
        "view": {"url": base_url + "id/{{id}}"},
        "preview": {"url": base_url + "reconcile/preview?id={{id}}", "width": 420, "height": 120},
    }


def organization_iri(entity_id: str) -> URIRef:
    return URIRef(str(ID) + entity_id)
