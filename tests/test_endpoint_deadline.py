"""Runaway queries are stopped at their deadline, for real, while others are still served.

The server here has a 2 s deadline, two query workers and a 50-row limit; its data
has a filler graph of 120 triples, so a 5-way cross product of the default graph
(more than 120**5 solutions) never finishes by itself.
"""

from __future__ import annotations

import threading
import time

import psutil
import pytest
import requests
from conftest import FILLER_TRIPLES

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
JSON = "application/sparql-results+json"


def wait_for_idle_workers(server, seconds: float = 30.0) -> None:
    """Until every worker is up and idle (a killed one takes a moment to be replaced)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = requests.get(f"{server.url}/health").json()["query_workers"]
        if workers["busy"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"the query workers were still busy after {seconds} s")


def wait_until_busy(server, workers: int, seconds: float = 10.0) -> None:
    """Until *workers* query workers are running a query."""
    deadline = time.monotonic() + seconds
    while requests.get(f"{server.url}/health").json()["query_workers"]["busy"] < workers:
        assert time.monotonic() < deadline, f"fewer than {workers} workers became busy in {seconds} s"
        time.sleep(0.05)


def descendants(server) -> list[psutil.Process]:
    return psutil.Process(server.process.pid).children(recursive=True)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


class Background:
    """A request running in a thread, so the test can act while it waits."""

    def __init__(self, method, *args, **kwargs):
        self.response: requests.Response | None = None
        self.thread = threading.Thread(target=self._run, args=(method, args, kwargs), daemon=True)
        self.started = time.monotonic()
        self.thread.start()

    def _run(self, method, args, kwargs):
        self.response = method(*args, **kwargs)
        self.seconds = time.monotonic() - self.started

    def result(self, timeout: float = 30.0) -> requests.Response:
        self.thread.join(timeout)
        assert self.response is not None, "the request did not finish"
        return self.response


@pytest.fixture
def server(strict_endpoint):
    wait_for_idle_workers(strict_endpoint)
    return strict_endpoint


def burning(processes: list[psutil.Process], seconds: float = 0.5) -> dict[int, float]:
    """CPU share of each process over *seconds*."""
    for process in processes:
        process.cpu_percent(None)
    time.sleep(seconds)
    shares = {}
    for process in processes:
        try:
            shares[process.pid] = process.cpu_percent(None)
        except psutil.NoSuchProcess:
            pass
    return shares


def test_runaway_query_is_stopped_at_its_deadline_and_frees_the_cpu(server):
    workers = descendants(server)
    runaway = Background(requests.get, f"{server.url}/sparql", params={"query": RUNAWAY}, headers={"Accept": JSON})
    time.sleep(0.3)
    shares = burning(workers, 0.7)
    running = max(shares, key=shares.get)
    assert shares[running] > 50, f"a worker should be running the query: {shares}"

    response = runaway.result()
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["title"] == "Query timeout"
    assert "2 s" in error["detail"]
    assert 2.0 <= runaway.seconds < 5.0

    assert not psutil.pid_exists(running), "the worker that ran the query is gone"
    wait_for_idle_workers(server)
    after = descendants(server)
    spent = cpu_seconds(after)
    time.sleep(1.0)
    assert cpu_seconds(after) - spent < 0.2, "nothing of the query still uses CPU"
    assert running not in {p.pid for p in after}


def test_ask_is_answered_while_a_runaway_query_runs(server):
    runaway = Background(requests.get, f"{server.url}/sparql", params={"query": RUNAWAY}, headers={"Accept": JSON})
    time.sleep(0.3)
    started = time.monotonic()
    response = requests.get(
        f"{server.url}/sparql",
        params={"query": "ASK { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { ?s ?p ?o } }"},
        headers={"Accept": JSON},
    )
    answered_in = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["boolean"] is True
    assert answered_in < 1.0
    assert runaway.thread.is_alive(), "the runaway query was still running when the ASK was answered"
    assert runaway.result().status_code == 503


def test_when_every_worker_is_busy_a_request_gets_a_503_not_a_hang(server):
    runaways = [
        Background(requests.get, f"{server.url}/sparql", params={"query": RUNAWAY}, headers={"Accept": JSON})
        for _ in range(2)
    ]
    wait_until_busy(server, 2)  # both runaways hold a worker (a fixed sleep is not enough on a loaded machine)
    started = time.monotonic()
    response = requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, headers={"Accept": JSON})
    assert response.status_code == 503
    assert time.monotonic() - started < 4.0
    assert response.json()["error"]["status"] == 503
    assert [r.result().status_code for r in runaways] == [503, 503]


def test_results_over_the_row_limit_are_refused_clearly(server):
    query = "SELECT ?s WHERE { GRAPH <https://w3id.org/dealgraph/graph/filler> { ?s ?p ?o } }"
    response = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": JSON})
    assert FILLER_TRIPLES > 50
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["title"] == "Result too large"
    assert "50" in error["detail"] and "LIMIT" in error["detail"]
    limited = requests.get(f"{server.url}/sparql", params={"query": query + " LIMIT 50"}, headers={"Accept": JSON})
    assert len(limited.json()["results"]["bindings"]) == 50


def test_construct_over_the_row_limit_is_refused_too(server):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/dealgraph/graph/filler> { ?s ?p ?o } }"
    response = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert response.status_code == 400
    assert response.json()["error"]["title"] == "Result too large"
