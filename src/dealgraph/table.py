"""SELECT rows as a plain-text table for terminals."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal
from rdflib.term import Node


def cell(term: Node | None) -> str:
    """A term as a person reads it: literals by their text, IRIs in angle brackets."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term) + (f"@{term.language}" if term.language else "")
    return term.n3()


def render_table(variables: list[str], rows: Iterable[dict[str, Node]]) -> str:
    """Columns padded to their widest cell, with a header rule and a row count."""
    body = [[cell(row.get(v)) for v in variables] for row in rows]
    widths = [max([len(v)] + [len(r[i]) for r in body]) for i, v in enumerate(variables)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(variables), line(["-" * w for w in widths])] + [line(r) for r in body]
    out.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(out)
