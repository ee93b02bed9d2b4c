"""Real SPARQL clients get the same answers over HTTP as dealgraph gives in process.

Three clients, each started or used as outside code would: SPARQLWrapper, rdflib's
SPARQLStore, and an Oxigraph server federating into dealgraph with ``SERVICE``.
Every saved (competency) query is run by each of them, bound as the web app binds
it, and must give exactly the rows the in-process store gives.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import requests
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper

from dealgraph.saved_queries import run_saved_query, saved_queries

DG = "https://w3id.org/dealgraph/ontology#"
FRANCE_TELECOM = URIRef("https://w3id.org/dealgraph/id/org/france-telecom")
ALAPAGE = URIRef("https://w3id.org/dealgraph/id/org/alapage")

DEAL_QUERY = f"""PREFIX dg: <{DG}>
PREFIX schema: <https://schema.org/>
SELECT ?deal ?value ?currency WHERE {{
  ?deal dg:acquirer <{FRANCE_TELECOM}> ; dg:target <{ALAPAGE}> ;
        dg:price [ schema:value ?value ; schema:currency ?currency ] .
}}"""
OWNS_QUERY = f"ASK {{ <{FRANCE_TELECOM}> <{DG}owns> <{ALAPAGE}> }}"

SAVED = saved_queries()


def term(binding: dict):
    """A SPARQL JSON binding as an rdflib term."""
    if binding["type"] == "uri":
        return URIRef(binding["value"])
    if binding["type"] == "bnode":
        return BNode(binding["value"])
    datatype = binding.get("datatype")
    return Literal(binding["value"], lang=binding.get("xml:lang"), datatype=URIRef(datatype) if datatype else None)


def comparable(rows, name: str) -> Counter:
    """Rows as a multiset, with what SPARQL leaves to each engine made alike: blank node
    labels, and the order of the values a GROUP_CONCAT joins."""
    concatenated = set(re.findall(r"GROUP_CONCAT\(.*?\)\s+AS\s+\?(\w+)", SAVED[name].text, re.I | re.S))

    def shape(column, value):
        if isinstance(value, BNode):
            return "_:"
        return tuple(sorted(str(value).split(" "))) if column in concatenated else value

    return Counter(frozenset((k, shape(k, v)) for k, v in row.items() if v is not None) for row in rows)


def in_process(knowledge_graph, name: str) -> list[dict]:
    return [dict(row) for row in run_saved_query(knowledge_graph.store, SAVED[name], {}).rows()]


def over_http(knowledge_graph, name: str, run) -> list[dict]:
    """The saved query bound exactly as in process, its final text run by *run*."""
    return run_saved_query(knowledge_graph.store, SAVED[name], {}, run=run)


def sparqlwrapper_rows(endpoint, text: str) -> list[dict]:
    client = SPARQLWrapper(f"{endpoint.url}/sparql")
    client.setQuery(text)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    return [{k: term(v) for k, v in row.items()} for row in answer["results"]["bindings"]]


def sparqlstore_rows(endpoint, text: str) -> list[dict]:
    graph = Graph(store=SPARQLStore(f"{endpoint.url}/sparql", returnFormat="xml"))
    return [{str(k): v for k, v in row.asdict().items()} for row in graph.query(text)]


def federated(oxigraph_server, endpoint, text: str) -> list[dict]:
    """*text* (a SELECT) run by Oxigraph as a SERVICE call into dealgraph."""
    prologue = "".join(re.findall(r"(?im)^\s*(?:PREFIX|BASE)\b.*\n", text))
    body = re.sub(r"(?im)^\s*(?:PREFIX|BASE)\b.*\n", "", text)
    outer = f"{prologue}SELECT * WHERE {{ SERVICE <{endpoint.url}/sparql> {{ {body} }} }}"
    response = requests.post(
        f"{oxigraph_server.url}/query",
        data=outer.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [{k: term(v) for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def select_queries() -> list[str]:
    return sorted(name for name, q in SAVED.items() if re.search(r"(?im)^\s*SELECT\b", q.text))


def test_every_saved_query_is_a_select():
    assert select_queries() == sorted(SAVED)


@pytest.mark.parametrize("name", select_queries())
def test_sparqlwrapper_gets_every_competency_answer(endpoint, knowledge_graph, name):
    rows = over_http(knowledge_graph, name, lambda text: sparqlwrapper_rows(endpoint, text))
    assert comparable(rows, name) == comparable(in_process(knowledge_graph, name), name)


@pytest.mark.parametrize("name", select_queries())
def test_rdflib_sparqlstore_gets_every_competency_answer(endpoint, knowledge_graph, name):
    rows = over_http(knowledge_graph, name, lambda text: sparqlstore_rows(endpoint, text))
    assert comparable(rows, name) == comparable(in_process(knowledge_graph, name), name)


@pytest.mark.parametrize("name", select_queries())
def test_oxigraph_federating_with_service_gets_every_competency_answer(
    endpoint, oxigraph_server, knowledge_graph, name
):
    rows = over_http(knowledge_graph, name, lambda text: federated(oxigraph_server, endpoint, text))
    assert comparable(rows, name) == comparable(in_process(knowledge_graph, name), name)


def test_sparqlwrapper_sees_france_telecom_buy_alapage_for_50_million_euros(endpoint):
    (row,) = sparqlwrapper_rows(endpoint, DEAL_QUERY)
    assert row["value"].toPython() == 50000000
    assert str(row["currency"]) == "EUR"
    client = SPARQLWrapper(f"{endpoint.url}/sparql")
    client.setQuery(OWNS_QUERY)
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_rdflib_sparqlstore_sees_the_deal_and_the_inferred_ownership(endpoint):
    (row,) = sparqlstore_rows(endpoint, DEAL_QUERY)
    assert row["value"].toPython() == 50000000
    graph = Graph(store=SPARQLStore(f"{endpoint.url}/sparql"))
    assert graph.query(OWNS_QUERY).askAnswer is True
    assert (FRANCE_TELECOM, URIRef(DG + "owns"), ALAPAGE) in graph


def test_oxigraph_federation_sees_the_deal_and_the_inferred_ownership(endpoint, oxigraph_server):
    (row,) = federated(oxigraph_server, endpoint, DEAL_QUERY)
    assert row["value"].toPython() == 50000000 and str(row["currency"]) == "EUR"
    owns = f"SELECT ?o WHERE {{ <{FRANCE_TELECOM}> <{DG}owns> ?o }}"
    assert ALAPAGE in {r["o"] for r in federated(oxigraph_server, endpoint, owns)}
