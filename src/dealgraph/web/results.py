"""A query's answer → bytes in the chosen format, read within a row limit.

This runs inside the query workers (see :mod:`dealgraph.web.workers`), so that the
whole answer is serialized before the web process sends a byte of it.

SELECT solutions are read one at a time, so a result with more rows than allowed
fails as soon as the limit is passed instead of after filling memory. The rows read
are then handed back to Oxigraph's own serializers through TSV, whose cells are
N-Triples terms: that is lossless and keeps the formats exactly as Oxigraph writes
them.
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


def _tsv(variables: list[ox.Variable], solutions: list[ox.QuerySolution]) -> bytes:
    lines = ["\t".join(str(v) for v in variables)]
    for solution in solutions:
        lines.append("\t".join("" if solution[v] is None else str(solution[v]) for v in variables))
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize(result: QueryResult, format: str, max_rows: int) -> Serialized:
    """*result* in *format* (a short name of :mod:`dealgraph.web.formats`)."""
    raw = result.raw
    if result.kind == "ask":
        body = _html_boolean(bool(raw)) if format == "html" else raw.serialize(format=SOLUTION_FORMATS[format])
        return Serialized("ask", format, body, 1)
    if result.kind == "select":
        variables = list(raw.variables)
        solutions = _bounded(raw, max_rows, "rows")
        if format == "html":
            body = _html_table([v.value for v in variables], [[s[v] for v in variables] for s in solutions])
        else:
            tsv = _tsv(variables, solutions)
            if format == "tsv":
                body = tsv
            else:
                reread = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
                body = reread.serialize(format=SOLUTION_FORMATS[format])
        return Serialized("select", format, body, len(solutions))
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
