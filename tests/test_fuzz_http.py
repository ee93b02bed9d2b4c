"""Hypothesis-generated requests against a real server: ``/sparql``, ``/queries/*``,
``/reconcile``, ``/update`` and ``/store``. Whatever arrives, the answer is never a 5xx,
the server stays up, and requests that were refused leave the data as it was.

(schemathesis covers the saved queries' OpenAPI description: tests/test_saved_queries_http.py.)
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Iterator

import pytest
import requests
from conftest import RunningServer, start_dealgraph, write_small_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKEN = "fuzz-token"
#: Every status seen, by test; printed at the end of the module (the count of fuzzed requests).
SEEN: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
FUZZ = settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck), database=None)

SPARQL_WORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", "(", ")",
                "FILTER", "OPTIONAL", "UNION", "GRAPH", "SERVICE", "LOAD", "<urn:a>", "<http://127.0.0.1:1/>",
                "PREFIX", "x:", "LIMIT", "10", "-1", "\"a\"", "'", "\\", "#", "\n", "dg:Deal", "a", "COUNT(*)",
                "BIND", "AS", "VALUES", "INSERT", "DELETE", "DATA", "DROP", "ALL", "\x00", "\ufffd", "é", "%", "%ZZ"]
sparqlish = st.lists(st.sampled_from(SPARQL_WORDS), max_size=30).map(" ".join) | st.text(max_size=300)
junk_bytes = st.binary(max_size=400)
header_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60)
content_types = st.sampled_from([
    "application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
    "text/turtle", "application/ld+json", "application/json", "application/n-triples", "application/rdf+xml",
    "text/plain", "multipart/form-data; boundary=x", "", "application/sparql-query; charset=latin-1",
]) | header_text


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("fuzzed")
    server = start_dealgraph(folder / "serve.log", "--data", str(write_small_dataset(folder)),
                             env={"DEALGRAPH_UPDATE_TOKEN": TOKEN, "DEALGRAPH_QUERY_TIMEOUT": "3"})
    server.session = requests.Session()
    before = dataset_hash(server)
    yield server
    try:
        assert server.process.poll() is None, "the server died"
        assert dataset_hash(server) == before, "a refused request changed the data"
    finally:
        total = sum(sum(c.values()) for c in SEEN.values())
        print(f"\nfuzzed {total} requests: " + "; ".join(f"{k}: {dict(v)}" for k, v in sorted(SEEN.items())))
        server.stop()


def dataset_hash(server: RunningServer) -> str:
    return hashlib.sha256(requests.get(server.url + "/dataset.nq.gz", timeout=30).content).hexdigest()


def send(server: RunningServer, name: str, method: str, path: str, **kwargs) -> requests.Response:
    response = server.session.request(method, server.url + path, timeout=30, **kwargs)
    SEEN[name][response.status_code] += 1
    assert response.status_code < 500 or response.json()["error"]["title"] == "Query timeout", response.text
    assert "Traceback" not in response.text
    return response


@FUZZ
@given(query=sparqlish, accept=header_text | st.sampled_from(["application/json", "text/csv", "*/*", ""]),
       fmt=st.none() | header_text, graph=st.none() | header_text)
def test_sparql_queries_never_get_a_5xx(fuzzed, query, accept, fmt, graph):
    params = {"query": query}
    if fmt is not None:
        params["format"] = fmt
    if graph is not None:
        params["default-graph-uri"] = graph
    send(fuzzed, "sparql GET", "GET", "/sparql", params=params, headers={"Accept": accept})


@FUZZ
@given(body=junk_bytes | sparqlish.map(str.encode), content_type=content_types)
def test_sparql_posts_never_get_a_5xx(fuzzed, body, content_type):
    send(fuzzed, "sparql POST", "POST", "/sparql", data=body, headers={"Content-Type": content_type})


@FUZZ
@given(name=st.sampled_from(["deals", "acquisitions-by-acquirer", "holdings-at-date", "organizations-by-name",
                             "control-at-date", "no-such-query", "..", "%00"]),
       params=st.dictionaries(st.sampled_from(["acquirer", "date", "name", "limit", "offset", "format", "lang", "x"]),
                              header_text | st.text(max_size=40), max_size=4),
       accept=header_text)
def test_saved_queries_never_get_a_5xx(fuzzed, name, params, accept):
    send(fuzzed, "saved queries", "GET", f"/queries/{name}", params=params, headers={"Accept": accept})


@FUZZ
@given(queries=st.text(max_size=200) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10).map(lambda v: __import__("json").dumps(v)),
    post=st.booleans())
def test_reconciliation_never_gets_a_5xx(fuzzed, queries, post):
    if post:
        send(fuzzed, "reconcile POST", "POST", "/reconcile", data={"queries": queries})
    else:
        send(fuzzed, "reconcile GET", "GET", "/reconcile", params={"queries": queries})


@FUZZ
@given(body=junk_bytes | sparqlish.map(str.encode), content_type=content_types,
       token=st.sampled_from([None, "wrong", TOKEN]))
def test_refused_updates_never_get_a_5xx_nor_change_anything(fuzzed, body, content_type, token):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = send(fuzzed, "update", "POST", "/update", data=body, headers=headers)
    assert response.status_code >= 400 or token == TOKEN
    if response.status_code < 400:  # a generated update that parsed: it must have changed nothing (DELETE DATA {})
        assert response.json()["graphs"] == {}, body


@FUZZ
@given(method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
       graph=st.none() | header_text | st.just("https://w3id.org/dealgraph/graph/ontology"),
       body=junk_bytes, content_type=content_types, token=st.sampled_from([None, "wrong"]))
def test_graph_store_requests_never_get_a_5xx(fuzzed, method, graph, body, content_type, token):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    params = {"graph": graph} if graph is not None else {}
    response = send(fuzzed, "store", method, "/store", params=params, data=body, headers=headers)
    if method not in ("GET", "HEAD"):
        assert response.status_code in (400, 401, 403, 404, 405, 413, 415)
