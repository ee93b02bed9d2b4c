"""Reading the served dataset for the pages (home, ``/id/…``, pictures).

The pages run their queries the way every other view does — in the worker pool,
against the request's deadline (:func:`dealgraph.web.sparql.execute`) — and get
rows back as rdflib terms. A resource's IRI enters a query only as a ``VALUES``
term written by rdflib from a checked IRI, never as spliced user text.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable

import pyoxigraph as ox
from flask import g
from rdflib import URIRef
from rdflib.term import Node

from ..store import QueryResult
from .dataset import served
from .sparql import execute
from .workers import Job

#: An IRI that can stand in a query as ``<…>``: no spaces, quotes, brackets or escapes.
_SAFE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*$")


def received() -> float:
    """When this request arrived: every query a page runs shares one deadline."""
    if "received" not in g:
        g.received = time.monotonic()
    return g.received


def checked_iri(text: str) -> URIRef | None:
    """*text* as an IRI that is safe to write in a query, or ``None``."""
    return URIRef(text) if _SAFE_IRI.match(text) else None


def values(variable: str, iris: Iterable[URIRef]) -> str:
    """A ``VALUES ?variable { … }`` block for IRIs checked by :func:`checked_iri`."""
    terms = " ".join(URIRef(i).n3() for i in iris if checked_iri(str(i)) is not None)
    return f"VALUES ?{variable} {{ {terms} }}"


def job(sparql: str, solution_format: str | None, graph_format: str | None = None) -> Job:
    """A query over the whole dataset, in the served settings' result-size limit."""
    return Job(
        query=sparql,
        default_graphs=None,
        named_graphs=None,
        solution_format=solution_format,
        graph_format=graph_format,
        max_rows=served().settings.max_result_rows,
    )


def select_tsv(sparql: str, arrived: float) -> bytes:
    """A SELECT run in the worker pool, its rows as TSV (cells are lossless N-Triples terms)."""
    return execute(job(sparql, "tsv"), arrived).body


def solutions(tsv: bytes) -> QueryResult:
    """TSV results read back as a :class:`QueryResult`."""
    return QueryResult(ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV))


def select(sparql: str) -> list[dict[str, Node]]:
    """The rows of a SELECT over the whole dataset, as ``{variable: rdflib term}``."""
    return list(solutions(select_tsv(sparql, received())).rows())


def ask(sparql: str) -> bool:
    body = execute(job(sparql, "json"), received()).body
    return bool(json.loads(body)["boolean"])


def construct(sparql: str, graph_format: str) -> bytes:
    """A CONSTRUCT's triples serialized by the engine in *graph_format* (``turtle`` …)."""
    return execute(job(sparql, None, graph_format), received()).body
