"""The one way data flows: files → load → validate → store → reason.

Every entry point (CLI commands, the web app, the tests) builds its dataset here,
so all of them answer from the same facts and inferences.
"""

from __future__ import annotations

import gc
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from rdflib import URIRef

from . import persistence
from .config import Settings, shipped_ontology
from .load import Source, first_mention, load_nquads, sources
from .memory import release_free_memory
from .reason import InconsistencyError, ReasoningReport, reason
from .remote_store import RemoteStoreError, SparqlStore
from .store import OxigraphStore
from .validate import ValidationError, require_valid, shapes_view
from .vocab import INFERRED_GRAPH


def log_to_stderr(message: str) -> None:
    """Progress goes to standard error, keeping standard output for results."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class Build:
    """A ready store and what building it took."""

    store: OxigraphStore
    report: ReasoningReport | None
    seconds: float
    reused: bool = False


def build(settings: Settings, progress: Callable[[str], None] = log_to_stderr) -> Build:
    """Load, validate and reason over the configured data into a ready store.

    An on-disk store that finished its first build (:mod:`dealgraph.persistence`) is
    reused as it is: its data was validated and reasoned over when it was written,
    and every later write was too. One that holds quads but never finished is cleared
    and built again; a build that fails on bad data leaves the store empty.
    """
    started = time.perf_counter()
    if settings.store_url is not None:
        return _build_remote(settings, progress, started)
    store = OxigraphStore(settings.store, allowed_services=settings.allowed_services)
    if settings.store is not None and not store.is_empty():
        if persistence.is_complete(settings.store):
            progress(f"using the dataset already in {settings.store}")
            return Build(store, None, time.perf_counter() - started, reused=True)
        progress(f"{settings.store} holds a dataset whose first load did not finish: building it again")
        store.clear()
        store.flush()
    paths = settings.data_paths()
    ontology = [] if settings.data else [shipped_ontology()]
    # On disk, the dataset is built in memory and bulk-loaded once it is complete: reasoning's
    # SPARQL updates in RocksDB transactions cost 2.5× the memory (100 k triples: 915 MiB
    # against 369 MiB), and a failed build leaves the folder as it was.
    scratch = store if settings.store is None else OxigraphStore(allowed_services=settings.allowed_services)
    try:
        report = _load_validate_reason(scratch, paths, ontology, settings, progress)
    except (ValidationError, InconsistencyError) as error:
        store.clear()
        store.flush()
        raise _located(error, sources(paths, ontology)) from None
    if scratch is not store:
        counts = scratch.graph_counts()
        progress(f"writing {sum(counts.values()):,} quads to {store.path}")
        with _spooled(scratch, store.path.parent) as spool:
            scratch = None  # the in-memory build goes before the bulk load's own peak
            gc.collect()
            release_free_memory()
            store.load(spool, "nquads")
    store.flush()
    if settings.store is not None:
        persistence.mark_complete(settings.store, quads=sum(counts.values()), graphs=counts)
    progress(
        f"reasoning added {report.inferred} triples in {report.seconds:.2f} s "
        f"({report.owl_triples} OWL 2 RL, {sum(report.rule_triples.values())} by domain rules)"
    )
    scratch = None
    gc.collect()
    release_free_memory()
    return Build(store, report, time.perf_counter() - started)


@contextmanager
def _spooled(source: OxigraphStore, folder: Path) -> Iterator[IO[bytes]]:
    """*source* as N-Quads in a temporary file in *folder* (beside the store: the same disk),
    read from its start: Oxigraph's bulk loader reads it into the on-disk store (and renames
    blank nodes consistently)."""
    with tempfile.TemporaryFile(dir=folder, prefix="dealgraph-build-") as spool:
        source.dump(spool, "nquads")
        del source  # the caller lets the store go while the file is read
        spool.seek(0)
        yield spool


def _build_remote(settings: Settings, progress: Callable[[str], None], started: float) -> Build:
    """The dataset on a remote SPARQL store: used as it is, reasoned over if it never was, or loaded first.

    Loading and reasoning need the update endpoint; the domain rules then run on the server.
    """
    store = SparqlStore(settings.store_url, settings.update_url, allowed_services=settings.allowed_services)
    if not store.is_empty() and not settings.data:
        progress(f"using the dataset on {settings.store_url} ({len(store)} quads)")
        if INFERRED_GRAPH in store.graph_names() or settings.update_url is None:
            return Build(store, None, time.perf_counter() - started, reused=True)
        report = reason(store, progress=progress, engine=settings.reasoner)
        return Build(store, report, time.perf_counter() - started)
    if settings.update_url is None:
        raise RemoteStoreError(f"{settings.store_url} holds no dataset, and without --update-url none can be loaded")
    paths = settings.data_paths()
    report = _load_validate_reason(store, paths, [] if settings.data else [shipped_ontology()], settings, progress)
    return Build(store, report, time.perf_counter() - started)


def _load_validate_reason(
    store: OxigraphStore, paths: list, ontology: list, settings: Settings, progress: Callable[[str], None]
) -> ReasoningReport:
    progress(f"loading {', '.join(str(p) for p in paths)}")
    store.load(load_nquads(paths, ontology_files=ontology), "nquads")
    if settings.shapes is not None:
        # Only what the shapes can read goes to pySHACL (validate.shapes_view): the same violations, sooner.
        view = shapes_view(store, settings.shapes)
        progress(f"validating the {len(view)} of {len(store)} triples the shapes read against {settings.shapes.name}")
        require_valid(view, settings.shapes, store.graphs_stating)
        del view
        gc.collect()  # rdflib's graphs hold reference cycles: only the collector frees them
        release_free_memory()  # pySHACL's graphs, before reasoning's peak
    # A dataset that takes writes keeps its reasoning state, so that the first write is
    # reasoned over incrementally too (dealgraph.writes); only in memory, where the state's
    # blank nodes are the store's own (the on-disk bulk load renames them).
    keep = settings.update_token is not None and settings.store is None and settings.store_url is None
    return reason(store, progress=progress, engine=settings.reasoner, keep_state=keep)


_IRI = re.compile(r"https?://[^\s<>\"'),]+")


def _located(error: ValueError, found: list[Source]) -> ValueError:
    """*error* with the file and line that first write each resource it names."""
    if isinstance(error, ValidationError):
        located = []
        for violation in error.violations:
            where = first_mention(violation.focus, found)
            located.append(replace(violation, file=where[0], line=where[1]) if where else violation)
        return ValidationError(located)
    messages = []
    for message in error.messages:
        where = next(filter(None, (first_mention(URIRef(iri), found) for iri in _IRI.findall(message))), None)
        messages.append(f"{where[0]}:{where[1]}: {message}" if where else message)
    return InconsistencyError(messages)
