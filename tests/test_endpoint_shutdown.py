"""``dealgraph serve`` stops gracefully on SIGTERM: requests in flight finish, nothing lingers."""

from __future__ import annotations

import signal
import threading
import time

import psutil
import pytest
import requests
from conftest import start_dealgraph, write_small_dataset

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_stop_signal_lets_the_request_in_flight_finish_then_exits_cleanly(tmp_path, stop_signal):
    data = write_small_dataset(tmp_path)
    server = start_dealgraph(tmp_path / "serve.log", "--data", str(data), env={"DEALGRAPH_QUERY_TIMEOUT": "1.5"})
    workers = psutil.Process(server.process.pid).children(recursive=True)
    assert workers
    answers: list[requests.Response] = []
    in_flight = threading.Thread(
        target=lambda: answers.append(requests.get(f"{server.url}/sparql", params={"query": SLOW}, timeout=30))
    )
    in_flight.start()
    time.sleep(0.5)
    server.process.send_signal(stop_signal)
    time.sleep(0.3)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/health", timeout=2)

    in_flight.join(30)
    (answer,) = answers
    assert answer.status_code == 503
    assert answer.json()["error"]["title"] == "Query timeout"
    assert server.process.wait(15) == 0
    time.sleep(0.2)
    assert not [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert "finishing the requests in flight" in server.log_text()
