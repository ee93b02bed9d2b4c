"""The on-disk dataset (``--store DIR``): when it is complete, its write log, backup and restore.

The folder is a plain Oxigraph (RocksDB) database, plus two files of ours that
RocksDB leaves alone:

* ``dealgraph-ready.json`` — the completion marker. The first start loads, validates
  and reasons over the data, flushes the store, and only then writes this file
  (fsynced). A folder holding quads but no marker is a first load that did not finish
  (a crash, a kill, bad data): it is never reused, but cleared and built again.
  Later writes need no marker of their own: each one is a single transaction
  (:meth:`dealgraph.store.OxigraphStore.apply`), flushed before it is acknowledged.
  The marker also keeps the triple count of each graph, so that a restart answers
  ``/health`` without counting millions of quads; the first write drops them from the
  marker before it commits (they would go stale), and they are counted again after.
* ``dealgraph-writes.jsonl`` — the append-only log of writes (:mod:`dealgraph.writes`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from .store import OxigraphStore

READY_MARKER = "dealgraph-ready.json"
WRITE_LOG = "dealgraph-writes.jsonl"


class StoreError(RuntimeError):
    """A store folder that cannot be backed up or restored as asked."""


def is_complete(folder: Path) -> bool:
    """True when the dataset in *folder* finished its first build."""
    return (folder / READY_MARKER).is_file()


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def mark_complete(folder: Path, **facts) -> None:
    """Record that the store in *folder* is complete; call only after ``store.flush()``."""
    record = {"complete": True, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **facts}
    _write_synced(folder / READY_MARKER, json.dumps(record) + "\n")


def recorded_counts(folder: Path) -> dict[str, int] | None:
    """The triples per graph recorded by the first build, if no write has happened since."""
    try:
        record = json.loads((folder / READY_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    counts = record.get("graphs")
    return counts if isinstance(counts, dict) else None


def forget_counts(folder: Path) -> None:
    """Drop the recorded counts before a write changes them (once: later writes find none)."""
    marker = folder / READY_MARKER
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if "graphs" in record:
        del record["graphs"]
        _write_synced(marker, json.dumps(record) + "\n")


def mark_incomplete(folder: Path) -> None:
    (folder / READY_MARKER).unlink(missing_ok=True)


def append_line(path: Path, record: dict) -> None:
    """Append one JSON line and fsync it: an append-only log that survives a crash."""
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def _holds_a_store(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _copy_store(source_folder: Path, target_folder: Path) -> int:
    """Copy an Oxigraph store and its write log into a new folder; returns its quads.

    Oxigraph's own backup is a consistent checkpoint, also while a server writes.
    """
    target_folder.parent.mkdir(parents=True, exist_ok=True)
    source = OxigraphStore(source_folder, read_only=True)
    source.backup(target_folder)
    if (source_folder / WRITE_LOG).is_file():
        shutil.copy2(source_folder / WRITE_LOG, target_folder / WRITE_LOG)
    return len(source)


def backup(store_folder: Path, target: Path) -> int:
    """Copy the complete store in *store_folder* to the new folder *target*; returns its quads.

    Works while a server runs on the store: the copy is the store as of its last flush,
    and every acknowledged write was flushed.
    """
    if not is_complete(store_folder):
        raise StoreError(f"{store_folder} holds no complete dealgraph store (no {READY_MARKER})")
    if target.exists() and _holds_a_store(target):
        raise StoreError(f"{target} already exists and is not empty; back up into a new folder")
    if target.exists():
        target.rmdir()
    quads = _copy_store(store_folder, target)
    mark_complete(target, backup_of=str(store_folder.resolve()), quads=quads)
    return quads


def restore(backup_folder: Path, store_folder: Path, force: bool = False) -> int:
    """Make *store_folder* a copy of the backup in *backup_folder*; returns its quads.

    A store that holds data is replaced only with *force*, and never while a server
    runs on it.
    """
    if not is_complete(backup_folder):
        raise StoreError(f"{backup_folder} is not a dealgraph backup (no {READY_MARKER})")
    if _holds_a_store(store_folder):
        try:
            current = OxigraphStore(store_folder)
        except OSError as error:
            raise StoreError(f"{store_folder} is in use (is a server running on it?): {error}") from None
        empty = current.is_empty()
        del current
        if not empty and not force:
            raise StoreError(f"{store_folder} already holds a dataset; use --force to replace it")
        if not (store_folder / "CURRENT").is_file():
            raise StoreError(f"{store_folder} is not an Oxigraph store; refusing to delete it")
        shutil.rmtree(store_folder)
    elif store_folder.exists():
        store_folder.rmdir()
    quads = _copy_store(backup_folder, store_folder)
    append_line(
        store_folder / WRITE_LOG,
        {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "kind": "restore", "from": str(backup_folder.resolve())},
    )
    mark_complete(store_folder, restored_from=str(backup_folder.resolve()), quads=quads)
    return quads
