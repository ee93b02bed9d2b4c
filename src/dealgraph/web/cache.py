"""What is kept for one version of the dataset: bounded in bytes, the least recently used given up first.

The answer cache (:mod:`.workers`) and the response cache (:mod:`.replay`) are two of
these. Every write makes a new version of the dataset (``store.version``), and the
first use at a newer version forgets everything kept, so nothing kept outlives the
data it was made from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class VersionedCache:
    """Values for the current version of the dataset, at most *max_bytes* in all (0: nothing kept).

    A value larger than an eighth of that is not kept, so that one cannot push out all
    the others.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._version: int | None = None
        self._values: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def _at(self, version: int) -> bool:
        """Move on to *version* if it is newer (forgetting every value); False if it is older."""
        if self._version is not None and version < self._version:
            return False
        if version != self._version:
            self._values.clear()
            self._bytes = 0
            self._version = version
        return True

    def put(self, version: int, key: Hashable, value: object, size: int) -> None:
        """Keep *value*, made at *version*, under *key*, counting *size* bytes for it."""
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if not self._at(version) or key in self._values:
                return  # made from a version already replaced, or kept already
            self._values[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._bytes -= self._values.popitem(last=False)[1][1]

    def get(self, version: int, key: Hashable) -> object | None:
        """The value kept under *key* at *version*, if any."""
        with self._lock:
            if not self._at(version):
                return None
            kept = self._values.get(key)
            if kept is None:
                return None
            self._values.move_to_end(key)
            return kept[0]

    def usage(self) -> dict[str, int]:
        """How many values are kept, their bytes and the limit (for ``/health``)."""
        with self._lock:
            return {"entries": len(self._values), "bytes": self._bytes, "max_bytes": self.max_bytes}
