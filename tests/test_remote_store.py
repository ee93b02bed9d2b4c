"""dealgraph on a remote SPARQL 1.1 store: a real ``oxigraph serve`` on loopback holds the data and runs the rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import RunningServer, _wait_until_up, free_port, start_dealgraph
from rdflib import URIRef

from dealgraph import Settings, build
from dealgraph.explain import why
from dealgraph.remote_store import SparqlStore, parse_store_option
from dealgraph.vocab import DG, ID, INFERRED_GRAPH

FT = "https://w3id.org/dealgraph/id/org/france-telecom"
QUIET = {"progress": lambda message: None}
RULE = "https://w3id.org/dealgraph/id/rule/ownership-from-acquisition"


@pytest.fixture
def oxigraph(tmp_path):
    """A fresh, empty Oxigraph server with a query and an update endpoint."""
    executable = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(executable).exists():
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    log = tmp_path / "oxigraph.log"
    process = subprocess.Popen(
        [executable, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    _wait_until_up(server, "/query?query=ASK%7B%7D", 30)
    yield server
    server.stop()


def test_sparql_plus_http_names_the_query_and_update_endpoints():
    assert parse_store_option("sparql+http://h:7878/query") == ("http://h:7878/query", "http://h:7878/update")
    assert parse_store_option("sparql+https://h/ds/sparql") == ("https://h/ds/sparql", "https://h/ds/update")
    assert parse_store_option("sparql+http://h/endpoint") == ("http://h/endpoint", None)


def test_the_shipped_data_loaded_into_a_remote_store_is_reasoned_over_there_like_the_embedded_one(oxigraph):
    settings = Settings(store_url=oxigraph.url + "/query", update_url=oxigraph.url + "/update")
    remote = build(settings, **QUIET).store
    embedded = build(Settings(), **QUIET).store
    assert isinstance(remote, SparqlStore)
    assert remote.graph_counts() == embedded.graph_counts()
    # The domain rules ran as updates on the server, and it finds again why they concluded.
    reasons = why(remote, (URIRef(FT), DG.owns, URIRef(ID["org/alapage"])))
    assert [(r.kind, r.rule) for r in reasons] == [("domain rule", RULE.rsplit("/", 1)[-1])]
    assert (URIRef(ID["deal/alapage-1999"]), DG.acquirer, URIRef(FT)) in [p for p, _ in reasons[0].premises]
    query = f"SELECT ?o WHERE {{ <{FT}> dg:controls ?o }} ORDER BY ?o"
    assert list(remote.query(query).rows()) == list(embedded.query(query).rows())
    assert remote.contains(next(iter(embedded.quads(INFERRED_GRAPH)))[0], *list(embedded.quads(INFERRED_GRAPH))[0][1:3])


def test_serve_answers_saved_queries_from_a_remote_store(oxigraph, tmp_path):
    build(Settings(store_url=oxigraph.url + "/query", update_url=oxigraph.url + "/update"), **QUIET)
    server = start_dealgraph(tmp_path / "serve.log", "--store-url", f"sparql+{oxigraph.url}/query")
    try:
        answer = requests.get(
            server.url + "/queries/acquisitions-by-acquirer", params={"organization": FT, "format": "json"}
        )
        assert answer.status_code == 200, answer.text
        targets = {b["target"]["value"].rsplit("/", 1)[-1] for b in answer.json()["results"]["bindings"]}
        assert {"alapage", "marcopoly"} <= targets
        health = requests.get(server.url + "/health").json()
        assert health["graphs"][str(INFERRED_GRAPH)] > 300
        assert "using the dataset on" in server.log_text()
    finally:
        server.stop()
