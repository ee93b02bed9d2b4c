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
from dealgraph.web.results import Serialized
from dealgraph.web.workers import BYTES_PER_QUAD, AnswerCache, Job, memory_budget

SUBJECT = URIRef("https://w3id.org/dealgraph/id/org/example")


@pytest.fixture
def app():
    store = OxigraphStore()
    store.add_quads([(SUBJECT, URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    app = create_app(Settings(query_workers=1, shapes=None, answer_cache_bytes=0), store)
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
def on_disk_app(folder, memory_replica_quads: int | None, extra: int = 0, workers: int = 1, cache: int = 0):
    """An app over an on-disk store of ``1 + extra`` quads (only one of them about SUBJECT), its workers
    stopped at the end.

    *cache*: ``Settings.answer_cache_bytes``, none by default so that the workers answer every query.
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
        answer_cache_bytes=cache,
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


# ---------------------------------------------------------------- the answer cache


@pytest.fixture
def cached():
    """Like ``app``, with the answer cache on (as by default)."""
    store = OxigraphStore()
    store.add_quads([(SUBJECT, URIRef("https://w3id.org/dealgraph/ontology#owns"), URIRef(f"{SUBJECT}-a"), USER_GRAPH)])
    app = create_app(Settings(query_workers=1, shapes=None), store)
    yield app
    app.extensions["dealgraph"].pool.close()


def test_a_query_answered_once_is_answered_again_from_the_cache_until_the_data_changes(cached):
    client = cached.test_client()
    assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a"}  # the first time: a worker
    assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a"}
    assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a"}
    store = cached.extensions["dealgraph"].store
    store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
    assert answer_from(client, "memory", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}  # a new version: a worker
    assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def replica_and_body(client, query: str, accept: str = "text/csv") -> tuple[str, int, bytes]:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    return replica_of(response), response.status_code, response.data


def test_a_slow_query_is_evaluated_once_and_then_answered_at_once(cached):
    client = cached.test_client()
    started = time.monotonic()
    assert replica_and_body(client, SLOW) == ("memory", 200, b"n\r\n4096000\r\n")  # about a second
    evaluated = time.monotonic() - started
    started = time.monotonic()
    assert replica_and_body(client, SLOW) == ("cache", 200, b"n\r\n4096000\r\n")
    assert time.monotonic() - started < evaluated / 10


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT (NOW() AS ?now) WHERE {}",
        "SELECT (rand() AS ?chance) WHERE {}",
        "SELECT (STRUUID () AS ?id) WHERE {}",
    ],
)
def test_a_query_whose_answer_depends_on_more_than_the_data_is_evaluated_every_time(cached, query):
    client = cached.test_client()
    for _ in range(2):
        replica, status, _ = replica_and_body(client, query, "application/sparql-results+json")
        assert replica == "memory"
        assert status == (403 if "SERVICE" in query else 200)


def test_a_failed_query_is_not_kept(cached):
    client = cached.test_client()
    for _ in range(2):
        replica, status, body = replica_and_body(client, "SELECT * WHERE { ?s ?p }", "application/sparql-results+json")
        assert (replica, status) == ("memory", 400)
        assert json.loads(body)["error"]["line"] == 1


def test_the_cache_gives_an_answer_only_to_the_same_job(cached):
    """The job is the query with its dataset and format: another format goes to a worker first."""
    client = cached.test_client()
    query = f"SELECT ?o WHERE {{ <{SUBJECT}> ?p ?o }}"
    assert replica_and_body(client, query) == ("memory", 200, f"o\r\n{SUBJECT}-a\r\n".encode())
    assert replica_and_body(client, query) == ("cache", 200, f"o\r\n{SUBJECT}-a\r\n".encode())
    replica, status, body = replica_and_body(client, query, "application/sparql-results+json")
    assert (replica, status) == ("memory", 200)
    assert json.loads(body)["results"]["bindings"] == [{"o": {"type": "uri", "value": f"{SUBJECT}-a"}}]
    response = client.get("/sparql", query_string={"query": query, "named-graph-uri": str(USER_GRAPH)})
    assert (replica_of(response), response.status_code) == ("memory", 200)


def test_on_disk_the_cache_answers_though_no_copy_of_the_dataset_fits_in_memory(tmp_path):
    with on_disk_app(tmp_path, memory_replica_quads=0, cache=1 << 20) as app:
        client = app.test_client()
        assert answer_from(client, "checkpoint", seconds=0) == {f"{SUBJECT}-a"}
        assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a"}
        store = app.extensions["dealgraph"].store
        store.update(f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{SUBJECT}> <urn:p> <{SUBJECT}-b> }} }}")
        assert answer_from(client, "checkpoint", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}
        assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a", f"{SUBJECT}-b"}


def job(n: int, length: int = 0) -> Job:
    return Job(f"ASK {{ <urn:q:{n}> ?p ?o }}".ljust(length), None, None, "json", None, 100)


def answer(n: int, size: int = 0) -> Serialized:
    return Serialized("ask", "json", str(n).encode().ljust(size), 1)


def test_the_cache_holds_a_bounded_number_of_bytes_the_least_recently_used_given_up():
    cache = AnswerCache(80_000)
    for n in range(12):
        cache.keep(1, job(n), answer(n, 9_900))  # with its query, about 10 kB
        if n >= 2:
            assert cache.get(1, job(2)) == answer(2, 9_900)  # used again and again: kept
    assert [n for n in range(12) if cache.get(1, job(n)) is not None] == [2, *range(5, 12)]  # 8 fit
    assert cache.usage()["bytes"] <= 80_000 and cache.usage()["entries"] == 8
    cache.keep(1, job(99), answer(99, 10_001))  # over an eighth of the whole
    assert cache.get(1, job(99)) is None


def test_an_answer_from_a_replaced_version_is_not_kept_and_a_new_version_forgets_the_old():
    cache = AnswerCache(1 << 20)
    cache.keep(1, job(1), answer(1))
    assert cache.get(1, job(1)) == answer(1)
    assert cache.get(2, job(1)) is None  # the data changed
    cache.keep(1, job(2), answer(2))  # a worker still on version 1 answered after the write
    assert cache.get(2, job(2)) is None and cache.get(1, job(2)) is None
    assert cache.usage() == {"entries": 0, "bytes": 0, "max_bytes": 1 << 20}


def test_health_counts_a_worker_in_memory_once_it_has_loaded_its_copy_though_it_answered_nothing_since(tmp_path):
    # Quads enough that the copy is written after the worker is idle again.
    with on_disk_app(tmp_path, memory_replica_quads=2 * 50_001, extra=50_000, cache=1 << 20) as app:
        client = app.test_client()
        assert answer_from(client, "checkpoint", seconds=0) == {f"{SUBJECT}-a"}  # the one query a worker runs
        deadline = time.monotonic() + 60
        while (found := json.loads(client.get("/health").data))["query_workers"]["replicas"] != {"memory": 1}:
            assert time.monotonic() < deadline, found
            assert answer_from(client, "cache", seconds=0) == {f"{SUBJECT}-a"}
            time.sleep(0.2)
        assert found["answer_cache"]["entries"] == 1


def test_the_cache_can_be_turned_off():
    app = create_app(Settings(query_workers=1, shapes=None, answer_cache_bytes=0), OxigraphStore())
    try:
        client = app.test_client()
        assert [replica_and_body(client, "ASK {}")[0] for _ in range(3)] == ["memory"] * 3
        assert json.loads(client.get("/health").data)["answer_cache"] == {"entries": 0, "bytes": 0, "max_bytes": 0}
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
