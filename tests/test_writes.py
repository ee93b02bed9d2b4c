"""Writes over HTTP (``POST /update``, the Graph Store Protocol at ``/store``) against real
``dealgraph serve --store DIR`` processes: who may write, what a write may change, and
that an acknowledged write survives ``kill -9``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
import requests
from conftest import RunningServer, start_dealgraph

TOKEN = "test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {"Content-Type": "application/sparql-update"}
ID = "https://w3id.org/dealgraph/id/"
GRAPH = "https://w3id.org/dealgraph/graph/"

#: A completed acquisition, valid against the shapes; reasoning derives that the buyer owns the target.
NEW_DEAL = f"""INSERT DATA {{
  <{ID}org/test-buyer> a dg:Organization ; rdfs:label "Test Buyer" .
  <{ID}deal/test-buyer-alapage> a dg:Acquisition ; rdfs:label "Test Buyer buys Alapage" ;
    dg:acquirer <{ID}org/test-buyer> ; dg:target <{ID}org/alapage> ; dg:outcome dg:Completed ;
    dg:date "2010"^^xsd:gYear ;
    dg:evidence [ a dg:Evidence ; dg:source <{ID}source/jdn-2008-09-12> ; dg:certainty dg:Stated ] .
}}"""
OWNS = f"ASK {{ GRAPH <{GRAPH}inferred> {{ <{ID}org/test-buyer> dg:owns <{ID}org/alapage> }} }}"


def fingerprint(server: RunningServer) -> str:
    """A hash of the whole dataset (inferred graph included) as the server serves it."""
    response = requests.get(server.url + "/dataset.nq.gz", timeout=30)
    response.raise_for_status()
    return hashlib.sha256(response.content).hexdigest()


def ask(server: RunningServer, query: str) -> bool:
    response = requests.get(server.url + "/sparql", params={"query": query}, headers={"Accept": "application/json"},
                            timeout=30)
    response.raise_for_status()
    return response.json()["boolean"]


def update(server: RunningServer, text: str, headers: dict | None = None) -> requests.Response:
    return requests.post(server.url + "/update", data=text.encode(), headers={**UPDATE, **(headers or {})}, timeout=60)


@pytest.fixture(scope="module")
def writable(tmp_path_factory) -> Iterator[RunningServer]:
    """``dealgraph serve --store DIR`` on the shipped data, with an update token."""
    folder = tmp_path_factory.mktemp("writable")
    server = start_dealgraph(folder / "serve.log", "--store", str(folder / "store"),
                             env={"DEALGRAPH_UPDATE_TOKEN": TOKEN})
    server.store = folder / "store"
    yield server
    server.stop()


def test_writes_without_a_token_are_refused_with_401_and_the_data_unchanged(writable):
    before = fingerprint(writable)
    responses = [
        update(writable, NEW_DEAL),
        requests.post(writable.url + "/update", data={"update": NEW_DEAL}, timeout=30),
        requests.put(writable.url + "/store?default", data=b"<urn:a> <urn:b> <urn:c> .",
                     headers={"Content-Type": "text/turtle"}, timeout=30),
        requests.post(writable.url + "/store?graph=urn:x:g", data=b"<urn:a> <urn:b> <urn:c> .",
                      headers={"Content-Type": "text/turtle"}, timeout=30),
        requests.delete(writable.url + f"/store?graph={GRAPH}jdn-2008-09-12", timeout=30),
        update(writable, NEW_DEAL, {"Authorization": "Basic dXNlcjpwYXNz"}),
    ]
    for response in responses:
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["status"] == 401
    assert fingerprint(writable) == before


def test_writes_with_a_wrong_token_are_refused_with_403_and_the_data_unchanged(writable):
    before = fingerprint(writable)
    wrong = {"Authorization": f"Bearer {TOKEN}x"}
    responses = [
        update(writable, NEW_DEAL, wrong),
        requests.put(writable.url + "/store?default", data=b"<urn:a> <urn:b> <urn:c> .",
                     headers={"Content-Type": "text/turtle", **wrong}, timeout=30),
        requests.delete(writable.url + f"/store?graph={GRAPH}jdn-2008-09-12", headers=wrong, timeout=30),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert fingerprint(writable) == before


def test_a_server_without_a_token_refuses_every_write(endpoint):
    response = update(endpoint, NEW_DEAL, AUTH)
    assert response.status_code == 403
    assert "DEALGRAPH_UPDATE_TOKEN" in response.json()["error"]["detail"]


def test_a_write_that_breaks_the_shapes_is_refused_whole(writable):
    before = fingerprint(writable)
    half_good = f"""INSERT DATA {{
      <{ID}org/alapage> skos:altLabel "Alapage (valid half)" .
      <{ID}deal/broken> dg:acquirer <{ID}org/alapage> ; dg:date "2008-02-30"^^xsd:date .
    }}"""
    response = update(writable, half_good, AUTH)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert any("deal/broken" in v and "dg:date" not in v or "date" in v for v in error["violations"])
    assert any(f"{ID}deal/broken" in v for v in error["violations"])
    assert fingerprint(writable) == before
    assert not ask(writable, 'ASK { ?s skos:altLabel "Alapage (valid half)" }')


def test_a_write_is_checked_on_its_blank_nodes_too(writable):
    before = fingerprint(writable)
    no_source = f"""INSERT DATA {{
      <{ID}deal/unsourced> a dg:Acquisition ; rdfs:label "unsourced deal" ;
        dg:acquirer <{ID}org/alapage> ; dg:target <{ID}org/marcopoly> ; dg:outcome dg:Completed ;
        dg:evidence [ a dg:Evidence ; dg:certainty dg:Stated ] .
    }}"""
    response = update(writable, no_source, AUTH)
    assert response.status_code == 422, response.text
    violations = response.json()["error"]["violations"]
    assert any("dg:source" in v and v.split(": ", 1)[1].startswith("_:") for v in violations), violations
    assert fingerprint(writable) == before


def test_a_write_that_breaks_a_shape_of_a_node_pointing_at_what_it_changed_is_refused(writable):
    # Alapage stops being an organization: the deals naming it as their target break.
    before = fingerprint(writable)
    response = update(writable, f"DELETE WHERE {{ GRAPH ?g {{ <{ID}org/alapage> a dg:Organization }} }}", AUTH)
    assert response.status_code == 422, response.text
    assert any(f"{ID}deal/alapage-1999" in v for v in response.json()["error"]["violations"])
    assert fingerprint(writable) == before


def test_the_ontology_and_the_derived_graphs_cannot_be_written(writable):
    before = fingerprint(writable)
    attempts = [
        update(writable, f"INSERT DATA {{ GRAPH <{GRAPH}ontology> {{ <urn:a> <urn:b> <urn:c> }} }}", AUTH),
        update(writable, f"DELETE WHERE {{ GRAPH <{GRAPH}inferred> {{ ?s ?p ?o }} }}", AUTH),
        update(writable, "DROP ALL", AUTH),
        requests.put(writable.url + f"/store?graph={GRAPH}explanations", data=b"<urn:a> <urn:b> <urn:c> .",
                     headers={"Content-Type": "text/turtle", **AUTH}, timeout=30),
        requests.delete(writable.url + f"/store?graph={GRAPH}ontology", headers=AUTH, timeout=30),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert "cannot be written" in response.json()["error"]["detail"]
    assert fingerprint(writable) == before


def test_an_accepted_update_goes_to_the_user_graph_and_updates_the_inferences(writable):
    response = update(writable, NEW_DEAL, AUTH)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["graphs"][f"{GRAPH}user"]["added"] == 12
    assert report["derived"][f"{GRAPH}inferred"]["added"] > 0
    assert ask(writable, OWNS)
    turtle = requests.get(writable.url + "/store?default", headers={"Accept": "text/turtle"}, timeout=30).text
    assert "Test Buyer" in turtle
    # The engine's state was kept: the next addition derives only what follows from it.
    another = NEW_DEAL.replace("test-buyer", "second-buyer").replace("Test Buyer", "Second Buyer")
    second = update(writable, another, AUTH)
    assert second.status_code == 200, second.text
    assert second.json()["reasoning"] == "incremental"
    assert second.json()["derived"] == report["derived"]  # the same deal's consequences, found either way
    assert ask(writable, OWNS.replace("test-buyer", "second-buyer"))
    assert ask(writable, f"ASK {{ <{ID}org/alapage> dg:ownedBy <{ID}org/second-buyer> }}")
    removed = update(writable, f"DELETE WHERE {{ <{ID}deal/test-buyer-alapage> dg:outcome ?o }}", AUTH)
    assert removed.status_code == 200, removed.text
    assert removed.json()["reasoning"] == "from scratch"
    assert not ask(writable, OWNS)
    assert json.loads(removed.text)["derived"][f"{GRAPH}inferred"]["removed"] > 0


def test_the_graph_store_protocol_puts_reads_adds_and_deletes_a_graph(writable):
    graph = "urn:x-test:notes"
    url = writable.url + "/store"
    turtle = {"Content-Type": "text/turtle", **AUTH}
    created = requests.put(url, params={"graph": graph}, data=b"<urn:a> <urn:b> \"one\" .", headers=turtle, timeout=30)
    assert created.status_code == 201, created.text
    added = requests.post(url, params={"graph": graph}, data=b"<urn:a> <urn:b> \"two\" .",
                          headers={"Content-Type": "application/n-triples", **AUTH}, timeout=30)
    assert added.status_code == 200
    read = requests.get(url, params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=30)
    assert sorted(read.text.split("\n")) == ['', '<urn:a> <urn:b> "one" .', '<urn:a> <urn:b> "two" .']
    assert requests.head(url, params={"graph": graph}, timeout=30).status_code == 200
    replaced = requests.put(url, params={"graph": graph}, data=b"<urn:a> <urn:b> \"three\" .", headers=turtle,
                            timeout=30)
    assert replaced.status_code == 200 and replaced.json()["graphs"][graph] == {"added": 1, "removed": 2}
    bad = requests.put(url, params={"graph": graph}, data=b"<urn:a> <urn:b> .", headers=turtle, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["line"] == 1
    assert requests.delete(url, params={"graph": graph}, headers=AUTH, timeout=30).status_code == 200
    assert requests.get(url, params={"graph": graph}, timeout=30).status_code == 404
    assert requests.delete(url, params={"graph": graph}, headers=AUTH, timeout=30).status_code == 404


def test_every_write_is_logged_with_who_what_and_how_many_triples(writable):
    update(writable, f'INSERT DATA {{ <{ID}org/alapage> skos:altLabel "Alapage (logged)" }}', AUTH)
    update(writable, f"INSERT DATA {{ GRAPH <{GRAPH}ontology> {{ <urn:a> <urn:b> <urn:c> }} }}", AUTH)
    records = [json.loads(line) for line in (writable.store / "dealgraph-writes.jsonl").read_text().splitlines()]
    applied = [r for r in records if r["outcome"] == "applied" and r["kind"] == "update"][-1]
    assert applied["who"].startswith("token:") and "127.0.0.1" in applied["who"]
    assert applied["graphs"] == {f"{GRAPH}user": {"added": 1, "removed": 0}}
    assert TOKEN not in json.dumps(records)
    assert records[-1]["outcome"] == "refused"
    assert "write " in writable.log_text()


def test_renaming_a_deal_changes_no_inference_and_is_not_reasoned_over(writable):
    deal, jdn = f"<{ID}deal/alapage-1999>", f"<{GRAPH}jdn-2008-09-12>"
    renamed = update(
        writable,
        f"""DELETE DATA {{ GRAPH {jdn} {{ {deal} rdfs:label "France Télécom's purchase of Alapage (1999)"@en }} }} ;
        INSERT DATA {{ GRAPH {jdn} {{ {deal} rdfs:label "Alapage, bought by France Télécom"@en }} }}""",
        AUTH,
    )
    assert renamed.status_code == 200, renamed.text
    report = renamed.json()
    assert report["reasoning"] == "not needed" and report["derived"] == {}
    assert report["graphs"] == {f"{GRAPH}jdn-2008-09-12": {"added": 1, "removed": 1}}
    assert ask(writable, f'ASK {{ {deal} rdfs:label "Alapage, bought by France Télécom"@en }}')
    assert ask(writable, f"ASK {{ <{ID}org/france-telecom> dg:owns <{ID}org/alapage> }}")


def test_an_acknowledged_write_survives_kill_9_and_restart(tmp_path):
    store = tmp_path / "store"
    env = {"DEALGRAPH_UPDATE_TOKEN": TOKEN}
    server = start_dealgraph(tmp_path / "first.log", "--store", str(store), env=env)
    try:
        response = update(server, NEW_DEAL, AUTH)
        assert response.status_code == 200, response.text
    finally:
        server.process.kill()  # SIGKILL right after the 2xx: no shutdown, no flush on exit
        server.process.wait()
    again = start_dealgraph(tmp_path / "second.log", "--store", str(store), env=env)
    try:
        assert "using the dataset already in" in again.log_text()
        assert ask(again, f'ASK {{ <{ID}org/test-buyer> rdfs:label "Test Buyer" }}')
        assert ask(again, OWNS)
    finally:
        again.stop()
