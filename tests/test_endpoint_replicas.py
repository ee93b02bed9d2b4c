"""The query workers' replicas follow the authoritative store: a write is seen by the next query."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from rdflib import URIRef

from dealgraph import OxigraphStore, Settings
from dealgraph.vocab import USER_GRAPH
from dealgraph.web import create_app
from dealgraph.web.workers import BYTES_PER_QUAD, memory_budget

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
    assert json.loads(client.get("/health").data)["query_workers"]["replicas"] == {"memory": 1}
    assert owned(client) == {f"{SUBJECT}-a"}
    store = app.extensions["dealgraph"].store
    store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
    assert owned(client) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
    health = json.loads(client.get("/health").data)
    assert health["graphs"][str(USER_GRAPH)] == 2


def replica_of(response) -> str:
    """Which replica answered, from the ``query`` entry of ``Server-Timing``."""
    timing = next(part for part in response.headers["Server-Timing"].split(", ") if part.startswith("query"))
    return timing.split('desc="', 1)[1].split('"', 1)[0]


def answer_from(client, wanted: str, seconds: float = 60.0) -> set[str]:
    """Ask until the replica *wanted* answers; its rows."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(
            "/sparql",
            query_string={"query": f"SELECT ?o WHERE {{ <{SUBJECT}> ?p ?o }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200
        if replica_of(response) == wanted:
            return {row["o"]["value"] for row in json.loads(response.data)["results"]["bindings"]}
        assert time.monotonic() < deadline, f"no answer from the {wanted} replica in {seconds} s"
        time.sleep(0.2)


def on_disk_app(folder, memory_replica_quads: int | None, extra: int = 0, workers: int = 1):
    """An app over an on-disk store of ``1 + extra`` quads (only one of them about SUBJECT)."""
    store = OxigraphStore(folder / "store")
    owns = URIRef("https://w3id.org/dealgraph/ontology#owns")
    store.add_quads([(SUBJECT, owns, URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    store.add_quads([(URIRef(f"{SUBJECT}-{n}"), owns, SUBJECT, USER_GRAPH) for n in range(extra)])
    settings = Settings(
        query_workers=workers, shapes=None, store=folder / "store", memory_replica_quads=memory_replica_quads
    )
    return create_app(settings, store)


def test_an_on_disk_store_is_answered_from_its_checkpoint_then_from_memory_with_the_same_rows(tmp_path):
    app = on_disk_app(tmp_path, memory_replica_quads=1000)
    try:
        client = app.test_client()
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a"}
        assert answer_from(client, "memory") == {f"{SUBJECT}-a"}
        # A write makes a new version: its checkpoint answers at once, its memory copy later.
        store = app.extensions["dealgraph"].store
        store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
        assert answer_from(client, "memory") == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
    finally:
        app.extensions["dealgraph"].pool.close()


def test_a_dataset_over_the_memory_budget_stays_on_the_checkpoint(tmp_path):
    app = on_disk_app(tmp_path, memory_replica_quads=10, extra=10)
    try:
        client = app.test_client()
        for _ in range(10):
            assert answer_from(client, "checkpoint", seconds=1) == {f"{SUBJECT}-a"}
            time.sleep(0.2)
    finally:
        app.extensions["dealgraph"].pool.close()


def test_by_default_the_replicas_hold_at_most_a_gibibyte_or_a_quarter_of_the_machine(tmp_path):
    quarter = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    assert memory_budget() * BYTES_PER_QUAD <= min(quarter, 1 << 30)
    app = on_disk_app(tmp_path, memory_replica_quads=None)
    try:
        assert app.extensions["dealgraph"].pool.memory_replica_quads == memory_budget() > 1_000_000
        assert answer_from(app.test_client(), "memory") == {f"{SUBJECT}-a"}
    finally:
        app.extensions["dealgraph"].pool.close()


#: About a second of work for Oxigraph: long enough for two of them to overlap.
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(160)))} }}" for v in "abc")
    + " }"
)


def replicas_of_two_at_once(client) -> list[str]:
    """The replicas that answered two slow queries sent at the same moment."""
    barrier, found = threading.Barrier(2), []

    def ask() -> None:
        barrier.wait()
        response = client.get("/sparql", query_string={"query": SLOW}, headers={"Accept": "text/csv"})
        assert response.status_code == 200 and response.data.split()[1] == b"4096000"
        found.append(replica_of(response))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(found)


def test_a_budget_for_one_copy_puts_one_worker_in_memory_and_gives_it_the_queries_first(tmp_path):
    app = on_disk_app(tmp_path, memory_replica_quads=1, workers=2)
    try:
        client = app.test_client()
        assert answer_from(client, "memory") == {f"{SUBJECT}-a"}
        time.sleep(1.0)  # time enough for a second worker to load the one quad, were it told to
        for _ in range(20):  # one at a time: the worker in memory is always idle first
            assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a"}
        assert replicas_of_two_at_once(client) == ["checkpoint", "memory"]
        workers = json.loads(client.get("/health").data)["query_workers"]
        assert workers == {"size": 2, "busy": 0, "replicas": {"memory": 1, "checkpoint": 1}}
    finally:
        app.extensions["dealgraph"].pool.close()


def test_once_the_copy_is_written_an_idle_worker_loads_it_without_waiting_for_a_query(tmp_path):
    # Enough quads that a worker told at its next query would answer that one from the checkpoint.
    app = on_disk_app(tmp_path, memory_replica_quads=2 * 50_001, extra=50_000, workers=2)
    try:
        client = app.test_client()
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a"}  # the first query has the copy written
        time.sleep(2.0)  # written, and loaded by both workers, neither of which has run a query since
        assert replicas_of_two_at_once(client) == ["memory", "memory"]
    finally:
        app.extensions["dealgraph"].pool.close()
