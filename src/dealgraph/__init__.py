"""dealgraph: news about company deals as a reasoned, queryable knowledge graph.

The public API follows the data: :func:`load` files, :func:`check` them against the
shapes, :func:`reason` over them in a store, or do all of it with :func:`build`.

Its names are imported when first used (PEP 562), so that a process needing only a
part of dealgraph — a query worker needs the store, not pySHACL or owlrl — starts
without importing the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Each public name and the module that defines it.
_PUBLIC = {
    "Settings": "config",
    "LoadError": "load",
    "load": "load",
    "Build": "pipeline",
    "build": "pipeline",
    "InconsistencyError": "reason",
    "ReasoningReport": "reason",
    "reason": "reason",
    "OxigraphStore": "store",
    "QueryError": "store",
    "QueryResult": "store",
    "ValidationError": "validate",
    "Violation": "validate",
    "check": "validate",
}

__all__ = [
    "Build",
    "InconsistencyError",
    "LoadError",
    "OxigraphStore",
    "QueryError",
    "QueryResult",
    "ReasoningReport",
    "Settings",
    "ValidationError",
    "Violation",
    "build",
    "check",
    "load",
    "reason",
]

if TYPE_CHECKING:
    from .config import Settings
    from .load import LoadError, load
    from .pipeline import Build, build
    from .reason import InconsistencyError, ReasoningReport, reason
    from .store import OxigraphStore, QueryError, QueryResult
    from .validate import ValidationError, Violation, check


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'dealgraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value
