"""``dealgraph serve`` listens once the dataset is built and stops gracefully: requests in flight finish."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
import requests
from conftest import free_port, start_dealgraph, write_small_dataset

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
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
    # The query workers are killed before the web process exits; multiprocessing's resource
    # tracker leaves once the last of them is gone, which takes a moment on a loaded machine.
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not [w.pid for w in alive if w.status() != psutil.STATUS_ZOMBIE]
    assert "finishing the requests in flight" in server.log_text()


def test_connections_are_refused_until_the_dataset_is_built(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "dealgraph", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    refused = 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
            except requests.ConnectionError:
                refused += 1
                time.sleep(0.05)
                continue
            # it answered: the build was over (the line is logged before the port is opened)
            assert "serving on" in log.read_text(), log.read_text()
            assert answer.json()["triples"] > 16000
            break
        else:
            pytest.fail(f"never answered:\n{log.read_text()[-2000:]}")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    assert refused > 0  # the build takes seconds: some attempts came before it was over
    assert "loading" in log.read_text()


def test_a_port_in_use_is_named_before_anything_is_loaded():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dealgraph", "serve", "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr, result.stderr
    assert "loading" not in result.stderr and "Traceback" not in result.stderr and "backtrace" not in result.stderr
