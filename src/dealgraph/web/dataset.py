"""The served dataset: the authoritative store, its query pool, and per-version caches.

Triple counts and the gzipped dump depend only on the store's version, so they are
computed once per version and shared by ``/health``, the service description and
``/dataset.nq.gz``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
from dataclasses import dataclass, field, replace

from flask import current_app

from .. import persistence
from ..config import Settings
from ..store import OxigraphStore
from ..writes import Writer
from .workers import QueryPool


@dataclass(frozen=True)
class Dump:
    """The dataset at one version as gzipped N-Quads, with an ETag for caches."""

    version: int
    gzipped: bytes
    etag: str


@dataclass
class ServedDataset:
    """What the web app serves from; one per app, in ``app.extensions["dealgraph"]``."""

    settings: Settings
    store: OxigraphStore
    pool: QueryPool
    #: Where writes go (``/update``, ``/store``): :mod:`dealgraph.writes`.
    writer: Writer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: tuple[int, dict[str, int]] | None = None
    _dump: Dump | None = None

    def __post_init__(self) -> None:
        # A reopened on-disk store: the counts its first build recorded, if nothing was written since.
        if self.store.path is not None and self.store.version == 0:
            recorded = persistence.recorded_counts(self.store.path)
            if recorded is not None:
                self._counts = (0, recorded)

    def graph_counts(self) -> dict[str, int]:
        """Triples per graph at the current version."""
        with self._lock:
            version = self.store.version
            if self._counts is None or self._counts[0] != version:
                self._counts = (version, self.store.graph_counts())
            return self._counts[1]

    def dump(self) -> Dump:
        """The whole dataset (inferred graph included) as gzipped N-Quads."""
        snapshot = self.pool.snapshot()
        if not snapshot.nquads:  # workers read a checkpoint or a server, not these bytes
            buffer = io.BytesIO()
            self.store.dump(buffer, "nquads")
            snapshot = replace(snapshot, nquads=buffer.getvalue())
        with self._lock:
            if self._dump is None or self._dump.version != snapshot.version:
                etag = hashlib.sha256(snapshot.nquads).hexdigest()[:32]
                self._dump = Dump(snapshot.version, gzip.compress(snapshot.nquads, compresslevel=6, mtime=0), etag)
            return self._dump


def served() -> ServedDataset:
    """The dataset of the running app."""
    return current_app.extensions["dealgraph"]
