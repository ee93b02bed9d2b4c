"""The query workers' replicas follow the authoritative store: a write is seen by the next query."""

from __future__ import annotations

import json

import pytest
from rdflib import URIRef

from dealgraph import OxigraphStore, Settings
from dealgraph.vocab import USER_GRAPH
from dealgraph.web import create_app

SUBJECT = URIRef("https://w3id.org/dealgraph/id/org/example")


@pytest.fixture
def app():
    store = OxigraphStore()
    store.add_quads([(SUBJECT, URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    app = create_app(Settings(query_workers=1, shapes=None), store)
    yield app
    app.extensions["dealgraph"].pool.close()


def owned(client) -> set[str]:
    query = f"SELECT ?o WHERE {{ <{SUBJECT}> ?p ?o }}"
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    return {row["o"]["value"] for row in json.loads(response.data)["results"]["bindings"]}


def test_a_write_to_the_store_reaches_the_replicas_before_the_next_query(app):
    client = app.test_client()
    assert owned(client) == {f"{SUBJECT}-a"}
    store = app.extensions["dealgraph"].store
    store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
    assert owned(client) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
    health = json.loads(client.get("/health").data)
    assert health["graphs"][str(USER_GRAPH)] == 2
