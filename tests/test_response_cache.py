"""A query asked again byte for byte is answered from the response cache, in front of Flask, until the data changes."""

from __future__ import annotations

import json

import pytest
from flask import request
from rdflib import URIRef

from dealgraph import OxigraphStore, Settings
from dealgraph.vocab import USER_GRAPH
from dealgraph.web import create_app
from dealgraph.web.replay import MAX_BODY, answered_from_cache, note_answer

SUBJECT = URIRef("https://w3id.org/dealgraph/id/org/example")
QUERY = f"SELECT ?o WHERE {{ <{SUBJECT}> ?p ?o }}"
JSON = "application/sparql-results+json"


def make_app(**settings):
    store = OxigraphStore()
    store.add_quads([(SUBJECT, URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    return create_app(Settings(query_workers=1, shapes=None, **settings), store)


@pytest.fixture
def app():
    app = make_app()
    yield app
    app.extensions["dealgraph"].pool.close()


def answered_by(response) -> str:
    """``worker``, ``answer cache`` (through Flask) or ``response cache`` (in front of it), from Server-Timing."""
    timing = response.headers["Server-Timing"]
    if timing.startswith('query;dur=0.0;desc="cache", total;'):
        return "response cache"
    return "answer cache" if 'desc="cache"' in timing else "worker"


def owned(response) -> set[str]:
    return {row["o"]["value"] for row in json.loads(response.data)["results"]["bindings"]}


def test_the_third_time_a_query_is_asked_the_response_cache_gives_the_same_bytes_and_headers(app):
    client = app.test_client()
    responses = [client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON}) for _ in range(3)]
    assert [answered_by(r) for r in responses] == ["worker", "answer cache", "response cache"]
    assert owned(responses[2]) == {f"{SUBJECT}-a"}
    assert responses[2].data == responses[1].data
    for name in ("Content-Type", "Content-Length", "Vary", "Cache-Control", "Access-Control-Allow-Origin"):
        assert responses[2].headers[name] == responses[1].headers[name]
    kept = json.loads(client.get("/health").data)["response_cache"]
    assert kept["entries"] == 1 and kept["bytes"] > len(responses[2].data)


def test_a_write_makes_the_response_cache_forget(app):
    client = app.test_client()
    ask = lambda: client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON})  # noqa: E731
    assert answered_by([ask() for _ in range(3)][-1]) == "response cache"
    store = app.extensions["dealgraph"].store
    store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
    response = ask()
    assert answered_by(response) == "worker"
    assert owned(response) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def test_a_posted_query_is_kept_by_its_body_and_another_body_is_another_request(app):
    client = app.test_client()
    post = lambda query: client.post("/sparql", data={"query": query}, headers={"Accept": JSON})  # noqa: E731
    assert [answered_by(post(QUERY)) for _ in range(3)] == ["worker", "answer cache", "response cache"]
    other = post(f"SELECT ?o WHERE {{ ?o ?p <{SUBJECT}> }}")
    assert answered_by(other) == "worker" and json.loads(other.data)["results"]["bindings"] == []


def test_another_accept_header_is_another_request(app):
    client = app.test_client()
    for _ in range(3):
        client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON})
    csv = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    assert answered_by(csv) == "worker"
    assert csv.headers["Content-Type"].startswith("text/csv") and csv.data == f"o\r\n{SUBJECT}-a\r\n".encode()


def test_each_origin_gets_its_own_cross_origin_answer():
    app = make_app(cors_origins="https://a.example https://b.example")
    try:
        client = app.test_client()
        for origin in ("https://a.example", "https://b.example"):
            responses = [
                client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON, "Origin": origin})
                for _ in range(3)
            ]
            assert answered_by(responses[2]) == "response cache"
            assert responses[2].headers["Access-Control-Allow-Origin"] == origin
    finally:
        app.extensions["dealgraph"].pool.close()


def test_a_client_over_its_rate_limit_gets_a_429_though_the_response_is_kept():
    app = make_app(rate_limit=0.01, rate_burst=3, rate_limit_loopback=True)
    try:
        client = app.test_client()
        responses = [client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON}) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert answered_by(responses[2]) == "response cache"
        assert int(responses[3].headers["Retry-After"]) > 0
        assert "requests a second" in json.loads(responses[3].data)["error"]["detail"]
    finally:
        app.extensions["dealgraph"].pool.close()


def test_a_body_over_the_size_read_for_the_key_goes_to_the_app_each_time(app):
    client = app.test_client()
    query = QUERY + " #" + "x" * MAX_BODY
    responses = [client.post("/sparql", data={"query": query}, headers={"Accept": JSON}) for _ in range(3)]
    assert [answered_by(r) for r in responses] == ["worker", "answer cache", "answer cache"]
    assert owned(responses[2]) == {f"{SUBJECT}-a"}


def test_an_error_is_never_kept(app):
    client = app.test_client()
    for _ in range(3):
        response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"}, headers={"Accept": JSON})
        assert response.status_code == 400 and answered_by(response) == "worker"
    assert json.loads(client.get("/health").data)["response_cache"]["entries"] == 0


def test_with_the_answer_cache_off_nothing_is_kept():
    app = make_app(answer_cache_bytes=0)
    try:
        client = app.test_client()
        responses = [client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON}) for _ in range(3)]
        assert [answered_by(r) for r in responses] == ["worker"] * 3
        assert json.loads(client.get("/health").data)["response_cache"] == {"entries": 0, "bytes": 0, "max_bytes": 0}
    finally:
        app.extensions["dealgraph"].pool.close()


def test_a_response_is_kept_only_if_every_answer_it_used_came_from_the_answer_cache(app):
    """A page may run several queries; one evaluated afresh (say, calling NOW()) keeps the page out."""
    for answers, kept in (([True, True], True), ([True, False, True], False), ([False], False), ([], False)):
        with app.test_request_context("/entity"):
            for from_cache in answers:
                note_answer(from_cache)
            assert answered_from_cache(request.environ) is kept
