"""Shared fixtures: the shipped dataset built once, and the paths tests read from."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.term import Node

from dealgraph import Settings, build
from dealgraph.saved_queries import run_saved_query as execute_saved_query
from dealgraph.saved_queries import saved_queries

#: ``../shared`` beside the repository: test suites and datasets that are not ours to copy.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared folder comes with the workplace, not the repository)")
    return path


class KnowledgeGraph:
    """The shipped dataset after validation and reasoning, for asserting answers."""

    def __init__(self, store):
        self.store = store

    def select(self, query: str, **bindings: Node) -> list[dict[str, Node]]:
        """Rows of a SELECT, with *bindings* substituted as RDF terms."""
        return list(self.store.query(query, bindings=bindings or None).rows())

    def ask(self, query: str) -> bool:
        return self.store.query(query).boolean


@pytest.fixture(scope="session")
def knowledge_graph() -> KnowledgeGraph:
    return KnowledgeGraph(build(Settings(), progress=lambda message: None).store)


@pytest.fixture(scope="session")
def run_saved_query(knowledge_graph):
    """Run ``queries/<name>.rq`` as the CLI and the web app do (``dealgraph.saved_queries.
    run_saved_query``): values are RDF terms or text as a user types it (validated against
    the parameter's type), bound as RDF terms; parameters not given take their defaults."""
    queries = saved_queries()

    def run(name: str, **values: Node | str | list) -> list[dict[str, Node]]:
        return list(execute_saved_query(knowledge_graph.store, queries[name], values).rows())

    return run


# --- endpoint fixtures ---
# Real servers, started and stopped by the tests: `dealgraph serve` on the shipped data,
# a second one on a small dataset with a 2 s deadline, a third on the small dataset that
# takes updates, and an Oxigraph server.

import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import requests  # noqa: E402

#: The W3C protocol suite names its graphs after these documents.
W3C_PROTOCOL_GRAPHS = {f"data{i}.nt": f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)}
#: Triples in the small dataset's filler graph: a 5-way cross product of them never ends.
FILLER_TRIPLES = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A server process the tests started, its base URL and its log file."""

    process: subprocess.Popen
    url: str
    log: Path
    #: Seconds from starting the process to its first healthy answer.
    ready_after: float = 0.0

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as an init system would; SIGKILL only if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _wait_until_up(server: RunningServer, probe: str, seconds: float) -> None:
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log_text()[-3000:]}")
        try:
            if requests.get(server.url + probe, timeout=2).status_code == 200:
                server.ready_after = time.monotonic() - started
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server was not up within {seconds} s:\n{server.log_text()[-3000:]}")


def start_dealgraph(log: Path, *args: str, env: dict[str, str] | None = None, up_within: float = 60.0) -> RunningServer:
    """``dealgraph serve`` on a free loopback port, once ``/health`` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "dealgraph", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    stream = log.open("wb")
    process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    _wait_until_up(server, "/health", up_within)
    return server


def write_small_dataset(folder: Path) -> Path:
    """The W3C protocol suite's data in its named graphs, plus a filler graph, as N-Quads."""
    protocol = shared_path("suites", "sparql11", "protocol")
    lines = []
    for name, graph in W3C_PROTOCOL_GRAPHS.items():
        for line in (protocol / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(line.rstrip().removesuffix(".").rstrip() + f" <{graph}> .")
    filler = "https://w3id.org/dealgraph/graph/filler"
    for i in range(FILLER_TRIPLES):
        lines.append(f"<urn:x-filler:s{i}> <urn:x-filler:p> \"{i}\" <{filler}> .")
    path = folder / "small.nq"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory) -> Iterator[RunningServer]:
    """``dealgraph serve`` on the shipped data, default settings."""
    server = start_dealgraph(tmp_path_factory.mktemp("endpoint") / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def strict_endpoint(tmp_path_factory) -> Iterator[RunningServer]:
    """``dealgraph serve`` on the small dataset, with a 2 s deadline and a 50-row limit."""
    folder = tmp_path_factory.mktemp("strict-endpoint")
    data = write_small_dataset(folder)
    env = {"DEALGRAPH_QUERY_TIMEOUT": "2", "DEALGRAPH_MAX_RESULT_ROWS": "50", "DEALGRAPH_QUERY_WORKERS": "2"}
    server = start_dealgraph(folder / "serve.log", "--data", str(data), env=env)
    yield server
    server.stop()


#: The bearer token :func:`writable_endpoint` takes updates with.
UPDATE_TOKEN = "protocol-test-token"


@pytest.fixture(scope="module")
def writable_endpoint(tmp_path_factory) -> Iterator[RunningServer]:
    """``dealgraph serve`` on the small dataset with an update token (:data:`UPDATE_TOKEN`):
    one per test module, so that what one module writes is not what the next one reads."""
    folder = tmp_path_factory.mktemp("writable-small")
    data = write_small_dataset(folder)
    server = start_dealgraph(folder / "serve.log", "--data", str(data), env={"DEALGRAPH_UPDATE_TOKEN": UPDATE_TOKEN})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[RunningServer]:
    """An empty in-memory Oxigraph server (the PyPI ``oxigraph`` CLI), to federate from."""
    executable = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(executable).exists():
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    log = tmp_path_factory.mktemp("oxigraph") / "oxigraph.log"
    process = subprocess.Popen(
        [executable, "serve", "--bind", f"127.0.0.1:{port}"], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    _wait_until_up(server, "/query?query=ASK%7B%7D", 30)
    yield server
    server.stop()


# --- deal-list imports (issue 8) ---


@dataclass(frozen=True)
class ImportedSample:
    """The first rows of Crunchbase's acquisitions, imported, and the ontology to load them with."""

    output: Path
    ontology: Path


@pytest.fixture(scope="session")
def crunchbase_sample(tmp_path_factory) -> ImportedSample:
    """Crunchbase's first 400 rows, with the acquirers' own acquisitions so that chains exist."""
    import csv

    from dealgraph.config import shipped_ontology
    from dealgraph.importer import CRUNCHBASE, import_deals

    source = shared_path("datasets", "deals", "crunchbase-2015", "acquisitions.csv")
    folder = tmp_path_factory.mktemp("crunchbase-sample")
    with open(source, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    first = rows[:400]
    targets = {r["acquirer_permalink"] for r in first}
    chained = [r for r in rows[400:] if r["company_permalink"] in targets][:200]
    sample = folder / "sample.csv"
    with open(sample, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(first + chained)
    output = folder / "sample.nt.gz"
    _, data = import_deals(sample, CRUNCHBASE, output)
    output.write_bytes(data)
    return ImportedSample(output, shipped_ontology())
