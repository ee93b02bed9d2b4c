"""What the internet sends a public endpoint: huge bodies, broken encodings, odd headers,
floods and requests that try to make the server call someone else. Real servers, real
sockets; every answer is a 4xx in the usual error shape, and the server lives on."""

from __future__ import annotations

import http.client
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from conftest import RunningServer, start_dealgraph, write_small_dataset

from dealgraph import Settings

TOKEN = "hostile-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[RunningServer]:
    """The small dataset with tight limits, and rate limiting switched on for loopback."""
    folder = tmp_path_factory.mktemp("guarded")
    env = {
        "DEALGRAPH_UPDATE_TOKEN": TOKEN,
        "DEALGRAPH_MAX_BODY_BYTES": "100000",
        "DEALGRAPH_MAX_QUERY_LENGTH": "2000",
        "DEALGRAPH_RATE_LIMIT": "5",
        "DEALGRAPH_RATE_BURST": "20",
        "DEALGRAPH_RATE_LIMIT_LOOPBACK": "1",
    }
    server = start_dealgraph(folder / "serve.log", "--data", str(write_small_dataset(folder)), env=env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[RunningServer]:
    """The small dataset, default limits, with an update token."""
    folder = tmp_path_factory.mktemp("open")
    server = start_dealgraph(folder / "serve.log", "--data", str(write_small_dataset(folder)),
                             env={"DEALGRAPH_UPDATE_TOKEN": TOKEN})
    yield server
    server.stop()


def healthy(server: RunningServer) -> bool:
    return server.process.poll() is None and requests.get(server.url + "/health", timeout=10).status_code == 200


def raw_request(server: RunningServer, method: str, target: str, body: bytes = b"", headers=None) -> int:
    """Send bytes exactly as given (requests would fix them up) and return the status."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        text = response.read()
        assert b"Traceback" not in text
        return response.status
    finally:
        connection.close()


def test_a_20_mb_body_is_refused_while_the_server_lives_on(open_server):
    body = b"x" * (20 * 1024 * 1024)
    for path, content_type in (("/sparql", "application/sparql-query"), ("/update", "application/sparql-update"),
                               ("/store?default", "text/turtle"), ("/reconcile", "application/json")):
        try:
            response = requests.post(open_server.url + path, data=body,
                                     headers={"Content-Type": content_type, **AUTH}, timeout=60)
            assert response.status_code == 413
        except requests.ConnectionError:
            pass  # refused before the body was read, and the connection closed: also a refusal
        assert healthy(open_server)
    assert open_server.process.poll() is None


def test_a_body_over_the_limit_gets_a_413_in_the_error_shape(guarded):
    response = requests.post(guarded.url + "/sparql", data=b"x" * 150_000,
                             headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == 100000


def test_a_body_without_a_length_is_refused_once_it_passes_the_limit(guarded):
    def chunks():  # sent chunked: the server cannot know the size before reading
        for _ in range(60):
            yield b"x" * 10_000

    response = requests.post(guarded.url + "/sparql", data=chunks(),
                             headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == 100000
    assert healthy(guarded)
    query = {"Content-Type": "application/sparql-query", "Accept": "application/json"}
    short = requests.post(guarded.url + "/sparql", data=iter([b"ASK ", b"{ ?s ?p ?o }"]), headers=query, timeout=30)
    assert short.status_code == 200 and short.json()["boolean"] is True


def test_a_graph_sent_without_a_length_past_the_limit_changes_nothing(guarded):
    graph = "https://w3id.org/dealgraph/graph/chunked"

    def turtle():  # 1,500 valid triples of about 100 bytes: the first thousand fit in the limit
        for i in range(1500):
            yield f"<urn:x-chunked:s{i}> <urn:x-chunked:p> \"{'v' * 60}\" .\n".encode()

    response = requests.put(f"{guarded.url}/store", params={"graph": graph}, data=turtle(),
                            headers={"Content-Type": "text/turtle", **AUTH}, timeout=30)
    assert response.status_code == 413
    assert graph not in requests.get(guarded.url + "/health", timeout=10).json()["graphs"]


def test_a_query_over_the_length_limit_is_a_400(guarded):
    query = "SELECT * WHERE { ?s ?p ?o }" + " " * 3000
    response = requests.post(guarded.url + "/sparql", data={"query": query}, timeout=30)
    assert response.status_code == 400
    assert "limit is 2000" in response.json()["error"]["detail"]


def test_malformed_requests_get_4xx_never_5xx(open_server):
    cases = [
        ("POST", "/sparql", b"SELECT \xff\xfe WHERE {}", {"Content-Type": "application/sparql-query"}),
        ("POST", "/update", b"INSERT DATA { <urn:a> <urn:b> \"\xc3\" }",
         {"Content-Type": "application/sparql-update", **AUTH}),
        ("POST", "/sparql", b"query=SELECT%20%ZZ%E2%28", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("GET", "/sparql?query=%FF%FE%00", b"", {}),
        ("GET", "/sparql?query=ASK%7B%7D&format=%ZZ", b"", {}),
        ("GET", "/sparql?query=ASK{}", b"", {"Accept": "application/x-nothing;q=abc, */*;q=-1"}),
        ("GET", "/sparql?query=ASK%7B%7D", b"", {"Accept": "\xff\xfe"}),
        ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", b"", {}),
        ("POST", "/sparql", b"ASK {}", {"Content-Type": "text/x-weird; charset=ebcdic"}),
        ("POST", "/sparql", b"ASK {}", {"Content-Type": "application/sparql-query; charset=latin-1"}),
        ("POST", "/sparql", b"ASK {}", {"Content-Type": "%%%/;;;="}),
        ("GET", "/queries/deals?limit=abc&nonsense=1", b"", {}),
        ("GET", "/queries/no-such-query", b"", {}),
        ("GET", "/reconcile?queries=%7Bnot%20json", b"", {}),
        ("POST", "/reconcile", b"{\"q0\": 5}", {"Content-Type": "application/json"}),
        ("PUT", "/store?graph=urn:x:g", b"\x00\x01\x02", {"Content-Type": "text/turtle", **AUTH}),
        ("PUT", "/store?graph=urn:x:g", b"<a> <b> <c> .", {"Content-Type": "application/x-unknown", **AUTH}),
        ("PUT", "/store?graph=not%20an%20iri", b"", {"Content-Type": "text/turtle", **AUTH}),
        ("GET", "/store", b"", {}),
        ("GET", "/store?graph=urn:x:g&default", b"", {}),
        ("POST", "/update", b"update=DROP%20GRAPH%20%3C%25%3E", {"Content-Type": "application/x-www-form-urlencoded",
                                                               **AUTH}),
        ("POST", "/update", b"", {"Content-Type": "application/sparql-update", **AUTH}),
        ("GET", "/update", b"", {}),
        ("GET", "/id/%ZZ%FF", b"", {}),
    ]
    for method, target, body, headers in cases:
        status = raw_request(open_server, method, target, body, headers)
        assert 400 <= status < 500 or (status == 200 and method == "GET"), (method, target, status)
    assert healthy(open_server)


def test_unknown_parameters_are_ignored(open_server):
    response = requests.get(open_server.url + "/sparql", params={"query": "ASK {}", "frobnicate": "1"},
                            headers={"Accept": "application/json"}, timeout=30)
    assert response.status_code == 200


def test_a_client_over_its_rate_gets_429_with_retry_after(guarded):
    statuses = []
    for _ in range(40):
        response = requests.get(guarded.url + "/sparql", params={"query": "ASK {}"}, timeout=30)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["error"]["status"] == 429
    assert 429 in statuses and statuses[0] == 200
    assert requests.get(guarded.url + "/health", timeout=10).status_code == 200  # monitors are never limited


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real TCP listener on loopback that nobody allowed: it must never see a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def test_outbound_calls_to_a_listener_nobody_allowed_make_no_connection(open_server, listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{target}/sparql> {{ ?s ?p ?o }} }}",
        f"PREFIX e: <{target}/> SELECT * WHERE {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    ]
    for query in queries:
        response = requests.get(open_server.url + "/sparql", params={"query": query}, timeout=30)
        assert response.status_code == 403, response.text
    updates = [f"LOAD <{target}/data.ttl>", f"LOAD SILENT <{target}/data.ttl> INTO GRAPH <urn:x:g>",
               "LOAD <file:///etc/passwd>",
               f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}"]
    for text in updates:
        response = requests.post(open_server.url + "/update", data={"update": text}, headers=AUTH, timeout=30)
        assert response.status_code == 403, response.text
    context = b'{"@context": "' + target.encode() + b'/context.jsonld", "@id": "urn:a", "name": "x"}'
    response = requests.put(open_server.url + "/store?graph=urn:x:jsonld", data=context,
                            headers={"Content-Type": "application/ld+json", **AUTH}, timeout=30)
    assert response.status_code == 400
    readable, _, _ = select.select([listener], [], [], 1.0)
    assert not readable, "the server connected to a listener nobody allowed"
    assert healthy(open_server)


def test_idle_keep_alive_connections_lock_no_other_client_out(open_server):
    """Twice as many idle keep-alive connections as the server has threads: a new client is still answered."""
    host, port = urlsplit(open_server.url).hostname, urlsplit(open_server.url).port
    idle = [http.client.HTTPConnection(host, port, timeout=10) for _ in range(2 * Settings().threads)]
    try:
        for connection in idle:
            connection.request("GET", "/health")
            assert connection.getresponse().read()  # answered; the connection stays open, idle
        assert requests.get(f"{open_server.url}/health", timeout=5).json()["status"] == "ok"
    finally:
        for connection in idle:
            connection.close()
