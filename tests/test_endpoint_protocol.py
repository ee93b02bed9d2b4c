"""The SPARQL 1.1 Protocol on /sparql, the service description, the dump and the errors;
the protocol's dataset parameters of an update on /update.

Every request goes over HTTP to a real ``dealgraph serve``: on the shipped data, or, for
updates, on the small dataset with an update token.
"""

from __future__ import annotations

import gzip
import re
import time

import pyoxigraph as ox
import requests
from conftest import UPDATE_TOKEN, W3C_PROTOCOL_GRAPHS, RunningServer
from rdflib import Graph, Literal, Namespace, URIRef

from dealgraph.vocab import INFERRED_GRAPH

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FRANCE_TELECOM = "https://w3id.org/dealgraph/id/org/france-telecom"
ALAPAGE = "https://w3id.org/dealgraph/id/org/alapage"
JSON = "application/sparql-results+json"

ASK_ACQUIRED = f"""PREFIX dg: <https://w3id.org/dealgraph/ontology#>
ASK {{ ?deal dg:acquirer <{FRANCE_TELECOM}> ; dg:target <{ALAPAGE}> }}"""
ASK_OWNS = f"ASK {{ <{FRANCE_TELECOM}> <https://w3id.org/dealgraph/ontology#owns> <{ALAPAGE}> }}"


def boolean(response: requests.Response) -> bool:
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def test_get_with_a_query_answers_it(endpoint):
    response = requests.get(f"{endpoint.url}/sparql", params={"query": ASK_ACQUIRED}, headers={"Accept": JSON})
    assert response.headers["Content-Type"] == JSON
    assert boolean(response) is True


def test_form_encoded_post_answers_the_query(endpoint):
    response = requests.post(f"{endpoint.url}/sparql", data={"query": ASK_OWNS}, headers={"Accept": JSON})
    assert boolean(response) is True


def test_direct_post_answers_the_query(endpoint):
    response = requests.post(
        f"{endpoint.url}/sparql",
        data=ASK_OWNS.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": JSON},
    )
    assert boolean(response) is True


def test_unknown_parameters_are_ignored(endpoint):
    params = {"query": ASK_ACQUIRED, "output": "json", "results": "json", "timeout": "0", "whatever": "x"}
    assert boolean(requests.get(f"{endpoint.url}/sparql", params=params, headers={"Accept": JSON})) is True


def test_default_graph_uri_inferred_gives_only_inferred_triples(endpoint):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    params = {"query": query, "default-graph-uri": str(INFERRED_GRAPH)}
    response = requests.get(f"{endpoint.url}/sparql", params=params, headers={"Accept": JSON})
    assert response.status_code == 200
    rows = response.json()["results"]["bindings"]
    quads = list(
        ox.parse(gzip.decompress(requests.get(f"{endpoint.url}/dataset.nq.gz").content), format=ox.RdfFormat.N_QUADS)
    )
    inferred = [q for q in quads if q.graph_name == ox.NamedNode(str(INFERRED_GRAPH))]
    assert len(rows) == len(inferred) > 0
    # blank nodes are labelled afresh by each replica, so they are compared by shape only
    label = lambda term: "_:" if isinstance(term, ox.BlankNode) else term.value  # noqa: E731
    as_served = lambda value: "_:" if value["type"] == "bnode" else value["value"]  # noqa: E731
    served = {(as_served(r["s"]), as_served(r["p"]), as_served(r["o"])) for r in rows}
    assert served == {(label(q.subject), label(q.predicate), label(q.object)) for q in inferred}
    assert (FRANCE_TELECOM, "https://w3id.org/dealgraph/ontology#owns", ALAPAGE) in served
    asserted = {(label(q.subject), label(q.predicate), label(q.object)) for q in quads if q not in inferred}
    assert (FRANCE_TELECOM, "http://www.w3.org/2000/01/rdf-schema#label", "France Télécom") in asserted
    assert not {t for t in served if "_:" not in t} & asserted


def test_named_graph_uri_limits_the_graphs_a_query_sees(endpoint):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    params = {"query": query, "named-graph-uri": str(INFERRED_GRAPH)}
    response = requests.get(f"{endpoint.url}/sparql", params=params, headers={"Accept": JSON})
    graphs = [row["g"]["value"] for row in response.json()["results"]["bindings"]]
    assert graphs == [str(INFERRED_GRAPH)]


def test_bare_get_is_the_service_description_with_void_counts(endpoint):
    response = requests.get(f"{endpoint.url}/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    description = Graph().parse(data=response.text, format="turtle")
    service = URIRef(f"{endpoint.url}/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
    dataset = description.value(service, SD.defaultDataset)
    health = requests.get(f"{endpoint.url}/health").json()
    described = {}
    for entry in description.objects(dataset, SD.namedGraph):
        graph = description.value(entry, SD.graph)
        described[str(description.value(entry, SD.name))] = graph
        assert description.value(graph, DCTERMS.license) is not None
        assert description.value(graph, DCTERMS.bibliographicCitation) is not None
    assert {g: int(description.value(node, VOID.triples)) for g, node in described.items()} == health["graphs"]
    seed = described["https://w3id.org/dealgraph/graph/jdn-2008-09-12"]
    assert "France Télécom cherche à céder Alapage" in str(description.value(seed, DCTERMS.bibliographicCitation))
    assert description.value(dataset, VOID.dataDump) == URIRef(f"{endpoint.url}/dataset.nq.gz")


def test_service_description_comes_as_json_ld_when_asked(endpoint):
    response = requests.get(f"{endpoint.url}/sparql", headers={"Accept": "application/ld+json"})
    assert response.headers["Content-Type"] == "application/ld+json"
    description = Graph().parse(data=response.text, format="json-ld")
    assert (URIRef(f"{endpoint.url}/sparql"), SD.endpoint, URIRef(f"{endpoint.url}/sparql")) in description


def test_dataset_dump_is_gzipped_nquads_of_every_graph(endpoint):
    response = requests.get(f"{endpoint.url}/dataset.nq.gz")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/gzip"
    assert "dealgraph.nq.gz" in response.headers["Content-Disposition"]
    quads = list(ox.parse(gzip.decompress(response.content), format=ox.RdfFormat.N_QUADS))
    health = requests.get(f"{endpoint.url}/health").json()
    assert len(quads) == health["triples"]
    again = requests.get(f"{endpoint.url}/dataset.nq.gz", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_serve_is_healthy_within_60_seconds_on_the_shipped_data(endpoint):
    assert 0 < endpoint.ready_after < 60


def test_browsers_get_the_service_description_as_a_page(endpoint):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = requests.get(f"{endpoint.url}/sparql", headers={"Accept": accept})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "sd:SPARQL11Query" in response.text and 'href="/dataset.nq.gz"' in response.text


def test_health_reports_the_triples_of_each_graph(endpoint):
    response = requests.get(f"{endpoint.url}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["graphs"][str(INFERRED_GRAPH)] > 0
    assert body["triples"] == sum(body["graphs"].values())


def test_home_page_links_the_endpoint(endpoint):
    response = requests.get(f"{endpoint.url}/")
    assert response.status_code == 200
    assert 'href="/sparql"' in response.text


def error_of(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert error["title"] and error["detail"]
    assert "Traceback" not in response.text
    return error


def test_malformed_query_is_a_400_saying_where(endpoint):
    query = 'SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s ?p "unterminated\n}'
    error = error_of(requests.get(f"{endpoint.url}/sparql", params={"query": query}), 400)
    assert error["title"] == "Malformed query"
    assert error["line"] == 3 and error["column"] > 1
    assert f"line 3, column {error['column']}" in error["detail"]
    assert "unterminated" in error["detail"]


def test_undeclared_prefix_is_a_400_naming_the_problem(endpoint):
    error = error_of(requests.get(f"{endpoint.url}/sparql", params={"query": "ASK { ?s nope:p ?o }"}), 400)
    assert "prefix" in error["detail"]


def test_post_without_a_query_is_a_400(endpoint):
    error = error_of(requests.post(f"{endpoint.url}/sparql", data={"default-graph-uri": str(INFERRED_GRAPH)}), 400)
    assert error["title"] == "Missing query"


def test_empty_query_parameter_is_a_400(endpoint):
    error_of(requests.get(f"{endpoint.url}/sparql", params={"query": "  "}), 400)


def test_two_queries_in_one_request_are_a_400(endpoint):
    error_of(requests.get(f"{endpoint.url}/sparql?query=ASK%7B%7D&query=ASK%7B%7D"), 400)


def test_a_body_that_is_not_a_query_is_a_415(endpoint):
    response = requests.post(f"{endpoint.url}/sparql", data="ASK {}", headers={"Content-Type": "text/plain"})
    error = error_of(response, 415)
    assert "application/sparql-query" in error["offered"]


def test_unknown_path_is_a_404(endpoint):
    error_of(requests.get(f"{endpoint.url}/no/such/thing"), 404)


def test_wrong_method_is_a_405_with_allow(endpoint):
    response = requests.put(f"{endpoint.url}/sparql", data={"query": "ASK {}"})
    error_of(response, 405)
    assert {"GET", "POST"} <= set(re.split(r",\s*", response.headers["Allow"]))


def test_browsers_get_errors_as_a_page(endpoint):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = requests.get(f"{endpoint.url}/sparql", params={"query": "ASK {"}, headers={"Accept": accept})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Malformed query" in response.text


def test_reads_are_open_to_other_origins(endpoint):
    headers = {"Origin": "https://example.org", "Accept": JSON}
    response = requests.post(f"{endpoint.url}/sparql", data={"query": "ASK {}"}, headers=headers)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        f"{endpoint.url}/sparql",
        headers={**headers, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


def test_responses_say_where_the_time_went(endpoint):
    query = f"ASK {{ <urn:timing:{time.time_ns()}> ?p ?o }}"  # asked by no other test
    timings = []
    for _ in range(3):
        response = requests.get(f"{endpoint.url}/sparql", params={"query": query}, headers={"Accept": JSON})
        assert response.json()["boolean"] is False
        timings.append(response.headers["Server-Timing"])
    phases = dict(re.findall(r"(\w+);dur=([\d.]+)", timings[0]))
    assert {"wait", "query", "total"} <= set(phases)
    assert float(phases["query"]) <= float(phases["total"])
    assert re.search(r'query;dur=[\d.]+;desc="memory"', timings[0])  # a worker's in-memory replica
    assert re.search(r'wait;dur=[\d.]+, query;dur=0.0;desc="cache"', timings[1])  # the answer cache, through Flask
    assert re.fullmatch(r'query;dur=0.0;desc="cache", total;dur=[\d.]+', timings[2])  # the response cache


def test_each_request_is_logged_with_status_and_time(endpoint):
    requests.get(f"{endpoint.url}/no-such-page-for-the-log")
    deadline = time.monotonic() + 5  # the line is written once the answer is sent
    while not re.search(r"GET /no-such-page-for-the-log 404 [\d.]+ ms", endpoint.log_text()):
        assert time.monotonic() < deadline, endpoint.log_text()[-2000:]
        time.sleep(0.05)


def test_literal_values_survive_the_trip(endpoint):
    query = f"""PREFIX dg: <https://w3id.org/dealgraph/ontology#>
    PREFIX schema: <https://schema.org/>
    SELECT ?value ?currency WHERE {{
      ?deal dg:acquirer <{FRANCE_TELECOM}> ; dg:target <{ALAPAGE}> ;
            dg:price [ schema:value ?value ; schema:currency ?currency ] }}"""
    rows = requests.get(f"{endpoint.url}/sparql", params={"query": query}, headers={"Accept": JSON}).json()
    (row,) = rows["results"]["bindings"]
    value = Literal(row["value"]["value"], datatype=URIRef(row["value"]["datatype"]))
    assert value.toPython() == 50000000
    assert row["currency"]["value"] == "EUR"


# --- using-graph-uri and using-named-graph-uri on POST /update

AUTH = {"Authorization": f"Bearer {UPDATE_TOKEN}"}
DATA1, DATA2, DATA3 = (W3C_PROTOCOL_GRAPHS[f"data{i}.nt"] for i in (1, 2, 3))


def copy_into(graph: str) -> str:
    return f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"


def send_update(server: RunningServer, text: str, **params: str | list[str]) -> requests.Response:
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    return requests.post(f"{server.url}/update", params=params, data=text.encode(), headers=headers, timeout=60)


def triples_of(server: RunningServer, graph: str) -> set[tuple[str, str, str]]:
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": JSON}, timeout=30)
    assert response.status_code == 200, response.text
    return {tuple(row[v]["value"] for v in "spo") for row in response.json()["results"]["bindings"]}


def test_using_graph_uri_makes_the_where_read_only_that_graph(writable_endpoint):
    copy = "http://example.org/copy-of-data2"
    # Without it, the WHERE reads the update's default graph (…/graph/user), empty here.
    assert send_update(writable_endpoint, copy_into(copy)).json()["graphs"] == {}
    response = send_update(writable_endpoint, copy_into(copy), **{"using-graph-uri": DATA2})
    assert response.status_code == 200, response.text
    assert response.json()["graphs"] == {copy: {"added": 1, "removed": 0}}
    assert triples_of(writable_endpoint, copy) == triples_of(writable_endpoint, DATA2)
    assert triples_of(writable_endpoint, DATA2) != triples_of(writable_endpoint, DATA1)


def test_using_graph_uris_in_a_form_body_make_the_dataset_too(writable_endpoint):
    copy = "http://example.org/copy-of-data1-and-data3"
    form = {"update": copy_into(copy), "using-graph-uri": [DATA1, DATA3]}
    response = requests.post(f"{writable_endpoint.url}/update", data=form, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    expected = triples_of(writable_endpoint, DATA1) | triples_of(writable_endpoint, DATA3)
    assert triples_of(writable_endpoint, copy) == expected


def test_using_named_graph_uri_gives_the_graphs_of_graph_patterns(writable_endpoint):
    copy = "http://example.org/copy-of-named-data3"
    update = f"INSERT {{ GRAPH <{copy}> {{ ?s ?p ?g }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    response = send_update(writable_endpoint, update, **{"using-named-graph-uri": DATA3})
    assert response.status_code == 200, response.text
    assert {o for _, _, o in triples_of(writable_endpoint, copy)} == {DATA3}


def test_the_dataset_given_twice_or_a_bad_graph_iri_is_a_400(writable_endpoint):
    before = requests.get(f"{writable_endpoint.url}/health", timeout=30).json()["version"]
    with_clause = f"WITH <{DATA1}>\nDELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    error = error_of(send_update(writable_endpoint, with_clause, **{"using-named-graph-uri": DATA2}), 400)
    assert "WITH at line 1, column 1" in error["detail"] and "using-graph-uri" in error["detail"]
    error = error_of(send_update(writable_endpoint, copy_into(DATA1), **{"using-graph-uri": "data2 > x"}), 400)
    assert error["detail"] == "using-graph-uri must be an absolute IRI, not 'data2 > x'"
    assert requests.get(f"{writable_endpoint.url}/health", timeout=30).json()["version"] == before


def test_a_syntax_error_is_where_the_client_wrote_it_with_a_dataset_too(writable_endpoint):
    malformed = "DELETE { ?s ?p ?o }\nWHERE { ?s ?p ?o FILTER(?o = ) }"
    as_sent = error_of(send_update(writable_endpoint, malformed), 400)
    with_dataset = error_of(send_update(writable_endpoint, malformed, **{"using-graph-uri": DATA1}), 400)
    assert with_dataset == as_sent and as_sent["title"] == "Malformed update" and as_sent["line"] == 2
    unclosed = 'INSERT { ?s ?p ?o }\nWHERE { ?s ?p "never closed }'
    error = error_of(send_update(writable_endpoint, unclosed, **{"using-graph-uri": DATA1}), 400)
    assert (error["title"], error["line"], error["column"]) == ("Malformed update", 2, 15)
    assert "never closed" in error["detail"]
