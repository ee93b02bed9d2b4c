"""Every setting dealgraph has, its default, and where the shipped files live.

Settings come from one frozen dataclass so that the CLI, the web app and the tests
read the same values; ``Settings.from_env()`` applies the ``DEALGRAPH_*`` variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
#: In a built wheel the top-level folders are copied here (see pyproject.toml).
_BUNDLED_DIR = _PACKAGE_DIR / "_shipped"
#: In a source checkout they are the repository's own top-level folders.
_SOURCE_DIR = _PACKAGE_DIR.parents[1]


def shipped_path(name: str) -> Path:
    """Where the shipped folder *name* (``ontology``, ``data``, ``queries``) is.

    The wheel's bundled copy wins so that a non-editable install never reads a
    checkout it happens to sit next to.
    """
    bundled = _BUNDLED_DIR / name
    if bundled.is_dir():
        return bundled
    source = _SOURCE_DIR / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"the shipped folder {name!r} is missing from this installation")


def shipped_shapes() -> Path:
    """The SHACL shapes used by ``validate`` (kept out of the queryable dataset)."""
    return shipped_path("ontology") / "shapes.ttl"


def shipped_ontology() -> Path:
    """The ontology file; its triples go to the ``…/graph/ontology`` graph."""
    return shipped_path("ontology") / "dealgraph.ttl"


def shipped_data() -> list[Path]:
    """The ontology and data files served when no ``--data`` is given."""
    return [shipped_ontology(), shipped_path("data")]


@dataclass(frozen=True)
class Settings:
    """Configuration of a dealgraph process. Defaults are what ``dealgraph serve`` uses."""

    #: RDF files or folders making up the dataset; empty means the shipped ones.
    data: tuple[Path, ...] = ()
    #: SHACL shapes applied before reasoning; ``None`` skips validation.
    shapes: Path | None = field(default_factory=shipped_shapes)
    #: Folder of an on-disk store; ``None`` keeps the dataset in memory.
    store: Path | None = None
    #: A remote SPARQL 1.1 query endpoint to use as the store instead (dealgraph.remote_store);
    #: ``sparql+http://host/query`` also names its ``update`` sibling.
    store_url: str | None = None
    #: The remote store's SPARQL 1.1 update endpoint; ``None`` makes it read-only.
    update_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: The OWL 2 RL engine: ``fast`` (reasonable plus the rules it leaves out, incremental
    #: after writes), ``nemo`` (rules in Nemo: less than half the memory on large datasets),
    #: ``owlrl`` (the pure-Python reference), or ``auto``: ``nemo`` above
    #: :data:`dealgraph.reason.LARGE_DATASET` asserted triples, ``fast`` below. All derive
    #: the same inferred graph.
    reasoner: str = "auto"
    #: Seconds a query may run before it is stopped.
    query_timeout: float = 30.0
    #: Rows a SELECT may return over HTTP before the response is refused.
    max_result_rows: int = 100_000
    #: Bearer token that enables writes; ``None`` refuses every write.
    update_token: str | None = None
    #: Largest request body accepted, in bytes (a 413 beyond it).
    max_body_bytes: int = 10 * 1024 * 1024
    #: Longest SPARQL query accepted, in characters (a 400 beyond it).
    max_query_length: int = 100_000
    #: Requests per second each client may make on average (0 turns rate limiting off)…
    rate_limit: float = 20.0
    #: …and how many it may make at once before being slowed down (429 with Retry-After).
    rate_burst: int = 100
    #: Whether loopback clients (127.0.0.1, ::1) are rate limited too.
    rate_limit_loopback: bool = False
    #: Origins allowed to read cross-origin ("*" is anyone; several are separated by
    #: spaces or commas; empty turns CORS off).
    cors_origins: str = "*"
    #: Threads the app runs on in the HTTP server (granian): requests handled at the same time.
    threads: int = 8
    #: Worker processes that run queries, each with its own read replica of the
    #: dataset; a query past its deadline costs one of them until it is replaced.
    query_workers: int = 2
    #: With an on-disk store, the quads the query workers' in-memory copies of the dataset
    #: (3–8× faster queries) may hold together: as many workers as copies fit load one (a
    #: worker takes about 500 bytes a quad), the others read the on-disk checkpoint. 0:
    #: never. ``None``: what fits in 1 GiB, or in a quarter of the machine's memory if less.
    memory_replica_quads: int | None = None
    #: The bytes of answers the web process keeps to give again to the same query (with
    #: the same dataset and format) until the data changes, sparing a worker and an
    #: evaluation; the least recently used are given up first. The response cache (whole
    #: responses to requests repeated byte for byte, :mod:`dealgraph.web.replay`) holds as
    #: much again at most, its bodies mostly the same bytes. 0: every query goes to a worker.
    answer_cache_bytes: int = 64 << 20
    #: Seconds ``serve`` waits for requests in flight after SIGTERM/SIGINT.
    shutdown_timeout: float = 10.0
    #: The licence stated for a graph that states none itself (service description).
    dataset_license: str = "https://creativecommons.org/licenses/by/4.0/"
    #: How to cite the dataset; each graph's own sources are added after it.
    dataset_citation: str = (
        "The dealgraph authors. dealgraph: a knowledge graph of corporate deals. https://w3id.org/dealgraph/"
    )

    #: SPARQL endpoints a query may call with ``SERVICE`` (exact URLs; several are separated
    #: by spaces or commas). Empty: no query makes an outbound call.
    allowed_services: tuple[str, ...] = ()
    #: A live Wikidata SPARQL endpoint that ``dealgraph wikidata snapshot`` refreshes the
    #: linked items from; ``None`` builds the snapshot from files only.
    wikidata_endpoint: str | None = None
    #: The folder of Wikidata SPARQL results the snapshot is built from (``wikidata-companies``).
    wikidata_dump: Path | None = None

    def data_paths(self) -> list[Path]:
        """The files and folders to load: ``data`` or else the shipped dataset."""
        return list(self.data) if self.data else shipped_data()

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then ``DEALGRAPH_<NAME>`` environment variables, then *overrides*."""
        settings = cls()
        from_env = {}
        for f in fields(cls):
            value = os.environ.get(f"DEALGRAPH_{f.name.upper()}")
            if value is not None and f.name in _ENV_PARSERS:
                from_env[f.name] = _ENV_PARSERS[f.name](value)
        settings = replace(settings, **from_env)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)


_ENV_PARSERS = {
    "host": str,
    "port": int,
    "query_timeout": float,
    "max_result_rows": int,
    "update_token": lambda v: v or None,
    "max_body_bytes": int,
    "max_query_length": int,
    "rate_limit": float,
    "rate_burst": int,
    "rate_limit_loopback": lambda v: v.strip().lower() in ("1", "true", "yes", "on"),
    "cors_origins": str,
    "threads": int,
    "query_workers": int,
    "memory_replica_quads": int,
    "answer_cache_bytes": int,
    "shutdown_timeout": float,
    "dataset_license": str,
    "dataset_citation": str,
    "store": Path,
    "reasoner": str,
    "store_url": lambda v: v or None,
    "update_url": lambda v: v or None,
    "allowed_services": lambda v: tuple(u for u in v.replace(",", " ").split() if u),
    "wikidata_endpoint": lambda v: v or None,
    "wikidata_dump": Path,
}
