"""Benchmark: ``dealgraph serve`` beside ``oxigraph serve-read-only`` on the same data.

Both servers are started here, on the shipped dataset: dealgraph builds it itself;
Oxigraph loads ``dealgraph export`` (N-Quads, inferred graph included) and serves
it with ``--union-default-graph``, so both answer every query over the same
triples with the same default graph. The queries are the saved competency queries,
bound with their defaults exactly as ``/queries/<name>`` binds them. dealgraph is
asked twice: with that SPARQL on ``/sparql``, and by the saved-query REST API
(``GET /queries/<name>``, which binds the defaults itself and answers one page), as it
comes (its caches on).

Measured in one run, on the same machine, with the same client:

* median latency of each query (sequential requests, after a warm-up);
* requests per second with 1 and with 8 concurrent clients cycling through them.

Run ``python bench/endpoint.py`` (needs the ``oxigraph`` CLI: ``pip install oxigraph``);
results go to ``bench/RESULTS-endpoint.md``. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

from dealgraph import Settings, build
from dealgraph.saved_queries import run_saved_query, saved_queries

HERE = Path(__file__).resolve().parent
ACCEPT = {"Accept": "application/sparql-results+json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    query_url: str
    #: Asks ``{query_url}/<name>`` (a saved query with its defaults) instead of sending the SPARQL.
    saved: bool = False

    def wait_until_up(self, probe: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                if requests.get(probe, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not up within {seconds} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def competency_queries() -> dict[str, str]:
    """Each saved query's final SPARQL, bound with its defaults as the web app binds it."""
    store = build(Settings(), progress=lambda message: None).store
    texts = {}
    for name, query in sorted(saved_queries().items()):
        run_saved_query(store, query, {}, run=lambda text, name=name: texts.__setitem__(name, text))
    return texts


def start_dealgraph(log: Path) -> list[Server]:
    """dealgraph's SPARQL endpoint and its saved-query API: one process, two ways to ask."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dealgraph", "serve", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server("dealgraph", process, f"http://127.0.0.1:{port}/sparql")
    server.wait_until_up(f"http://127.0.0.1:{port}/health")
    return [server, Server("saved", process, f"http://127.0.0.1:{port}/queries", saved=True)]


def start_oxigraph(folder: Path, log: Path) -> Server:
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    dump = folder / "dealgraph.nq"
    with dump.open("wb") as out:
        subprocess.run([sys.executable, "-m", "dealgraph", "export", "--format", "nquads"], stdout=out, check=True)
    location = folder / "oxigraph"
    subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(dump)], check=True, capture_output=True
    )
    port = free_port()
    process = subprocess.Popen(
        [
            oxigraph,
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server("oxigraph", process, f"http://127.0.0.1:{port}/query")
    server.wait_until_up(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D")
    return server


def ask(session: requests.Session, server: Server, name: str, query: str) -> bytes:
    if server.saved:
        response = session.get(f"{server.query_url}/{name}", headers=ACCEPT, timeout=60)
    else:
        response = session.post(server.query_url, data={"query": query}, headers=ACCEPT, timeout=60)
    response.raise_for_status()
    return response.content


def latencies(servers: list[Server], queries: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """Median milliseconds of each query on each server, requests interleaved."""
    medians: dict[str, dict[str, float]] = {}
    sessions = {s.name: requests.Session() for s in servers}
    for name, text in queries.items():
        timings: dict[str, list[float]] = {s.name: [] for s in servers}
        for server in servers:
            ask(sessions[server.name], server, name, text)
        for _ in range(repeat):
            for server in servers:
                started = time.perf_counter()
                ask(sessions[server.name], server, name, text)
                timings[server.name].append((time.perf_counter() - started) * 1000)
        medians[name] = {server: statistics.median(values) for server, values in timings.items()}
    return medians


def throughput(server: Server, queries: list[tuple[str, str]], clients: int, seconds: float) -> float:
    """Requests per second with *clients* threads cycling through *queries* (name, SPARQL)."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        i = index
        while time.monotonic() < stop:
            ask(session, server, *queries[i % len(queries)])
            done[index] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def report(medians, rates, args) -> str:
    import pyoxigraph

    lines = [
        "# Endpoint benchmark: `dealgraph serve` and `oxigraph serve-read-only`",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/endpoint.py` on {platform.platform()}, "
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"pyoxigraph/oxigraph {pyoxigraph.__version__}.",
        "",
        "Same data (the shipped dataset with its inferences; Oxigraph loads `dealgraph export` and uses",
        "`--union-default-graph`), same client (requests, SPARQL JSON results), one run,",
        "client and servers on the same machine. dealgraph runs with its defaults (8 threads, 2 query",
        "worker processes, 30 s deadline, the answer and response caches on: a query asked again is",
        "answered from them until the data changes); `/queries/<name>` is asked with GET, the others",
        "with POST. `bench/run.py` measures dealgraph without its caches too.",
        "",
        f"## Median latency (ms) of each competency query ({args.repeat} sequential requests each)",
        "",
        "| query | dealgraph `/sparql` | dealgraph `/queries/<name>` | oxigraph | ratios |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, m in medians.items():
        lines.append(
            f"| {name} | {m['dealgraph']:.2f} | {m['saved']:.2f} | {m['oxigraph']:.2f} "
            f"| {m['dealgraph'] / m['oxigraph']:.2f}× / {m['saved'] / m['oxigraph']:.2f}× |"
        )
    dg, saved, ox = (statistics.median(m[s] for m in medians.values()) for s in ("dealgraph", "saved", "oxigraph"))
    lines += [
        f"| **median of the medians** | **{dg:.2f}** | **{saved:.2f}** | **{ox:.2f}** "
        f"| **{dg / ox:.2f}× / {saved / ox:.2f}×** |",
        "",
    ]
    lines += [
        f"## Throughput (requests/s, {args.seconds:g} s per measurement, clients cycling through the queries)",
        "",
        "| clients | dealgraph `/sparql` | dealgraph `/queries/<name>` | oxigraph | ratios |",
        "|---:|---:|---:|---:|---:|",
    ]
    for clients, r in rates.items():
        lines.append(
            f"| {clients} | {r['dealgraph']:.0f} | {r['saved']:.0f} | {r['oxigraph']:.0f} "
            f"| {r['dealgraph'] / r['oxigraph']:.2f}× / {r['saved'] / r['oxigraph']:.2f}× |"
        )
    lines += [
        "",
        "Ratios are dealgraph / oxigraph: above 1× latency means dealgraph is slower; below 1× throughput",
        "means it serves fewer requests per second.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="requests per query for the latency medians")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per throughput measurement")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS-endpoint.md")
    args = parser.parse_args()

    queries = competency_queries()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        servers = [*start_dealgraph(folder / "dealgraph.log"), start_oxigraph(folder, folder / "oxigraph.log")]
        try:
            for name, text in queries.items():
                answers = [ask(requests.Session(), s, name, text) for s in servers]
                assert all(a for a in answers)
            medians = latencies(servers, queries, args.repeat)
            rates = {}
            for clients in (1, 8):
                rates[clients] = {s.name: throughput(s, list(queries.items()), clients, args.seconds) for s in servers}
        finally:
            for server in {s.process: s for s in servers}.values():
                server.stop()
    text = report(medians, rates, args)
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
