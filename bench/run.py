"""The scale benchmark: ``python bench/run.py [--sizes 10000 100000 1000000] [--no-crunchbase]``.

Builds the workloads — the shipped seed data; deal graphs of 10 k, 100 k (and 1 M)
triples from ``bench/generate.py``; the Crunchbase import (``dealgraph import deals``)
and LUBM(1) when ``../shared`` is here — and measures, side by side in one run on this machine:

* **inference**: our OWL 2 RL + domain rules (``reasoner=auto``, the median of
  ``--repeat`` runs) against owlrl's ``DeductiveClosure`` through the same pipeline
  (``reasoner=owlrl``; only up to ``--owlrl-cap`` asserted triples, it is naive), each
  in its own process, with peak memory;
* **start**: ``dealgraph serve --store DIR`` cold (load, validate, reason, start
  workers) and warm (restart on the same folder) until ``/health`` answers;
* **queries**: latency p50/p99 and throughput with 1 and 8 clients of three
  queries that select by organization (LUBM's 14 on LUBM(1), from ``../shared``,
  whose answer counts are checked), on ``dealgraph serve`` (as it comes, and
  without its answer cache), on ``oxigraph serve-read-only`` over a copy of the
  RocksDB folder it built (union default graph), and on rdflib-endpoint over a
  dump of it (up to ``--rdflib-cap`` triples), all up at once and measured in
  turns, so that the machine's drift does not land on one of them; throughput with
  ``wrk`` when it is installed (``apt install wrk``);
* **peak memory** of the ``dealgraph serve`` process tree (web process + workers).

Writes ``bench/RESULTS.md`` (ratios first, then the machine), ``bench/RESULTS.json`` and
``bench/cost-vs-size.png`` (beside another ``--results`` file, files named after it).
Not part of CI: it takes minutes (owlrl alone needs about 90 s per 100 k triples).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import psutil
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
PROLOGUE = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>\nPREFIX schema: <https://schema.org/>\n"
QUERIES = {
    "acquisitions-of": PROLOGUE
    + """SELECT ?deal ?target ?date ?amount WHERE {
  ?deal dg:acquirer <ORG> ; dg:target ?target .
  OPTIONAL { ?deal dg:date ?date } OPTIONAL { ?deal dg:price/schema:value ?amount } }""",
    "controls": PROLOGUE + "SELECT ?o WHERE { <ORG> dg:controls ?o }",
    "ownership-periods": PROLOGUE
    + """SELECT ?owned ?start ?end WHERE {
  ?p a dg:Ownership ; dg:owner <ORG> ; dg:owned ?owned .
  OPTIONAL { ?p dg:startDate ?start } OPTIONAL { ?p dg:endDate ?end } }""",
}


@dataclass
class Workload:
    name: str
    files: list[Path]
    queries: list[str]
    triples: int = 0
    #: Rows each query must return (LUBM's published counts), checked on every server.
    expected_rows: list[int] | None = None
    results: dict = field(default_factory=dict)


def by_organization(organization: str) -> list[str]:
    """The deal queries, about *organization* (the largest acquirer of the workload)."""
    return [query.replace("ORG", organization) for query in QUERIES.values()]


def lubm_workload() -> Workload | None:
    """LUBM(1) with the univ-bench ontology and its 14 queries, whose answer counts are published."""
    lubm = SHARED / "suites" / "lubm"
    if not lubm.exists():
        return None
    with open(lubm / "reference-answers-lubm1.tsv", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream, delimiter="\t"), key=lambda row: int(row["query"].lstrip("q")))
    return Workload(
        "LUBM(1)",
        [lubm / "univ-bench-zhp2.owl", lubm / "lubm1.nt.gz"],
        [(lubm / "queries" / f"{row['query']}.rq").read_text(encoding="utf-8") for row in rows],
        expected_rows=[int(row["expected_rows_LUBM(1,0)"]) for row in rows],
    )


# ---------------------------------------------------------------- workloads


def workloads(sizes: list[int], crunchbase: bool, lubm: bool, folder: Path) -> list[Workload]:
    sys.path.insert(0, str(HERE))
    from generate import write

    from dealgraph.config import shipped_data, shipped_ontology

    found = [Workload("seed", shipped_data(), by_organization("https://w3id.org/dealgraph/id/org/france-telecom"))]
    for size in sizes:
        path = folder / f"deals-{size}.nt.gz"
        write(size, path)
        found.append(
            Workload(
                f"generated {size // 1000} k",
                [shipped_ontology(), path],
                by_organization("https://w3id.org/dealgraph/id/org/gen/0"),
            )
        )
    source = SHARED / "datasets" / "deals" / "crunchbase-2015" / "acquisitions.csv"
    if crunchbase and source.exists():
        output = folder / "acquisitions.nt.gz"
        subprocess.run(
            [sys.executable, "-m", "dealgraph", "import", "deals", str(source), "-o", str(output)],
            check=True,
            capture_output=True,
        )
        found.append(
            Workload(
                "crunchbase",
                [shipped_ontology(), output],
                by_organization("https://w3id.org/dealgraph/id/org/crunchbase/google"),
            )
        )
    lubm = lubm_workload() if lubm else None
    return found + ([lubm] if lubm else [])


# ---------------------------------------------------------------- inference, in a process of its own

_INFER = """
import json, sys, time
from pathlib import Path

def peak_mb():
    # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

from dealgraph import Settings, build
engine, files = sys.argv[1], [Path(p) for p in sys.argv[2:]]
marks = []
started = time.perf_counter()
built = build(Settings(data=tuple(files), reasoner=engine, shapes=None), progress=lambda m: marks.append(time.perf_counter()))
report = built.report
print(json.dumps({"total": time.perf_counter() - started, "reason": report.seconds, "owl": report.owl_seconds, "inferred": report.inferred,
                  "asserted": sum(n for g, n in built.store.graph_counts().items() if not g.endswith(("/inferred", "/wikidata"))), "peak_mb": peak_mb()}))
"""


def infer(engine: str, files: list[Path], timeout: float) -> dict | None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _INFER, engine, *map(str, files)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": done.stderr[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_run(runs: Iterable[dict | None]) -> dict | None:
    """Of several runs of the reasoning step, the one with the median time (the first failure, if any)."""
    done = []
    for found in runs:
        if found is None or "reason" not in found:
            return found
        done.append(found)
    done.sort(key=lambda found: found["reason"])
    return {**done[len(done) // 2], "runs": [found["reason"] for found in done]}


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, command: list[str], url: str, probe: str, log: Path, env: dict | None = None):
        self.url, self.log = url, log
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.peak_mb = 0.0
        self._watch = True
        threading.Thread(target=self._sample, daemon=True).start()
        self.ready_after = self._wait(probe)

    def _sample(self) -> None:
        while self._watch and self.process.poll() is None:
            try:
                proc = psutil.Process(self.process.pid)
                rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                self.peak_mb = max(self.peak_mb, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    def _wait(self, probe: str, seconds: float = 3600) -> float:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace")[-3000:])
            try:
                if requests.get(self.url + probe, timeout=5).status_code == 200:
                    return time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.url} not up")

    def stop(self) -> None:
        self._watch = False
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def dealgraph_serve(files: list[Path], store: Path, log: Path, cache: bool = True) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "dealgraph", "serve", "--port", str(port), "--store", str(store)]
    for path in files:
        args += ["--data", str(path)]
    env = {"DEALGRAPH_RATE_LIMIT": "0", **({} if cache else {"DEALGRAPH_ANSWER_CACHE_BYTES": "0"})}
    return Server(args, f"http://127.0.0.1:{port}", "/health", log, env)


def oxigraph_serve(store: Path, log: Path) -> Server:
    port = free_port()
    executable = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    command = [
        executable,
        "serve-read-only",
        "--location",
        str(store),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    return Server(command, f"http://127.0.0.1:{port}", "/query?query=ASK%7B%7D", log)


def rdflib_serve(nquads: Path, log: Path) -> Server:
    port = free_port()
    executable = shutil.which("rdflib-endpoint") or str(Path(sys.executable).with_name("rdflib-endpoint"))
    command = [executable, "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)]
    return Server(command, f"http://127.0.0.1:{port}", "/?query=ASK%7B%7D", log)


# ---------------------------------------------------------------- queries


def ask(session: requests.Session, url: str, query: str) -> int:
    """Run *query*; returns its number of rows (reported, to check that every server answers alike)."""
    answer = session.post(
        url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=300
    )
    answer.raise_for_status()
    return len(answer.json()["results"]["bindings"])


def throughput(url: str, queries: list[str], clients: int, seconds: float) -> float:
    """Requests a second that *clients* connections get, each sending *queries* in turn without pause.

    With ``wrk`` (Debian's ``wrk``) when it is installed: one thread of C on the
    machine's cores, against about 650 requests a second for 8 Python client threads,
    which on 2 cores would set the pace for every server (see :data:`LOAD_CLIENT`).
    """
    if WRK is not None:
        return _wrk(url, queries, clients, seconds)
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            ask(session, url, queries[done[index] % len(queries)])
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


WRK = shutil.which("wrk")
LOAD_CLIENT = "wrk, 1 thread" if WRK else "Python threads with requests (install wrk for a client that is not the bottleneck)"

#: wrk's script: POST each query in turn, form-encoded, asking for SPARQL JSON results.
_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/sparql-results+json"
local bodies = {%s}
local sent = 0
request = function()
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(sent %% #bodies) + 1])
end
"""


def _wrk(url: str, queries: list[str], clients: int, seconds: float) -> float:
    bodies = ", ".join(json.dumps(urlencode({"query": query})) for query in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT % bodies)
        script.flush()
        command = [WRK, "-t1", f"-c{clients}", f"-d{max(seconds, 1):.0f}s", "-s", script.name, url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"{url} failed requests under load:\n{output}")
    return float(re.search(r"Requests/sec:\s*([\d.]+)", output).group(1))


def settle(url: str, seconds: float = 180) -> tuple[str, float]:
    """Wait until dealgraph's workers answer from memory (or stay on the checkpoint): the replica and when."""
    started = time.monotonic()
    replica, streak = "checkpoint", 0
    while time.monotonic() - started < seconds and streak < 6:
        query = f"ASK {{}} # {time.monotonic()}"  # a query not asked before: a worker answers it, not the cache
        timing = requests.post(url, data={"query": query}, timeout=60).headers.get("Server-Timing", "")
        replica = "memory" if 'desc="memory"' in timing else "checkpoint"
        streak = streak + 1 if replica == "memory" else 0
        time.sleep(0.5)
    return replica, time.monotonic() - started


def measure_side_by_side(endpoints: dict[str, str], queries: list[str], seconds: float, rounds: int = 4) -> dict:
    """Each server's rows, latency and throughput, measured in turns so that the machine's drift hits all alike.

    Latency: each query sent to every server in turn, 50 times over. Throughput, at 1
    and at 8 clients: *rounds* rounds, in each of which every server is loaded in turn
    for ``seconds / rounds``.
    """
    sessions = {name: requests.Session() for name in endpoints}
    found = {name: {"rows": [ask(sessions[name], url, query) for query in queries]} for name, url in endpoints.items()}
    times: dict[str, list[float]] = {name: [] for name in endpoints}
    for _ in range(50):
        for query in queries:
            for name, url in endpoints.items():
                started = time.perf_counter()
                ask(sessions[name], url, query)
                times[name].append(time.perf_counter() - started)
    for name, taken in times.items():
        taken.sort()
        found[name]["p50_ms"] = statistics.median(taken) * 1000
        found[name]["p99_ms"] = taken[min(len(taken) - 1, int(len(taken) * 0.99))] * 1000
    for clients, key in ((1, "rps1"), (8, "rps8")):
        for _ in range(rounds):
            for name, url in endpoints.items():
                rate = throughput(url, queries, clients, seconds / rounds)
                found[name][key] = found[name].get(key, 0.0) + rate / rounds
    return found


# ---------------------------------------------------------------- one workload


def run(workload: Workload, folder: Path, args) -> None:
    results = workload.results
    print(f"== {workload.name}", flush=True)
    results["ours"] = median_run(infer("auto", workload.files, timeout=3600) for _ in range(args.repeat))
    workload.triples = int(results["ours"].get("asserted", 0))
    if workload.triples <= args.owlrl_cap:
        results["owlrl"] = infer("owlrl", workload.files, timeout=args.owlrl_timeout)
    print(f"   inference {results.get('ours')} vs owlrl {results.get('owlrl')}", flush=True)
    store = folder / f"store-{workload.name.replace(' ', '-')}"
    cold = dealgraph_serve(workload.files, store, folder / "cold.log")
    results["cold_s"], cold_peak = cold.ready_after, cold.peak_mb
    cold.stop()
    copy = folder / "store-copy"  # Oxigraph's own copy of the store dealgraph built, not shared with a writer
    uncached_copy = folder / "store-uncached"  # and another for dealgraph without its answer cache
    for path in (copy, uncached_copy):
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(store, path)
    warm = dealgraph_serve(workload.files, store, folder / "warm.log")
    results["warm_s"] = warm.ready_after
    servers = {
        "uncached": dealgraph_serve(workload.files, uncached_copy, folder / "uncached.log", cache=False),
        "oxigraph": oxigraph_serve(copy, folder / "oxigraph.log"),
    }
    endpoints = {
        "dealgraph": warm.url + "/sparql",
        "uncached": servers["uncached"].url + "/sparql",
        "oxigraph": servers["oxigraph"].url + "/query",
    }
    if workload.triples <= args.rdflib_cap and workload.expected_rows is None:  # LUBM's joins take it minutes
        from dealgraph.store import OxigraphStore

        dump = folder / "dump.nq"
        with open(dump, "wb") as stream:
            OxigraphStore(copy, read_only=True).dump(stream, "nquads")
        servers["rdflib"] = rdflib_serve(dump, folder / "rdflib.log")
        endpoints["rdflib"] = servers["rdflib"].url + "/"
    queries = workload.queries
    for url in (endpoints["dealgraph"], endpoints["uncached"]):
        for query in queries:  # the first queries start the workers' in-memory copies
            ask(requests.Session(), url, query)
    results["replica"], results["memory_after_s"] = settle(endpoints["dealgraph"])
    settle(endpoints["uncached"])
    results.update(measure_side_by_side(endpoints, queries, args.seconds))
    if workload.expected_rows is not None:
        results["counts_right"] = {name: results[name]["rows"] == workload.expected_rows for name in endpoints}
    health = requests.get(warm.url + "/health", timeout=60).json()
    results["replicas"] = health["query_workers"]["replicas"]
    results["answer_cache"] = health["answer_cache"]
    results["serve_peak_mb"] = max(cold_peak, warm.peak_mb)
    for server in [warm, *servers.values()]:
        server.stop()
    for path in (copy, uncached_copy):
        shutil.rmtree(path, ignore_errors=True)
    print(f"   {json.dumps(results)}", flush=True)


# ---------------------------------------------------------------- report


def replicas(results: dict) -> str:
    """What dealgraph's workers answered from ("memory", or e.g. "1 memory, 1 checkpoint")."""
    counts = results.get("replicas") or {results.get("replica", "?"): 1}
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda item: item[0] != "memory"))


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}×" if a and b else "–"


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}, Python {platform.python_version()}"


def report(found: list[Workload], args) -> str:
    lines = [
        "# Scale benchmark (bench/run.py)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. Regenerate with `python bench/run.py`.",
        "",
        "## Ratios",
        "",
        "| workload | asserted triples | inference: owlrl ÷ ours | OWL 2 RL closure alone: owlrl ÷ ours | query p50: ours ÷ Oxigraph | 8-client throughput: ours ÷ Oxigraph | ours ÷ rdflib-endpoint (8 clients) |",
        "|---|---|---|---|---|---|---|",
        "| | | | | cached / uncached | cached / uncached | cached / uncached |",
    ]
    for w in found:
        r = w.results
        ours, owl = r.get("ours", {}), r.get("owlrl") or {}
        dg, un, ox, rl = (r.get(name, {}) for name in ("dealgraph", "uncached", "oxigraph", "rdflib"))
        owl_ratio = (
            ratio(owl.get("reason"), ours.get("reason"))
            if "reason" in owl
            else ("timeout" if "timeout" in owl else "–")
        )
        closure_ratio = ratio(owl.get("owl"), ours.get("owl")) if "owl" in owl else "–"
        lines.append(
            f"| {w.name} | {w.triples:,} | {owl_ratio} | {closure_ratio} | "
            + " | ".join(
                f"{ratio(dg.get(key), peer.get(key))} / {ratio(un.get(key), peer.get(key))}"
                for key, peer in (("p50_ms", ox), ("rps8", ox), ("rps8", rl))
            )
            + " |"
        )
    lines += [
        "",
        "## Measurements",
        "",
        "| workload | inference ours (s): all (closure) | inference owlrl (s): all (closure) | inferred | cold start (s) | warm start (s) | serve peak (MiB) | build peak (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for w in found:
        r = w.results
        ours, owl = r.get("ours", {}), r.get("owlrl") or {}
        owl_s = (
            f"{owl['reason']:.2f} ({owl.get('owl', 0):.2f})"
            if "reason" in owl
            else ("> " + str(owl["timeout"]) if "timeout" in owl else "not run")
        )
        lines.append(
            f"| {w.name} | {ours.get('reason', 0):.2f} ({ours.get('owl', 0):.2f}) | {owl_s} | {ours.get('inferred', 0):,} | {r.get('cold_s', 0):.1f} | "
            f"{r.get('warm_s', 0):.1f} | {r.get('serve_peak_mb', 0):.0f} | {ours.get('peak_mb', 0):.0f} |"
        )
    lines += [
        "",
        "| workload | server | rows per query | p50 (ms) | p99 (ms) | req/s, 1 client | req/s, 8 clients |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in found:
        for name in ("dealgraph", "uncached", "oxigraph", "rdflib"):
            m = w.results.get(name)
            if m:
                rows = "/".join(map(str, m["rows"]))
                if w.expected_rows is not None:
                    rows = f"{len(m['rows'])} queries: " + ("the published counts" if m["rows"] == w.expected_rows else rows)
                server = {
                    "dealgraph": "dealgraph (response and answer caches, then workers)",
                    "uncached": f"dealgraph, no answer cache (workers: {replicas(w.results)})",
                }.get(name, name)
                lines.append(
                    f"| {w.name} | {server} | {rows} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {m['rps1']:.0f} | {m['rps8']:.0f} |"
                )
    lines += [
        "",
        "Inference is the whole reasoning step (OWL 2 RL closure and domain rules to their fixpoint, writing the",
        "inferred graph), without SHACL validation; both engines run the same pipeline, whose",
        "domain rules (SPARQL updates in Oxigraph) are common to both; ours is "
        + (f"the median of {args.repeat} runs" if args.repeat > 1 else "one run")
        + ", owlrl's one run. \"OWL 2 RL closure alone\" times only the",
        "closure engine's calls (`ReasoningReport.owl_seconds`): dealgraph's default engine against owlrl's",
        "`DeductiveClosure`. The default, `auto`, is `fast` (`reasonable` and the rules it leaves out) up to",
        "500 k asserted triples and `nemo` (the rules in Nemo, file to file) above: here, the 1 M graph.",
        "Queries select by organization (the largest acquirer): acquisitions, `dg:controls`, ownership periods,",
        "sent as the same SPARQL text to each server's SPARQL endpoint, the servers up together and measured",
        "in turns (request by request; throughput in 4 rounds, with " + LOAD_CLIENT + ").",
        "Oxigraph serves a copy of dealgraph's store folder read-only. dealgraph runs twice, each on a copy of",
        "its own: as it comes, where a query asked again before the data changes is answered from the response",
        "cache in front of Flask, or from the answer cache (`Settings.answer_cache_bytes`), as these three are",
        "after their first times; and without them (`DEALGRAPH_ANSWER_CACHE_BYTES=0`), where its query workers",
        "evaluate every query, from an",
        "in-memory copy once they have loaded it, as many as fit in `Settings.memory_replica_quads` (by default",
        "1 GiB), the others from an on-disk checkpoint, those in memory first (named beside it, from `/health`).",
        "LUBM(1) (`../shared/suites/lubm`): the univ-bench ontology and 100 k triples, its 14 queries (cold start: loaded,",
        "reasoned and healthy), checked against the published answer counts; rdflib-endpoint is left out there.",
        f"owlrl is run up to {args.owlrl_cap:,} triples, rdflib-endpoint up to {args.rdflib_cap:,}.",
        "",
        f"![cost against size]({companions(args.results)[1].name})",
        "",
    ]
    return "\n".join(lines)


def plot(found: list[Workload], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Deal graphs only (LUBM asks other queries); Crunchbase falls between 100 k and 1 M.
    sized = sorted((w for w in found if w.triples and w.expected_rows is None), key=lambda w: w.triples)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    xs = [w.triples for w in sized]
    axes[0].loglog(xs, [w.results["ours"]["reason"] for w in sized], "o-", label="inference, ours")
    owl = [(w.triples, w.results["owlrl"]["reason"]) for w in sized if "reason" in (w.results.get("owlrl") or {})]
    if owl:
        axes[0].loglog(*zip(*owl, strict=True), "s--", label="inference, owlrl")
    axes[0].loglog(xs, [w.results["cold_s"] for w in sized], "^-", label="cold start, ours")
    axes[0].loglog(xs, [w.results["warm_s"] for w in sized], "v-", label="warm start, ours")
    axes[0].set_xlabel("asserted triples")
    axes[0].set_ylabel("seconds")
    axes[0].legend()
    for name, marker in (("dealgraph", "o-"), ("uncached", "d-"), ("oxigraph", "s--"), ("rdflib", "^:")):
        points = [(w.triples, w.results[name]["p50_ms"]) for w in sized if name in w.results]
        if points:
            label = "dealgraph, no answer cache" if name == "uncached" else name
            axes[1].loglog(*zip(*points, strict=True), marker, label=f"{label} p50")
    axes[1].set_xlabel("asserted triples")
    axes[1].set_ylabel("query latency (ms)")
    axes[1].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def companions(results: Path) -> tuple[Path, Path]:
    """The JSON and the plot written beside *results* (for RESULTS.md: RESULTS.json, cost-vs-size.png)."""
    if results.name == "RESULTS.md":
        return results.with_suffix(".json"), results.with_name("cost-vs-size.png")
    return results.with_suffix(".json"), results.with_name(f"{results.stem}-cost-vs-size.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--no-crunchbase", dest="crunchbase", action="store_false")
    parser.add_argument("--no-lubm", dest="lubm", action="store_false")
    parser.add_argument("--owlrl-cap", type=int, default=110_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs of dealgraph's reasoning step, of which the median is kept."
    )
    parser.add_argument("--owlrl-timeout", type=float, default=900)
    parser.add_argument("--rdflib-cap", type=int, default=110_000)
    parser.add_argument("--seconds", type=float, default=8, help="Seconds of each throughput measurement.")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dealgraph-bench-") as tmp:
        folder = Path(tmp)
        found = workloads(args.sizes, args.crunchbase, args.lubm, folder)
        for workload in found:  # the results so far are written after each workload
            run(workload, folder, args)
            args.results.write_text(report(found, args), encoding="utf-8")
            data, picture = companions(args.results)
            data.write_text(json.dumps({w.name: w.results for w in found}, indent=1), encoding="utf-8")
            plot([w for w in found if w.results], picture)
    print(args.results.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
