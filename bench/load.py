"""Load test: many clients against a loopback ``dealgraph serve --store`` for a while.

Clients run in threads, each with its own HTTP connection, and loop until time is up:

* **readers** (most clients) alternate saved queries (``/queries/<name>``) and SPARQL
  queries on ``/sparql``;
* one **runaway** client sends a query that never ends (a cross product) and waits for
  the server to stop it at its deadline (a 503 "Query timeout" is the expected answer);
* one **writer** adds and removes a label through ``POST /update`` (token required).

Reported per kind: requests, statuses, p50/p99 latency; overall: throughput, 5xx that
were not the expected runaway timeouts, dropped connections, and how long runaway
queries ran against the deadline.

    python bench/load.py --clients 16 --seconds 60 --write-results bench/RESULTS-load.md
    python bench/load.py --url http://127.0.0.1:8000 --token T --clients 4 --seconds 5 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

SAVED = ["deals", "acquisitions-by-acquirer", "holding-periods", "timeline", "organizations-by-name", "claims"]
SPARQL = [
    "SELECT ?deal ?label WHERE { ?deal a dg:Deal ; rdfs:label ?label } LIMIT 50",
    "SELECT ?o (COUNT(*) AS ?n) WHERE { ?s dg:owns ?o } GROUP BY ?o",
    "ASK { ?a dg:controls ?b }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LABEL = "https://w3id.org/dealgraph/id/org/alapage"


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Recorder:
    """Latencies and outcomes per kind of request, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.dropped: Counter = Counter()

    def record(self, kind: str, seconds: float, status: int | None) -> None:
        with self.lock:
            if status is None:
                self.dropped[kind] += 1
            else:
                self.latency[kind].append(seconds)
                self.statuses[kind][status] += 1


def _timed(session: requests.Session, recorder: Recorder, kind: str, method: str, url: str, **kwargs) -> None:
    started = time.perf_counter()
    try:
        response = session.request(method, url, timeout=120, **kwargs)
        response.content  # noqa: B018 - read the whole body, as a client would
        status = response.status_code
    except requests.RequestException:
        status = None
    recorder.record(kind, time.perf_counter() - started, status)


def reader(url: str, recorder: Recorder, stop: float, number: int) -> None:
    session = requests.Session()
    i = number
    while time.monotonic() < stop:
        if i % 2:
            _timed(session, recorder, "saved query", "GET", f"{url}/queries/{SAVED[i % len(SAVED)]}",
                   headers={"Accept": "application/sparql-results+json"})
        else:
            _timed(session, recorder, "sparql query", "GET", f"{url}/sparql",
                   params={"query": SPARQL[i % len(SPARQL)]}, headers={"Accept": "application/sparql-results+json"})
        i += 1


def runaway(url: str, recorder: Recorder, stop: float, pause: float) -> None:
    session = requests.Session()
    while time.monotonic() < stop:
        _timed(session, recorder, "runaway query", "POST", f"{url}/sparql", data={"query": RUNAWAY},
               headers={"Accept": "application/sparql-results+json"})
        time.sleep(pause)


def writer(url: str, token: str, recorder: Recorder, stop: float) -> None:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"}
    n = 0
    while time.monotonic() < stop:
        label = f'"load test {os.getpid()}-{n}"'
        _timed(session, recorder, "write", "POST", f"{url}/update", headers=headers,
               data=f"INSERT DATA {{ <{LABEL}> skos:altLabel {label} }}".encode())
        _timed(session, recorder, "write", "POST", f"{url}/update", headers=headers,
               data=f"DELETE DATA {{ <{LABEL}> skos:altLabel {label} }}".encode())
        n += 1


def run(url: str, token: str, clients: int, seconds: float, deadline: float) -> dict:
    """Run the mix for *seconds* with *clients* threads; the summary as a dict."""
    recorder = Recorder()
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=runaway, args=(url, recorder, stop, deadline)),
               threading.Thread(target=writer, args=(url, token, recorder, stop))]
    threads += [threading.Thread(target=reader, args=(url, recorder, stop, i)) for i in range(max(clients - 2, 1))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    kinds = {}
    for kind in sorted(set(recorder.latency) | set(recorder.dropped)):
        values = recorder.latency[kind]
        kinds[kind] = {
            "requests": len(values) + recorder.dropped[kind],
            "statuses": dict(sorted(recorder.statuses[kind].items())),
            "p50_ms": round(_percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values, default=0) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else 0.0,
        }
    unexpected_5xx = sum(n for kind, counter in recorder.statuses.items() for status, n in counter.items()
                         if status >= 500 and not (kind == "runaway query" and status == 503))
    total = sum(k["requests"] for k in kinds.values())
    return {
        "clients": len(threads),
        "seconds": round(elapsed, 1),
        "requests": total,
        "throughput_per_s": round(total / elapsed, 1),
        "unexpected_5xx": unexpected_5xx,
        "dropped_connections": sum(recorder.dropped.values()),
        "query_deadline_s": deadline,
        "kinds": kinds,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path, token: str, deadline: float, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DEALGRAPH_UPDATE_TOKEN": token, "DEALGRAPH_QUERY_TIMEOUT": str(deadline),
           "DEALGRAPH_QUERY_WORKERS": str(workers)}
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "dealgraph", "serve", "--port", str(port), "--store",
                                str(folder / "store")], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def markdown(summary: dict, workers: int) -> str:
    rows = "\n".join(
        f"| {kind} | {k['requests']} | {', '.join(f'{s}: {n}' for s, n in k['statuses'].items())} | "
        f"{k['p50_ms']} | {k['p99_ms']} | {k['max_ms']} |"
        for kind, k in summary["kinds"].items()
    )
    return f"""# Load test (bench/load.py)

`python bench/load.py --clients {summary['clients']} --seconds {summary['seconds']:.0f} --write-results \
bench/RESULTS-load.md` on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}:
a loopback `dealgraph serve --store DIR` on the shipped data with {workers} query workers and a
{summary['query_deadline_s']:g} s query deadline; {summary['clients'] - 2} reader clients (saved queries and SPARQL
queries, alternating), 1 client sending runaway queries (a 4-way cross product that never ends),
1 client writing (`INSERT DATA` then `DELETE DATA` of a label through `/update`, each one validated,
re-reasoned, committed and flushed).

- {summary['requests']} requests in {summary['seconds']} s: **{summary['throughput_per_s']} requests/s**
- unexpected 5xx: **{summary['unexpected_5xx']}**; dropped connections: **{summary['dropped_connections']}**
- runaway queries: stopped at the deadline with a 503 "Query timeout" (see their latency)

| kind | requests | statuses | p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|
{rows}

The machine has 2 cores: each runaway query keeps one busy until its worker is killed at
the deadline, and a write re-derives the inferred graph (full re-derivation), so reader
latency here is an upper bound of what a bigger machine gives.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one on a fresh --store)")
    parser.add_argument("--token", default="load-test-token")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--deadline", type=float, default=5.0, help="the server's query deadline (started servers)")
    parser.add_argument("--workers", type=int, default=3, help="query workers (started servers)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--write-results", type=Path, help="write the summary as Markdown to this file")
    args = parser.parse_args()
    process = None
    with tempfile.TemporaryDirectory() as folder:
        url = args.url
        if url is None:
            process, url = start_server(Path(folder), args.token, args.deadline, args.workers)
        try:
            summary = run(url, args.token, args.clients, args.seconds, args.deadline)
        finally:
            if process is not None:
                process.terminate()
                process.wait(30)
    if args.write_results:
        args.write_results.write_text(markdown(summary, args.workers), encoding="utf-8")
    print(json.dumps(summary, indent=1) if args.json else markdown(summary, args.workers))


if __name__ == "__main__":
    main()
