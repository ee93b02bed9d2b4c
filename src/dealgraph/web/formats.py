"""The result formats the endpoint offers, and choosing one for a request.

A registry, not an if/else ladder: each format has a short name (the ``?format=``
value and the key the query workers serialize by), the media type its spec names,
and aliases clients use for it. SELECT/ASK answers ("solutions") and CONSTRUCT/
DESCRIBE answers ("graph") have separate tables, because the same ``Accept`` header
picks different formats for them. ``?format=`` wins over ``Accept``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .errors import ApiError


@dataclass(frozen=True)
class Format:
    """One serialization: ``name`` for ``?format=``, ``media_type`` as its spec names it."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header: text types say their (always UTF-8) charset."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *(a for a in self.aliases if "/" in a))

    def names(self) -> tuple[str, ...]:
        return (self.name, self.media_type, *self.aliases)


#: SELECT and ASK results, in the order preferred when the client does not care.
SOLUTION_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("srj", "application/json")),
    Format("xml", "application/sparql-results+xml", ("srx", "application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values", ("text/tsv",)),
    Format("html", "text/html", ("application/xhtml+xml",)),
)

#: CONSTRUCT and DESCRIBE results (and the service description).
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ("ttl", "application/x-turtle")),
    Format("ntriples", "application/n-triples", ("nt",)),
    Format("jsonld", "application/ld+json", ("json-ld", "json", "application/json")),
    Format("rdfxml", "application/rdf+xml", ("rdf", "xml", "application/xml", "text/xml")),
    Format("trig", "application/trig", ()),
    Format("nquads", "application/n-quads", ("nq",)),
    Format("html", "text/html", ("application/xhtml+xml",)),
)


class UnknownFormat(ValueError):
    """A ``?format=`` value that names no format of either table."""

    def __init__(self, value: str):
        known = sorted({f.name for f in SOLUTION_FORMATS + GRAPH_FORMATS})
        super().__init__(f"unknown format {value!r}; use one of {', '.join(known)} or a media type")


def by_name(value: str, offered: Sequence[Format]) -> Format | None:
    """The offered format a ``?format=`` value names (short name, alias or media type)."""
    wanted = value.strip().lower()
    return next((f for f in offered if wanted in f.names()), None)


@lru_cache(maxsize=1024)
def negotiate(accept_header: str, offered: tuple[Format, ...]) -> Format | None:
    """The offered format the ``Accept`` header likes best (q-values, then our order).

    No ``Accept`` header means anything will do; ``None`` means nothing offered is
    acceptable (a 406). Remembered per header: a client sends the same one with every
    request, and matching it (werkzeug splits every media type each time) was the
    largest cost of a small query's request in Python.
    """
    accept = parse_accept_header(accept_header, MIMEAccept)
    if not accept:
        return offered[0]
    canonical = [(f.media_type, f) for f in offered]
    candidates = canonical + [(alias, f) for f in offered for alias in f.media_types()[1:]]
    best = accept.best_match([media_type for media_type, _ in candidates])
    return next((f for media_type, f in candidates if media_type == best), None)


def accept_header() -> str:
    """This request's ``Accept`` header, as :func:`negotiate` takes it."""
    return request.headers.get("Accept", "")


def choose(format_parameter: str | None, accept: str, offered: tuple[Format, ...]) -> Format | None:
    """``?format=`` when given (raising UnknownFormat if it names nothing), else the ``Accept`` header *accept*."""
    if format_parameter:
        chosen = by_name(format_parameter, offered)
        if chosen is None and all(by_name(format_parameter, t) is None for t in (SOLUTION_FORMATS, GRAPH_FORMATS)):
            raise UnknownFormat(format_parameter)
        return chosen
    return negotiate(accept, offered)


def offered_media_types(offered: Sequence[Format]) -> list[str]:
    return [f.media_type for f in offered]


#: The representations of a described resource (an entity, the ontology), HTML first:
#: a browser, or a client that accepts ``*/*``, gets the page.
RESOURCE_FORMATS = tuple(
    next(f for f in GRAPH_FORMATS if f.name == name) for name in ("html", "turtle", "jsonld", "ntriples", "rdfxml")
)


def requested(offered: tuple[Format, ...], answers_in: str) -> Format:
    """The format this request asks for among *offered*: ``?format=`` first, then ``Accept``.

    An unknown ``format`` name is a 400; an ``Accept`` nothing offered satisfies is a 406
    whose message (``"<answers_in> text/turtle, …"``) and body list what is offered.
    """
    try:
        chosen = choose(request.args.get("format"), accept_header(), offered)
    except UnknownFormat as error:
        raise ApiError(400, "Bad Request", str(error)) from None
    if chosen is None:
        media_types = offered_media_types(offered)
        raise ApiError(406, "Not Acceptable", f"{answers_in} {', '.join(media_types)}", offered=media_types)
    return chosen
