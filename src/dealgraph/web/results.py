"""A query's answer → bytes in the chosen format, read within a row limit.

This runs inside the query workers (see :mod:`dealgraph.web.workers`), so that the
whole answer is serialized before the web process sends a byte of it.

SELECT solutions are written by Oxigraph itself, in Rust, as TSV (one row a line,
cells as N-Triples terms: lossless), into a writer that counts the lines and stops
the evaluation as soon as the row limit is passed, before the answer fills the
worker's memory. The TSV is then re-read by Oxigraph's own serializers for the other
formats, so every format is written exactly as Oxigraph writes it. Reading the rows
one at a time in Python instead costs about 18× more (20 000 rows: 232 ms against 13 ms).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ..store import GRAPH_FORMATS, SOLUTION_FORMATS, QueryResult
from ..vocab import PREFIXES


class TooManyRows(Exception):
    """The answer has more rows (or triples) than the configured limit."""

    def __init__(self, limit: int, unit: str):
        super().__init__(
            f"the answer has more than {limit:,} {unit}, the limit of this endpoint; "
            "add a LIMIT (and OFFSET to page through it) or narrow the query"
        )


@dataclass(frozen=True)
class Serialized:
    """An answer ready to send: its kind, format name, bytes and size in rows."""

    kind: str
    format: str
    body: bytes
    rows: int


def _bounded(items: Iterable, limit: int, unit: str) -> list:
    taken = []
    for item in items:
        if len(taken) == limit:
            raise TooManyRows(limit, unit)
        taken.append(item)
    return taken


class _RowCounter:
    """A binary file for Oxigraph's TSV writer that keeps the bytes and stops past *limit* rows."""

    def __init__(self, limit: int):
        self.limit = limit
        self.lines = 0
        self.parts: list[bytes] = []

    def write(self, chunk) -> int:
        self.lines += chunk.count(b"\n")
        if self.lines - 1 > self.limit:  # the first line is the header
            raise TooManyRows(self.limit, "rows")
        self.parts.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass


def _tsv(raw: ox.QuerySolutions, limit: int) -> tuple[bytes, int]:
    """The solutions as TSV, and how many rows; TooManyRows past *limit*."""
    counter = _RowCounter(limit)
    raw.serialize(counter, format=ox.QueryResultsFormat.TSV)  # the writer's TooManyRows comes through as it is
    return b"".join(counter.parts), counter.lines - 1


def serialize(result: QueryResult, format: str, max_rows: int) -> Serialized:
    """*result* in *format* (a short name of :mod:`dealgraph.web.formats`)."""
    raw = result.raw
    if result.kind == "ask":
        body = _html_boolean(bool(raw)) if format == "html" else raw.serialize(format=SOLUTION_FORMATS[format])
        return Serialized("ask", format, body, 1)
    if result.kind == "select":
        tsv, rows = _tsv(raw, max_rows)
        if format == "tsv":
            return Serialized("select", format, tsv, rows)
        reread = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        if format == "html":
            variables = list(reread.variables)
            body = _html_table([v.value for v in variables], [[s[v] for v in variables] for s in reread])
        else:
            body = reread.serialize(format=SOLUTION_FORMATS[format])
        return Serialized("select", format, body, rows)
    triples = sorted(_bounded(raw, max_rows, "triples"), key=_triple_order)
    if format == "html":
        body = _html_table(["subject", "predicate", "object"], [[t.subject, t.predicate, t.object] for t in triples])
    else:
        body = ox.serialize(triples, format=GRAPH_FORMATS[format], prefixes=PREFIXES)
    return Serialized("graph", format, body, len(triples))


def _triple_order(triple: ox.Triple) -> tuple[str, str, str]:
    """Subjects together (and blank nodes last), so Turtle and tables group them."""
    return (
        ("~" if isinstance(triple.subject, ox.BlankNode) else "") + str(triple.subject),
        str(triple.predicate),
        str(triple.object),
    )


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = html.escape(term.value)
        return f'<a href="{iri}">{iri}</a>'
    if isinstance(term, ox.Literal):
        text = html.escape(term.value)
        if term.language:
            return f"{text} <small>@{html.escape(term.language)}</small>"
        datatype = term.datatype.value
        if datatype.endswith("#string"):
            return text
        return f'{text} <small title="{html.escape(datatype)}">^^{html.escape(_short(datatype))}</small>'
    return html.escape(str(term))


def _short(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def page(title: str, body: str) -> bytes:
    """A small self-contained HTML page (results, errors, the service description)."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;"
        "vertical-align:top}th{background:#f3f3f3}small{color:#666}pre{background:#f6f6f6;padding:1rem;"
        "overflow:auto}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    ).encode()


def _html_table(header: list[str], rows: list[list]) -> bytes:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{_cell(t)}</td>" for t in row) + "</tr>" for row in rows)
    count = len(rows)
    return page(
        "SPARQL results",
        f"<p>{count} result{'s' if count != 1 else ''}</p>\n<table>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>",
    )


def _html_boolean(value: bool) -> bytes:
    return page("SPARQL result", f"<p>ASK: <strong>{'true' if value else 'false'}</strong></p>")
