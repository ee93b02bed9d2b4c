"""dealgraph: news about company deals as a reasoned, queryable knowledge graph.

The public API follows the data: :func:`load` files, :func:`check` them against the
shapes, :func:`reason` over them in a store, or do all of it with :func:`build`.
"""

from .config import Settings
from .load import LoadError, load
from .pipeline import Build, build
from .reason import InconsistencyError, ReasoningReport, reason
from .store import OxigraphStore, QueryError, QueryResult
from .validate import ValidationError, Violation, check

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
