"""Federation and the live snapshot refresh, against a real SPARQL server: ``oxigraph serve``
loaded with the committed Wikidata snapshot, standing in for Wikidata's query service."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import RunningServer, _wait_until_up, free_port, start_dealgraph
from rdflib import URIRef

from dealgraph.config import shipped_path
from dealgraph.federation import ServiceNotAllowed, outbound_targets
from dealgraph.store import OxigraphStore
from dealgraph.wikidata import snapshot

#: A fact the committed snapshot does not have: the stand-in knows more than the files.
EXTRA = (
    "<http://www.wikidata.org/entity/Q3446822> <http://www.wikidata.org/prop/direct/P31> "
    "<http://www.wikidata.org/entity/Q4382945> .\n"
)
OWNER_QUERY = """SELECT ?owner WHERE { SERVICE <%s> { wd:Q3446822 wdt:P127 ?owner } }"""


@pytest.fixture(scope="module")
def wikidata_stand_in(tmp_path_factory) -> Iterator[RunningServer]:
    """``oxigraph load`` the snapshot into a folder, then ``oxigraph serve`` it on a free port."""
    executable = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(executable).exists():
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    folder = tmp_path_factory.mktemp("wikidata-stand-in")
    data = folder / "wikidata.nt"
    data.write_bytes(gzip.decompress((shipped_path("data") / "wikidata.nt.gz").read_bytes()) + EXTRA.encode())
    subprocess.run([executable, "load", "--location", str(folder / "db"), "--file", str(data)], check=True,
                   capture_output=True)
    port = free_port()
    log = folder / "oxigraph.log"
    process = subprocess.Popen(
        [executable, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    _wait_until_up(server, "/query?query=ASK%7B%7D", 30)
    yield server
    server.stop()


def test_no_outbound_call_without_an_allow_list():
    store = OxigraphStore()
    for query in (
        OWNER_QUERY % "http://127.0.0.1:1/sparql",
        "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { BIND(<http://example.org/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        "PREFIX x: <http://example.org/> SELECT * WHERE { service x:sparql { ?s ?p ?o } }",
    ):
        with pytest.raises(ServiceNotAllowed):
            store.query(query)
    with pytest.raises(ServiceNotAllowed):
        store.update("LOAD <http://example.org/data.ttl>")


def test_the_check_reads_the_endpoint_as_the_engine_would():
    query = "PREFIX e: <http://a.example/> # SERVICE <http://comment.example/>\n" \
            'SELECT ("SERVICE <http://string.example/>" AS ?x) WHERE { SERVICE e:q {} SERVICE <http://b.example/q> {} }'
    assert outbound_targets(query) == ["http://a.example/q", "http://b.example/q"]


def test_a_less_than_in_a_filter_neither_hides_a_service_nor_makes_one_of_a_string():
    """``<'x>{'`` after an operand is a comparison with a string, as Oxigraph reads it: not an IRI
    followed by a brace, after which the quotes would pair the wrong way."""
    hidden = "SELECT * WHERE { ?s ?p ?o FILTER(?o<'x>{') SERVICE <http://evil.example/> {} FILTER(?o != '') }"
    assert outbound_targets(hidden) == ["http://evil.example/"]
    with pytest.raises(ServiceNotAllowed):
        OxigraphStore().query(hidden)
    quoted = (
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<'x>\"') # a { and a SERVICE <http://comment.example/> {\n"
        "BIND(\"SERVICE <http://evil.example/> {}\" AS ?t) }"
    )
    assert outbound_targets(quoted) == []
    assert list(OxigraphStore().query(quoted).rows()) == []


def test_a_query_whose_string_never_closes_is_refused_since_its_endpoints_cannot_be_read():
    query = "SELECT * WHERE { SERVICE <http://a.example/> { ?s ?p 'never closed } }"
    with pytest.raises(ServiceNotAllowed, match="cannot be read: error at 1:54: a string that is never closed"):
        OxigraphStore(allowed_services=("http://a.example/",)).query(query)


def test_service_to_an_allowed_endpoint_reaches_the_stand_in(wikidata_stand_in):
    endpoint = wikidata_stand_in.url + "/query"
    store = OxigraphStore(allowed_services=(endpoint,))
    rows = list(store.query(OWNER_QUERY % endpoint).rows())
    assert [str(r["owner"]) for r in rows] == ["http://www.wikidata.org/entity/Q3117359"]
    with pytest.raises(ServiceNotAllowed):
        store.query(OWNER_QUERY % (wikidata_stand_in.url + "/other"))


def test_the_endpoint_applies_the_allow_list_in_its_query_workers(tmp_path, wikidata_stand_in):
    """A dealgraph serve allowed to call the stand-in joins its deals with the remote facts; others get 403."""
    endpoint = wikidata_stand_in.url + "/query"
    data = tmp_path / "items.nt"
    data.write_text("<urn:x-test:rue-du-commerce> <urn:x-test:item> <http://www.wikidata.org/entity/Q3446822> .\n",
                    encoding="utf-8")
    server = start_dealgraph(tmp_path / "serve.log", "--data", str(data),
                             env={"DEALGRAPH_ALLOWED_SERVICES": endpoint, "DEALGRAPH_QUERY_WORKERS": "1"})
    try:
        query = (
            "SELECT ?owner WHERE { ?org <urn:x-test:item> ?item . "
            f"SERVICE <{endpoint}> {{ ?item wdt:P127 ?owner }} }}"
        )
        answer = requests.get(server.url + "/sparql", params={"query": query},
                              headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert answer.status_code == 200, answer.text
        owners = [b["owner"]["value"] for b in answer.json()["results"]["bindings"]]
        assert owners == ["http://www.wikidata.org/entity/Q3117359"]
        refused = requests.get(server.url + "/sparql", params={"query": OWNER_QUERY % "http://127.0.0.1:1/q"},
                               timeout=30)
        assert refused.status_code == 403
        assert "not allowed" in refused.json()["error"]["detail"]
    finally:
        server.stop()


def test_the_default_endpoint_refuses_service(endpoint):
    answer = requests.get(endpoint.url + "/sparql", params={"query": OWNER_QUERY % "http://127.0.0.1:1/q"}, timeout=30)
    assert answer.status_code == 403


def test_the_snapshot_refresh_reads_the_linked_items_from_a_live_endpoint(wikidata_stand_in):
    endpoint = wikidata_stand_in.url + "/query"
    messages: list[str] = []
    empty = snapshot.Snapshot(set(), items=0, edges=0)
    refreshed = snapshot.refresh(empty, endpoint, ["Q3446822", "Q1431486"], progress=messages.append)
    wd = "http://www.wikidata.org/entity/"
    triples = {(str(s), str(p), str(o)) for s, p, o in refreshed.triples}
    assert (wd + "Q3446822", "http://www.wikidata.org/prop/direct/P31", wd + "Q4382945") in triples
    assert (wd + "Q3446822", "http://www.wikidata.org/prop/direct/P127", wd + "Q3117359") in triples
    assert (wd + "Q1431486", "https://schema.org/name", "Orange") in triples
    assert refreshed.live == endpoint
    assert (URIRef("https://w3id.org/dealgraph/graph/wikidata"), URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"),
            URIRef(endpoint)) in refreshed.triples
    assert any("CONSTRUCT" in m for m in messages)


def test_an_unreachable_endpoint_is_a_clear_error():
    with pytest.raises(snapshot.EndpointError):
        snapshot.from_endpoint("http://127.0.0.1:1/sparql", ["Q3884"])


def test_the_snapshot_command_refreshes_from_the_configured_endpoint(tmp_path, wikidata_stand_in):
    from conftest import shared_path

    dump = shared_path("datasets", "wikidata-companies")
    output = tmp_path / "wikidata.nt.gz"
    done = subprocess.run(
        [sys.executable, "-m", "dealgraph", "wikidata", "snapshot", "--from", str(dump), "--output", str(output)],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DEALGRAPH_WIKIDATA_ENDPOINT": wikidata_stand_in.url + "/query"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["live_endpoint"] == wikidata_stand_in.url + "/query"
    assert "CONSTRUCT" in done.stderr and "read 100/100 entity files" in done.stderr
    assert b"prop/direct/P31" in gzip.decompress(output.read_bytes())
