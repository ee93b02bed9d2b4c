"""Handing freed memory back to the operating system after the big transient jobs.

Reasoning over a large dataset allocates and frees gigabytes (``reasonable``'s engine and
its output, the closure's sets), a write copies the dataset, a query worker parses a
snapshot. glibc keeps most of what is freed in its heaps for reuse, so the process
stays at its peak: measured after building the 1 M bench graph, 1,927 MiB resident,
888 MiB once glibc is asked to trim (100 k: 307 → 151 MiB). Elsewhere (macOS, musl)
this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _trim():
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)


def release_free_memory() -> None:
    """Return the heap memory glibc holds free to the operating system (``malloc_trim``)."""
    trim = _trim()
    if trim is not None:
        trim(0)
