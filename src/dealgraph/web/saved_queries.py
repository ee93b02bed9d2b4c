"""Saved queries over HTTP: ``GET /queries``, ``GET /queries/<name>``, ``GET /openapi.json``.

A saved query runs like any other query (:func:`dealgraph.web.sparql.execute`: the
worker pool, the deadline, the error shape); this module reads its parameters
(validated and bound as RDF terms by :mod:`dealgraph.saved_queries`), pages its
ordered rows and writes them in the format asked for.

* Pages: ``?page=`` (from 1) and ``?per_page=`` (1–1000, default 100), with
  ``Link`` headers to the first, previous and next pages. One row more than a page
  is fetched to know whether a next page exists.
* ETag: the dataset's version, the query file, the parameters, the page and the
  format; ``If-None-Match`` with it answers 304 without running the query.
* A bad value is a 400 whose error names the parameter, the value and the type.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from ..saved_queries import (
    ORGANIZATIONS_QUERY,
    OrganizationIndex,
    ParameterError,
    SavedQuery,
    organization_index,
    prepare,
    saved_queries,
)
from ..store import QueryResult, to_rdflib
from . import formats
from .dataset import served
from .errors import ApiError
from .lookup import select_tsv, solutions
from .openapi import openapi_document
from .results import serialize

bp = Blueprint("saved_queries", __name__, template_folder="templates")

#: Request parameters that steer the response rather than the query.
CONTROL_PARAMETERS = ("format", "page", "per_page")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000

_cache_lock = threading.Lock()
_organizations: dict[int, tuple[int, OrganizationIndex]] = {}


@functools.cache
def queries() -> dict[str, SavedQuery]:
    """The shipped saved queries, read once per process."""
    return saved_queries()


def organizations(received: float) -> OrganizationIndex:
    """The organization index of the served dataset, rebuilt when its version changes."""
    dataset = served()
    version = dataset.store.version
    with _cache_lock:
        cached = _organizations.get(id(dataset))
    if cached is not None and cached[0] == version:
        return cached[1]
    index = organization_index(solutions(select_tsv(ORGANIZATIONS_QUERY, received)).rows())
    with _cache_lock:
        _organizations[id(dataset)] = (version, index)
    return index


def _bad_parameter(error: ParameterError) -> ApiError:
    return ApiError(400, "Invalid parameter", str(error), **error.as_dict())


def _page_number(name: str, default: int, largest: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (largest is not None and int(raw) > largest):
        bounds = f"an integer from 1 to {largest}" if largest else "an integer from 1"
        raise _bad_parameter(ParameterError(name, raw, bounds, "is not valid"))
    return int(raw)


def _given() -> dict[str, list[str]]:
    return {k: request.args.getlist(k) for k in request.args if k not in CONTROL_PARAMETERS}


def _etag(query: SavedQuery, given: dict[str, list[str]], page: int, per_page: int, chosen: str) -> str:
    relevant = sorted((p.name, tuple(given.get(p.name, []))) for p in query.parameters)
    key = repr((served().store.version, query.name, query.text, relevant, page, per_page, chosen))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _link_header(name: str, page: int, per_page: int, has_next: bool) -> str:
    def link(number: int, rel: str) -> str:
        args = [(k, v) for k in request.args for v in request.args.getlist(k) if k != "page"]
        args.append(("page", str(number)))
        if "per_page" not in request.args:
            args.append(("per_page", str(per_page)))
        return f'<{url_for("saved_queries.run_query", name=name)}?{urlencode(args)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(page - 1, "prev"))
    if has_next:
        links.append(link(page + 1, "next"))
    return ", ".join(links)


@bp.route("/queries")
def list_queries() -> Response:
    """Every saved query with its parameters (CONTRACT.md's shape, plus tags and a URL)."""
    listed = [{**q.describe(), "url": url_for("saved_queries.run_query", name=q.name)} for q in queries().values()]
    response = jsonify({"queries": listed})
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/queries/<name>")
def run_query(name: str) -> Response:
    """Run one saved query with the request's parameters, one page, in the chosen format."""
    received = time.monotonic()
    query = queries().get(name)
    if query is None:
        raise ApiError(404, "Not Found", f"there is no saved query {name!r}; GET /queries lists them")
    chosen = formats.requested(formats.SOLUTION_FORMATS, "a saved query answers in")
    page = _page_number("page", 1)
    per_page = _page_number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    given = _given()
    needs_index = any(p.type == "organization" for p in query.parameters)
    try:
        bound = prepare(query, given, organizations(received) if needs_index else None)
    except ParameterError as error:
        raise _bad_parameter(error) from None
    etag = _etag(query, given, page, per_page, chosen.name)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        sparql = bound.sparql(limit=per_page + 1, offset=(page - 1) * per_page)
        lines = select_tsv(sparql, received).decode("utf-8").rstrip("\n").split("\n")
        has_next = len(lines) - 1 > per_page
        tsv = ("\n".join(lines[: per_page + 1]) + "\n").encode("utf-8")
        if chosen.name == "html":
            body = _html_page(query, given, bound.sparql(), solutions(tsv), page, per_page, has_next)
        else:
            body = serialize(solutions(tsv), chosen.name, per_page + 1).body
        response = Response(body, 200, content_type=chosen.content_type)
        response.headers["Link"] = _link_header(name, page, per_page, has_next)
    response.set_etag(etag)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _cell(term) -> dict:
    """A result cell for the template: its text and, for an IRI, where it links."""
    if isinstance(term, ox.NamedNode):
        return {"text": term.value, "href": term.value}
    node = to_rdflib(term)
    return {"text": str(node), "language": getattr(node, "language", None)}


def _html_page(
    query: SavedQuery,
    given: dict[str, list[str]],
    sparql: str,
    result: QueryResult,
    page: int,
    per_page: int,
    has_next: bool,
) -> str:
    raw = result.raw
    variables = [v.value for v in raw.variables]
    rows = [[None if s[v] is None else _cell(s[v]) for v in variables] for s in raw]
    page_link = lambda number: "?" + urlencode(  # noqa: E731
        [(k, v) for k in request.args for v in request.args.getlist(k) if k != "page"] + [("page", str(number))]
    )
    return render_template(
        "saved_queries/query.html",
        query=query,
        given=given,
        variables=variables,
        rows=rows,
        sparql=sparql,
        editor_link="/#query=" + quote(sparql, safe=""),
        page=page,
        per_page=per_page,
        previous_page=page_link(page - 1) if page > 1 else None,
        next_page=page_link(page + 1) if has_next else None,
        formats=[f.name for f in formats.SOLUTION_FORMATS if f.name != "html"],
        format_link=lambda name: (
            "?"
            + urlencode(
                [(k, v) for k in request.args for v in request.args.getlist(k) if k != "format"] + [("format", name)]
            )
        ),
    )


@bp.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of the saved queries, generated from their files."""
    response = jsonify(openapi_document(list(queries().values()), request.url_root.rstrip("/")))
    response.headers["Cache-Control"] = "no-cache"
    return response
