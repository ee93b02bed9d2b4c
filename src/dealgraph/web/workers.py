"""Queries with a deadline that is kept: worker processes holding read replicas.

Neither pyoxigraph nor rdflib can stop a query once it runs, and a Python thread
cannot be killed; a process can. So the web process keeps the authoritative store
and evaluates no query itself:

* **Snapshot.** Whenever ``store.version`` has changed, the web process dumps the
  store to N-Quads bytes, once per version. The same bytes feed the
  ``/dataset.nq.gz`` download.
* **Worker.** A process started with the ``spawn`` context (the web process runs
  threads, so ``fork`` would be unsafe) holding an in-memory :class:`OxigraphStore`
  loaded from a snapshot. It reads one job at a time from its pipe, runs it with the
  same ``OxigraphStore.query`` as every other part of dealgraph, serializes the
  *whole* answer (:mod:`dealgraph.web.results`) and sends back the bytes, or an
  error. A worker whose snapshot is older than the store's version loads the new
  one before its next job (loading is not counted against the query's deadline).
  A worker exits when the web process goes away.
* **Pool.** Idle workers wait in a queue. A request takes one (waiting at most until
  its deadline), sends the job and waits on the pipe until the deadline. A worker
  that has not answered by then is killed with SIGKILL, so the query's CPU is freed
  at once; the client gets a 503 error, and a replacement worker is started in the
  background. Other requests are served by the other workers meanwhile.
* Because an answer is complete before the web process sends its first byte, a
  timeout or failure is always an error status, never a truncated 200.
* Result size: the job fails as soon as an answer has more than
  ``Settings.max_result_rows`` rows or triples (a 400 that says to add a LIMIT),
  before they fill the worker's memory (:mod:`.results`).
* **On-disk stores.** Workers start on a checkpoint of the store (RocksDB hard links,
  made in a moment at any size), opened read-only, so a restart is ready at once.
  Oxigraph answers from memory 3–8× faster than from RocksDB (measured on the 100 k
  bench graph: 1.0–1.6 ms against 4–8 ms per query), so when a copy of the dataset
  fits in ``Settings.memory_replica_quads`` (the quads all in-memory replicas may hold
  together), the pool also writes the checkpoint out as N-Quads once per version, in
  the background, and as many workers as the budget holds copies load it into memory,
  each in a thread of its own while it goes on answering from the checkpoint, then
  switch. The others stay on the checkpoint, and an idle worker answering from memory
  is given the next query first. Every answer says which replica gave it
  (``Answer.replica``).
* **Answer cache.** The same query on the same data has the same answer. So the web
  process keeps the bytes of each answer a worker sent, and gives them again to the
  same job (query, dataset, format) until the data changes (replica ``cache``),
  up to ``Settings.answer_cache_bytes`` in all, the least recently used given up
  first. A repeated query then costs neither a worker nor an evaluation: on the seed,
  8 connections, about 1,700 requests a second against 1,090 when a worker answers.
  What depends on more than the data is never kept: a query calling ``SERVICE`` (a
  remote endpoint's answer), ``NOW()``, ``RAND()``, ``UUID()`` or ``STRUUID()``; nor
  is anything over a remote store, which other clients write.
  The response cache in front of the app (:mod:`.replay`) then spares Flask too.
"""

from __future__ import annotations

import io
import itertools
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from rdflib import URIRef

from ..federation import ServiceNotAllowed
from ..memory import release_free_memory
from ..store import OxigraphStore, QueryError
from .cache import VersionedCache
from .results import Serialized, TooManyRows, serialize

log = logging.getLogger("dealgraph.web")

#: Seconds a worker may take to start and load a snapshot before it counts as broken.
LOAD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Job:
    """One query for a worker, with the formats chosen for each kind of answer.

    A format is ``None`` when the client accepts none of that kind: the worker then
    reports the answer's kind without evaluating it, and the client gets a 406.
    """

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    solution_format: str | None
    graph_format: str | None
    max_rows: int
    base_iri: str | None = None


@dataclass(frozen=True)
class Failure:
    """A query the worker could not answer: HTTP status, title, detail and position."""

    status: int
    title: str
    detail: str
    line: int | None = None
    column: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Answer:
    """What a worker sends back: the serialized answer or a failure, seconds spent,
    and the replica that answered (``memory``, ``checkpoint`` or ``remote``)."""

    result: Serialized | Failure
    seconds: float
    #: ``memory``, ``checkpoint`` or ``remote`` from a worker; ``cache`` from the answer cache.
    replica: str = "memory"


class QueryTimeout(Exception):
    """The query ran past its deadline; its worker was killed."""


class PoolBusy(Exception):
    """Every worker stayed busy until the request's deadline."""


class WorkerLost(Exception):
    """A worker died or stopped answering while running a query."""


@dataclass(frozen=True)
class Snapshot:
    """The whole dataset at one version, as N-Quads; or, for a remote store, how to reach it."""

    version: int
    nquads: bytes
    #: For a remote store (:mod:`dealgraph.remote_store`): the client's settings; workers query the server.
    remote: dict | None = None
    #: For an on-disk store: a checkpoint of it (RocksDB hard links, made in a moment at any
    #: size) that workers open read-only, instead of parsing the whole dataset.
    checkpoint: str | None = None


# ---------------------------------------------------------------- inside a worker


_CHARACTER_CLASS = re.compile(r",?\s*\[(?:[^\[\]'\"]|'[^']*'|\"[^\"]*\")*\]", re.S)


def _syntax_error(query: str, message: str) -> Failure:
    """A 400 saying where the query breaks: Oxigraph's "error at LINE:COLUMN: ..." made readable.

    The lists of character ranges the parser would have accepted are left out; what
    remains names the tokens it expected.
    """
    match = re.match(r"error at (\d+):(\d+)(?:-\d+:\d+)?: (.*)", message, re.S)
    if not match:
        return Failure(400, "Malformed query", message)
    line, column, expected = int(match[1]), int(match[2]), match[3]
    expected = " ".join(_CHARACTER_CLASS.sub("", expected).split()).rstrip(",")
    if "IRI parsing failed" in expected:
        expected = "invalid IRI"
    elif "Prefix not found" in expected:
        expected = "undeclared prefix (declare it with PREFIX)"
    elif expected in ("expected", "expected one of"):
        expected = "unexpected character or end of query"
    lines = query.splitlines() or [""]
    near = lines[line - 1][max(column - 21, 0) : column + 20] if line <= len(lines) else ""
    where = f"line {line}, column {column}" + (f" (near {near.strip()!r})" if near.strip() else "")
    return Failure(400, "Malformed query", f"syntax error at {where}: {expected}", line, column)


def _run(replica: OxigraphStore, job: Job) -> Serialized | Failure:
    graphs = lambda names: None if names is None else [URIRef(n) for n in names]  # noqa: E731
    try:
        result = replica.query(
            job.query,
            default_graphs=graphs(job.default_graphs),
            named_graphs=graphs(job.named_graphs),
            base_iri=job.base_iri,
        )
    except ServiceNotAllowed as error:
        return Failure(403, "Forbidden", str(error))
    except QueryError as error:
        return _syntax_error(job.query, str(error))
    wanted = job.graph_format if result.kind == "graph" else job.solution_format
    if wanted is None:
        return Failure(406, "Not Acceptable", "", kind=result.kind)
    try:
        return serialize(result, wanted, job.max_rows)
    except TooManyRows as error:
        return Failure(400, "Result too large", str(error))
    except (OSError, ValueError, RuntimeError) as error:
        return Failure(400, "Query evaluation failed", str(error))


def _exit_with_parent(parent: int) -> None:
    """A worker must not outlive the web process, even one killed without notice."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


class _Replica:
    """A worker's copy of the dataset, which a background load may swap for one in memory."""

    def __init__(self, allowed_services: tuple[str, ...]):
        self.allowed_services = allowed_services
        self.store = OxigraphStore(allowed_services=allowed_services)
        self.kind = "memory"
        self.version: int | None = None
        self._lock = threading.Lock()

    def use(self, version: int, store, kind: str) -> None:
        with self._lock:
            self.store, self.kind, self.version = store, kind, version
        release_free_memory()  # the replica it replaced, and the parse's buffers

    def current(self) -> tuple[OxigraphStore, str]:
        """The store to answer from, and its kind."""
        with self._lock:
            return self.store, self.kind

    def load_into_memory(self, version: int, nquads: str, announce: Callable[[tuple], None]) -> None:
        """In a thread: read *nquads* (this version written out) into memory, then answer from it.

        Oxigraph parses without holding the GIL, so jobs go on meanwhile; a copy that a
        newer version overtook while it loaded is dropped. The switch is announced to the
        web process (``("memory", version)``), which may have no job for this worker for a while.
        """
        copy = OxigraphStore(allowed_services=self.allowed_services)
        try:
            with open(nquads, "rb") as stream:
                copy.load(stream, "nquads")
        except (OSError, SyntaxError, ValueError) as error:
            log.warning("query worker %s keeps its checkpoint: %s", os.getpid(), error)
            return
        with self._lock:
            switched = self.version == version and self.kind == "checkpoint"
            if switched:
                self.store, self.kind = copy, "memory"
        del copy
        release_free_memory()
        if switched:
            announce(("memory", version))


def serve_jobs(connection: Connection, parent: int, allowed_services: tuple[str, ...] = ()) -> None:
    """A worker's main loop: load snapshots and answer jobs until the pipe closes.

    *allowed_services* is the served store's SERVICE allow-list (:mod:`dealgraph.federation`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    replica = _Replica(allowed_services)
    sending = threading.Lock()  # answers, and the announcement of a copy loaded in a thread

    def send(message) -> None:
        with sending:
            connection.send(message)

    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        kind, version = message[0], message[1]
        if kind == "load":
            store = OxigraphStore(allowed_services=allowed_services)
            store.load(message[2], "nquads")
            replica.use(version, store, "memory")
            send(("loaded", version))
        elif kind == "open":
            store = OxigraphStore(Path(message[2]), allowed_services=allowed_services, read_only=True)
            replica.use(version, store, "checkpoint")
            send(("loaded", version))
        elif kind == "memory":  # no reply: the worker switches when the copy is ready
            threading.Thread(target=replica.load_into_memory, args=(version, message[2], send), daemon=True).start()
        elif kind == "connect":
            from ..remote_store import SparqlStore

            replica.use(version, SparqlStore(**message[2]), "remote")
            send(("loaded", version))
        else:
            started = time.perf_counter()
            store, answered_from = replica.current()
            outcome = _run(store, message[1])
            send(Answer(outcome, time.perf_counter() - started, answered_from))


# ---------------------------------------------------------------- in the web process


class _Worker:
    """The web process's handle on one worker process."""

    def __init__(self, context, allowed_services: tuple[str, ...] = ()):
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=serve_jobs, args=(child, os.getpid(), allowed_services), name="dealgraph-query-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.version: int | None = None
        #: The version whose in-memory copy this worker was told to load (on-disk stores).
        self.memory_version: int | None = None
        #: What it answers from: the replica it loaded, then the one its last answer came from
        #: (a copy it loads into memory in the background counts once the switch is announced).
        self.replica: str | None = None
        self._kill_lock = threading.Lock()
        self._killed = False

    def load(self, snapshot: Snapshot) -> None:
        if snapshot.remote is not None:
            self.connection.send(("connect", snapshot.version, snapshot.remote))
            replica = "remote"
        elif snapshot.checkpoint is not None:
            self.connection.send(("open", snapshot.version, snapshot.checkpoint))
            replica = "checkpoint"
        else:
            self.connection.send(("load", snapshot.version, snapshot.nquads))
            replica = "memory"
        if self._receive(LOAD_TIMEOUT) is None:
            raise WorkerLost(f"worker {self.process.pid} did not load the dataset within {LOAD_TIMEOUT:.0f} s")
        self.version, self.replica = snapshot.version, replica

    def load_into_memory(self, version: int, nquads: Path) -> None:
        """Tell the worker to load *nquads* into memory in the background (no reply)."""
        self.connection.send(("memory", version, str(nquads)))

    def run(self, job: Job, seconds: float) -> Answer | None:
        """The worker's answer, or ``None`` when it has none within *seconds*."""
        self.connection.send(("job", job))
        return self._receive(seconds)

    def _receive(self, seconds: float):
        """The worker's next reply within *seconds*, or ``None``; a switch to memory announced meanwhile is noted."""
        deadline = time.monotonic() + seconds
        while self.connection.poll(max(deadline - time.monotonic(), 0.0)):
            message = self.connection.recv()
            if not (isinstance(message, tuple) and message[0] == "memory"):
                return message
            if message[1] == self.version:
                self.replica = "memory"
        return None

    def note_announcements(self) -> None:
        """Read what an idle worker announced (it has nothing else to say).

        A worker that died meanwhile is found out by the next query sent to it.
        """
        try:
            self._receive(0.0)
        except (EOFError, OSError):
            pass

    def kill(self) -> None:
        """Stop the process for good; safe to call twice, and from two threads at once
        (a request past its deadline and a shutdown may both end the same worker)."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        self.process.kill()
        self.process.join(5)
        self.connection.close()


#: Bytes a worker holding an in-memory replica takes per quad: 977 MiB for the 2.0 M quads
#: of the 1 M bench graph (its interpreter included), rounded down.
BYTES_PER_QUAD = 500
#: The memory all in-memory replicas take together by default, unless a quarter of the
#: machine's is less: at a million triples one worker answers from memory and the serving
#: processes stay under 2 GB; past 2 M quads every worker reads the checkpoint.
REPLICA_MEMORY = 1 << 30


def memory_budget() -> int:
    """How many quads the in-memory replicas may hold together by default (:data:`REPLICA_MEMORY`)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: keep replicas on disk
        return 0
    return min(memory // 4, REPLICA_MEMORY) // BYTES_PER_QUAD


def start_workers(size: int, allowed_services: tuple[str, ...] = ()) -> list[_Worker]:
    """Start *size* worker processes now, for a :class:`QueryPool` made later.

    A worker takes about a second to start Python and import its code; started before
    the dataset is built, that second passes while the web process loads and reasons
    (on another core) instead of after it.
    """
    context = multiprocessing.get_context("spawn")
    return [_Worker(context, allowed_services) for _ in range(size)]


#: What makes an answer depend on more than the data: a remote endpoint, the clock, chance.
_NOT_REPEATABLE = re.compile(r"\bSERVICE\b|\b(?:NOW|RAND|UUID|STRUUID)\s*\(", re.I)


class AnswerCache(VersionedCache):
    """The answers workers gave at the current version of the dataset, to give again until it changes."""

    def keep(self, version: int, job: Job, answer: Serialized | Failure) -> None:
        """Keep *answer*, a worker's to *job* at *version*, if it is one to give again."""
        if isinstance(answer, Serialized) and not _NOT_REPEATABLE.search(job.query):
            self.put(version, job, answer, len(job.query) + len(answer.body))


class QueryPool:
    """Runs queries in worker processes, each answer within its deadline or not at all."""

    def __init__(
        self,
        store: OxigraphStore,
        size: int = 2,
        memory_replica_quads: int | None = 0,
        started: list[_Worker] | None = None,
        answer_cache_bytes: int = 0,
    ):
        """*started*: workers from :func:`start_workers`, which imported their code while the dataset was built.

        *answer_cache_bytes*: see ``Settings.answer_cache_bytes`` (0: every query goes to a worker).
        """
        if size < 1:
            raise ValueError("a query pool needs at least one worker")
        self.store = store
        self.size = size
        #: On disk, the quads the workers' in-memory copies may hold together.
        self.memory_replica_quads = memory_budget() if memory_replica_quads is None else memory_replica_quads
        #: The N-Quads file of a version, once written, that workers load into memory, and how many may.
        self._memory_copy: tuple[int, Path] | None = None
        self._memory_places = 0
        #: The version whose N-Quads file is being (or was) written.
        self._memory_copy_started: int | None = None
        self._context = multiprocessing.get_context("spawn")
        #: Idle workers, those answering from memory first: (rank, order, worker).
        self._idle: queue.PriorityQueue[tuple[int, int, _Worker]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checkpoints: dict[int, Path] = {}
        self._closed = False
        self._remote = hasattr(store, "spec")  # a remote store (dealgraph.remote_store): workers query the server
        #: Answers to give again (none over a remote store, which other clients write).
        self.answers = AnswerCache(0 if self._remote else answer_cache_bytes)
        workers = list(started or [])[:size]
        workers += [self._start() for _ in range(size - len(workers))]
        self._workers.update(workers)
        snapshot = self.snapshot()
        for worker in workers:
            worker.load(snapshot)
            self._make_idle(worker)

    def _make_idle(self, worker: _Worker) -> None:
        self._idle.put((worker.replica != "memory", next(self._order), worker))

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self.store.allowed_services)
        with self._lock:
            self._workers.add(worker)
        return worker

    def snapshot(self) -> Snapshot:
        """The dataset as N-Quads at the store's current version (dumped once per version)."""
        with self._lock:
            version = self.store.version
            if self._snapshot is None or self._snapshot.version != version:
                if self._remote:  # workers query the server itself
                    self._snapshot = Snapshot(version, b"", self.store.spec())
                    return self._snapshot
                if self.store.path is not None:  # on disk: workers open a checkpoint of it
                    self._snapshot = Snapshot(version, b"", checkpoint=self._checkpoint(version))
                    return self._snapshot
                buffer = io.BytesIO()
                self.store.dump(buffer, "nquads")
                self._snapshot = Snapshot(version, buffer.getvalue())
            return self._snapshot

    def _checkpoint(self, version: int) -> str:
        """A new checkpoint of the on-disk store; those no worker reads any more are removed."""
        self.store.flush()
        folder = Path(tempfile.mkdtemp(prefix="dealgraph-replica-")) / str(version)
        self.store.backup(folder)
        in_use = {w.version for w in self._workers}
        for old, path in list(self._checkpoints.items()):
            if old not in in_use:
                shutil.rmtree(path.parent, ignore_errors=True)
                del self._checkpoints[old]
        self._checkpoints[version] = folder
        return str(folder)

    def _write_memory_copy(self, snapshot: Snapshot) -> None:
        """In the background: the checkpoint as N-Quads, if small enough, for workers to load into memory."""
        target = Path(snapshot.checkpoint).parent / "replica.nq"
        try:
            checkpoint = OxigraphStore(Path(snapshot.checkpoint), read_only=True)
            quads = len(checkpoint)
            if quads > self.memory_replica_quads:
                log.info("%s quads: query workers answer from the on-disk checkpoint", f"{quads:,}")
                return
            with open(target, "wb") as stream:
                checkpoint.dump(stream, "nquads")
        except OSError as error:  # e.g. a newer version removed this checkpoint meanwhile
            log.warning("no in-memory copy for the query workers: %s", error)
            return
        with self._lock:
            current = self._memory_copy
            if current is None or current[0] < snapshot.version:
                self._memory_copy, stale = (snapshot.version, target), current
                self._memory_places = min(self.size, self.memory_replica_quads // quads)
            else:
                stale = (snapshot.version, target)  # a newer version was written out first
        if stale is not None:
            stale[1].unlink(missing_ok=True)  # a worker still reading it keeps it open
        log.info("%s quads written for %d query worker(s) to load into memory", f"{quads:,}", self._memory_places)
        self._hand_out_memory_copy()

    def _prefer_memory(self, worker: _Worker, snapshot: Snapshot) -> None:
        """Have *worker* load the current version into memory once it is written out, if a place is left.

        Writing it out starts with the first query of a version, not at start-up, which
        it would slow down.
        """
        if snapshot.checkpoint is None or self.memory_replica_quads <= 0:
            return
        with self._lock:
            start = self._memory_copy_started != snapshot.version
            self._memory_copy_started = snapshot.version
        if start:
            threading.Thread(target=self._write_memory_copy, args=(snapshot,), daemon=True).start()
        self._give_memory_copy(worker)

    def _give_memory_copy(self, worker: _Worker) -> None:
        """Tell *worker* (not running a job) to load the version written out, if it has it and a place is left."""
        with self._lock:
            copy = self._memory_copy
            if copy is None or copy[0] != worker.version or worker.memory_version == copy[0]:
                return
            if sum(w.memory_version == copy[0] for w in self._workers) >= self._memory_places:
                return
            worker.memory_version = copy[0]  # its place is taken before the lock is let go
        worker.load_into_memory(*copy)

    def _hand_out_memory_copy(self) -> None:
        """Once a version is written out, the idle workers take its places (a busy one, at its next query)."""
        self._each_idle(self._give_memory_copy)

    def _each_idle(self, action: Callable[[_Worker], None]) -> None:
        """Do *action* to each idle worker, out of the queue meanwhile so that no request takes it."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for _, _, worker in idle:
            action(worker)
            self._make_idle(worker)

    @property
    def busy(self) -> int:
        return self.size - self._idle.qsize()

    def replicas(self) -> dict[str, int]:
        """How many workers answer from each kind of replica (``memory``, ``checkpoint``, ``remote``)."""
        self._each_idle(_Worker.note_announcements)
        with self._lock:
            return dict(Counter(w.replica for w in self._workers if w.replica is not None))

    def run(self, job: Job, deadline: float) -> Answer:
        """Run *job* on an idle worker, by *deadline* (a ``time.monotonic()`` instant).

        Raises QueryTimeout (the worker was killed), PoolBusy (no worker came free
        in time) or WorkerLost (the worker died).
        """
        kept = self.answers.get(self.store.version, job)
        if kept is not None:
            return Answer(kept, 0.0, "cache")
        try:
            _, _, worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise PoolBusy() from None
        healthy = False
        try:
            snapshot = self.snapshot()
            if worker.version != snapshot.version:
                worker.load(snapshot)
            self._prefer_memory(worker, snapshot)
            answer = worker.run(job, deadline - time.monotonic())
            if answer is None:
                log.warning("query worker %s passed its deadline and was killed", worker.process.pid)
                raise QueryTimeout()
            healthy = True
            worker.replica = answer.replica
            self.answers.keep(snapshot.version, job, answer.result)
            return answer
        except (EOFError, OSError) as error:
            raise WorkerLost(f"query worker {worker.process.pid} died: {error}") from None
        finally:
            if healthy:
                self._make_idle(worker)
            else:
                self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill *worker* now and start its replacement in the background."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
        if not self._closed:
            threading.Thread(target=self._replace, name="dealgraph-worker-replacement", daemon=True).start()

    def _replace(self) -> None:
        delay = 0.5
        while not self._closed:
            worker = self._start()
            try:
                worker.load(self.snapshot())
            except (EOFError, OSError, WorkerLost) as error:
                log.error("could not start a query worker (%s); retrying in %.1f s", error, delay)
                worker.kill()
                with self._lock:
                    self._workers.discard(worker)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self._closed:
                worker.kill()
            else:
                self._make_idle(worker)
            return

    def close(self) -> None:
        """Stop every worker, busy or not."""
        self._closed = True
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.kill()
        for path in self._checkpoints.values():
            shutil.rmtree(path.parent, ignore_errors=True)
