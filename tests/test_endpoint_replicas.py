"""The query workers' replicas follow the authoritative store: a write is seen by the next query."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from contextlib import contextmanager

import pytest
from rdflib import URIRef

from dealgraph import OxigraphStore, Settings
from dealgraph.vocab import USER_GRAPH
from dealgraph.web import create_app
from dealgraph.web.workers import BYTES_PER_QUAD, Job, QuickJobs, memory_budget

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


@contextmanager
def on_disk_app(folder, memory_replica_quads: int | None, extra: int = 0, workers: int = 1, inline: float = 0.0):
    """An app over an on-disk store of ``1 + extra`` quads (only one of them about SUBJECT), its workers
    stopped at the end.

    *inline*: ``Settings.inline_query_seconds``, off by default so that the workers answer every query.
    """
    store = OxigraphStore(folder / "store")
    owns = URIRef("https://w3id.org/dealgraph/ontology#owns")
    store.add_quads([(SUBJECT, owns, URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    store.add_quads([(URIRef(f"{SUBJECT}-{n}"), owns, SUBJECT, USER_GRAPH) for n in range(extra)])
    settings = Settings(
        query_workers=workers,
        shapes=None,
        store=folder / "store",
        memory_replica_quads=memory_replica_quads,
        inline_query_seconds=inline,
    )
    app = create_app(settings, store)
    try:
        yield app
    finally:
        app.extensions["dealgraph"].pool.close()


def test_an_on_disk_store_is_answered_from_its_checkpoint_then_from_memory_with_the_same_rows(tmp_path):
    with on_disk_app(tmp_path, memory_replica_quads=1000) as app:
        client = app.test_client()
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a"}
        assert answer_from(client, "memory") == {f"{SUBJECT}-a"}
        # A write makes a new version: its checkpoint answers at once, its memory copy later.
        store = app.extensions["dealgraph"].store
        store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
        assert answer_from(client, "memory") == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def test_a_dataset_over_the_memory_budget_stays_on_the_checkpoint(tmp_path):
    with on_disk_app(tmp_path, memory_replica_quads=10, extra=10) as app:
        client = app.test_client()
        for _ in range(10):
            assert answer_from(client, "checkpoint", seconds=1) == {f"{SUBJECT}-a"}
            time.sleep(0.2)


def test_by_default_the_replicas_hold_at_most_a_gibibyte_or_a_quarter_of_the_machine(tmp_path):
    quarter = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    assert memory_budget() * BYTES_PER_QUAD <= min(quarter, 1 << 30)
    with on_disk_app(tmp_path, memory_replica_quads=None) as app:
        assert app.extensions["dealgraph"].pool.memory_replica_quads == memory_budget() > 1_000_000
        assert answer_from(app.test_client(), "memory") == {f"{SUBJECT}-a"}


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
    with on_disk_app(tmp_path, memory_replica_quads=1, workers=2) as app:
        client = app.test_client()
        assert answer_from(client, "memory") == {f"{SUBJECT}-a"}
        time.sleep(1.0)  # time enough for a second worker to load the one quad, were it told to
        for _ in range(20):  # one at a time: the worker in memory is always idle first
            assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a"}
        assert replicas_of_two_at_once(client) == ["checkpoint", "memory"]
        workers = json.loads(client.get("/health").data)["query_workers"]
        assert workers == {"size": 2, "busy": 0, "replicas": {"memory": 1, "checkpoint": 1}}


def test_once_the_copy_is_written_an_idle_worker_loads_it_without_waiting_for_a_query(tmp_path):
    # Enough quads that a worker told at its next query would answer that one from the checkpoint.
    with on_disk_app(tmp_path, memory_replica_quads=2 * 50_001, extra=50_000, workers=2) as app:
        client = app.test_client()
        assert answer_from(client, "checkpoint") == {f"{SUBJECT}-a"}  # the first query has the copy written
        time.sleep(2.0)  # written, and loaded by both workers, neither of which has run a query since
        assert replicas_of_two_at_once(client) == ["memory", "memory"]


# ---------------------------------------------------------------- quick queries answered by the web process


def test_a_query_a_worker_answered_quickly_is_then_answered_by_the_web_process_until_the_data_changes(app):
    client = app.test_client()
    assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a"}  # the first time: a worker
    assert answer_from(client, "web", seconds=0) == {f"{SUBJECT}-a"}
    assert answer_from(client, "web", seconds=0) == {f"{SUBJECT}-a"}
    store = app.extensions["dealgraph"].store
    store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
    assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}  # a new version: a worker
    assert answer_from(client, "web", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def replica_and_body(client, query: str, accept: str = "text/csv") -> tuple[str, int, bytes]:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    return replica_of(response), response.status_code, response.data


def test_a_query_slower_than_the_limit_is_always_answered_by_a_worker(app):
    client = app.test_client()
    for _ in range(2):  # about a second each, past the default 0.01 s: its deadline must stay enforceable
        assert replica_and_body(client, SLOW) == ("memory", 200, b"n\r\n4096000\r\n")


def test_a_query_calling_a_service_is_always_answered_by_a_worker(app):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    client = app.test_client()
    for _ in range(2):
        replica, status, body = replica_and_body(client, query, "application/sparql-results+json")
        assert (replica, status) == ("memory", 403)
        assert "http://127.0.0.1:9/sparql" in json.loads(body)["error"]["detail"]


def test_a_query_is_answered_in_the_web_process_only_as_the_same_job(app):
    """The job is the query with its dataset and format: another format goes to a worker first."""
    client = app.test_client()
    query = f"SELECT ?o WHERE {{ <{SUBJECT}> ?p ?o }}"
    assert replica_and_body(client, query) == ("memory", 200, f"o\r\n{SUBJECT}-a\r\n".encode())
    assert replica_and_body(client, query) == ("web", 200, f"o\r\n{SUBJECT}-a\r\n".encode())
    replica, status, body = replica_and_body(client, query, "application/sparql-results+json")
    assert (replica, status) == ("memory", 200)
    assert json.loads(body)["results"]["bindings"] == [{"o": {"type": "uri", "value": f"{SUBJECT}-a"}}]


def test_on_disk_the_web_process_answers_from_its_own_copy_when_one_more_fits_the_budget(tmp_path):
    # After the write, two quads: room for the worker's copy and the web process's.
    with on_disk_app(tmp_path, memory_replica_quads=4, inline=0.01) as app:
        assert answer_from(app.test_client(), "web") == {f"{SUBJECT}-a"}
        store = app.extensions["dealgraph"].store
        store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
        assert answer_from(app.test_client(), "web") == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def test_on_disk_the_web_process_answers_nothing_itself_when_only_the_workers_copies_fit(tmp_path):
    with on_disk_app(tmp_path, memory_replica_quads=1, inline=0.01) as app:
        client = app.test_client()
        assert answer_from(client, "memory") == {f"{SUBJECT}-a"}
        for _ in range(10):
            assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a"}
            time.sleep(0.2)


def quick_job(n: int, length: int = 0) -> Job:
    return Job(f"ASK {{ <urn:q:{n}> ?p ?o }}".ljust(length), None, None, "json", None, 100)


def test_the_quick_jobs_remembered_hold_a_bounded_amount_of_query_text_the_newest_kept():
    quick = QuickJobs(0.01)
    length = QuickJobs.CHARACTERS // 10
    for n in range(25):
        quick.record(1, quick_job(n, length), 0.001)
    assert [n for n in range(25) if quick.proven(1, quick_job(n, length))] == list(range(15, 25))
    assert not quick.proven(2, quick_job(24, length))  # another version


def test_a_quick_answer_from_a_replaced_version_or_a_slow_one_is_not_remembered():
    quick = QuickJobs(0.01)
    quick.record(2, quick_job(1), 0.001)
    quick.record(1, quick_job(2), 0.001)  # a worker still on version 1 answered after the write
    quick.record(2, quick_job(3), 0.5)
    assert quick.proven(2, quick_job(1))
    assert not quick.proven(2, quick_job(2)) and not quick.proven(1, quick_job(2))
    assert not quick.proven(2, quick_job(3))


def test_health_counts_a_worker_in_memory_once_it_has_loaded_its_copy_though_it_answered_nothing_since(tmp_path):
    # Quads enough that the copy is written after the worker is idle again; room for its copy and the web's.
    with on_disk_app(tmp_path, memory_replica_quads=3 * 50_001, extra=50_000, inline=0.01) as app:
        client = app.test_client()
        health = lambda: json.loads(client.get("/health").data)  # noqa: E731
        assert health()["quick_queries_in_web_process"] is False
        assert answer_from(client, "checkpoint", seconds=0) == {f"{SUBJECT}-a"}  # the one query
        deadline = time.monotonic() + 60
        while (found := health())["query_workers"]["replicas"] != {"memory": 1}:
            assert time.monotonic() < deadline, found
            time.sleep(0.2)
        while not health()["quick_queries_in_web_process"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert answer_from(client, "web", seconds=0) == {f"{SUBJECT}-a"}


def test_with_the_store_in_memory_the_web_process_answers_quick_queries_unless_turned_off():
    for seconds, expected in ((0.01, True), (0.0, False)):
        app = create_app(Settings(query_workers=1, shapes=None, inline_query_seconds=seconds), OxigraphStore())
        try:
            assert json.loads(app.test_client().get("/health").data)["quick_queries_in_web_process"] is expected
        finally:
            app.extensions["dealgraph"].pool.close()


def test_health_answers_while_an_idle_worker_lies_dead(app):
    client = app.test_client()
    for process in multiprocessing.active_children():
        if process.name == "dealgraph-query-worker":
            process.kill()
            process.join(5)
    response = client.get("/health")
    assert response.status_code == 200
    assert json.loads(response.data)["graphs"][str(USER_GRAPH)] == 1
