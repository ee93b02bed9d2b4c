"""Writes over HTTP: SPARQL 1.1 Update at ``POST /update``, the Graph Store Protocol at ``/store``.

* ``POST /update`` with an ``application/sparql-update`` body, or a form with ``update=``;
  ``using-graph-uri`` and ``using-named-graph-uri`` (repeatable, in the URL or the form)
  give the dataset of its ``WHERE`` clauses (:mod:`dealgraph.update_dataset`).
* ``GET``/``HEAD /store?graph=IRI`` (or ``?default``, which is ``…/graph/user``) reads a
  graph, in the RDF format ``Accept`` asks for; reads are open like ``/sparql``.
* ``PUT`` replaces a graph with the body, ``POST`` adds the body to it, ``DELETE``
  drops it; the body is Turtle, N-Triples, RDF/XML or JSON-LD by its Content-Type.

Every write needs the server's update token (``DEALGRAPH_UPDATE_TOKEN``) as
``Authorization: Bearer <token>``, compared in constant time: 401 without it, 403
with another one, and 403 for everyone when the server has no token. What a write
then goes through (scratch copy, shapes, reasoning, one transaction, flush, log)
is :mod:`dealgraph.writes`; this module reads requests and maps outcomes to statuses.
"""

from __future__ import annotations

import hmac

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request
from rdflib import URIRef

from ..federation import ServiceNotAllowed
from ..reason import InconsistencyError
from ..store import QueryError, RdfSyntaxError
from ..update_dataset import DatasetConflict, UpdateWithDataset, using_dataset
from ..validate import ValidationError
from ..vocab import USER_GRAPH
from ..writes import ProtectedGraph, WriteBusy, Writer, WriteRefused, WriteReport, token_fingerprint
from . import formats
from .dataset import served
from .errors import ApiError
from .limits import utf8_body
from .sparql import graph_iris
from .workers import _syntax_error

bp = Blueprint("writes", __name__)

#: Body media types a graph may be sent in, and the engine format each is parsed as.
_BODY_FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
#: What GET /store offers (graph formats without the HTML page).
_READ_FORMATS = tuple(f for f in formats.GRAPH_FORMATS if f.name in ("turtle", "ntriples", "jsonld", "rdfxml"))
_REALM = 'Bearer realm="dealgraph"'


def _writer() -> Writer:
    return served().writer


def _authorize() -> str:
    """Who writes (for the log): the token's fingerprint and the client's address; or an ApiError."""
    token = served().settings.update_token
    if not token:
        raise ApiError(
            403, "Forbidden", "writes are disabled on this server: it was started without DEALGRAPH_UPDATE_TOKEN"
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(
            401,
            "Unauthorized",
            "writes need the server's update token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": _REALM},
        )
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ApiError(403, "Forbidden", "the update token is not valid", headers={"WWW-Authenticate": _REALM})
    return f"{token_fingerprint(token)} from {request.remote_addr}"


def _refused(error: ValueError, update: UpdateWithDataset | None = None) -> ApiError:
    """The response for a write that was not applied (the dataset is unchanged)."""
    if isinstance(error, ServiceNotAllowed):
        return ApiError(403, "Forbidden", str(error))
    if isinstance(error, ProtectedGraph):
        return ApiError(403, "Forbidden", str(error))
    if isinstance(error, WriteBusy):
        return ApiError(503, "Service Unavailable", str(error), headers={"Retry-After": "5"})
    if isinstance(error, ValidationError):
        return ApiError(
            422,
            "Unprocessable Content",
            f"the write would break {len(error.violations)} SHACL constraint(s); nothing was changed",
            violations=[str(v) for v in error.violations],
        )
    if isinstance(error, InconsistencyError):
        return ApiError(
            422,
            "Unprocessable Content",
            "the write would make the data inconsistent with the ontology; nothing was changed",
            violations=error.messages,
        )
    if isinstance(error, RdfSyntaxError):
        detail = f"the body is not valid RDF: {error}"
        return ApiError(400, "Malformed RDF", detail, line=error.line, column=error.column)
    if isinstance(error, QueryError) and update is not None:
        failure = _syntax_error(update.original, update.in_original(str(error)))
        return ApiError(400, "Malformed update", failure.detail, line=failure.line, column=failure.column)
    if isinstance(error, WriteRefused):
        return ApiError(422, "Unprocessable Content", str(error))
    return ApiError(400, "Bad Request", str(error))


def _answer(report: WriteReport, status: int = 200) -> Response:
    response = jsonify(report.as_json())
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ SPARQL 1.1 Update


def _read_update() -> str:
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        updates = request.form.getlist("update")
        if "query" in request.form:
            raise ApiError(400, "Bad Request", "this endpoint runs updates; queries go to /sparql")
    elif mimetype == "application/sparql-update":
        updates = [utf8_body("an update")]
    else:
        sent = f"a {mimetype} body" if mimetype else "a body without Content-Type"
        offered = ["application/sparql-update", "application/x-www-form-urlencoded"]
        raise ApiError(415, "Unsupported Media Type", f"{sent} is not an update; send {' or '.join(offered)}",
                       offered=offered)
    if len(updates) > 1:
        raise ApiError(400, "Bad Request", f"a request carries one update, this one has {len(updates)}")
    if not updates or not updates[0].strip():
        raise ApiError(400, "Missing update", "no update: send one as 'update=' or an application/sparql-update body")
    return updates[0]


def _with_request_dataset(text: str) -> UpdateWithDataset:
    """The update with the dataset its request gives: ``using-graph-uri`` and ``using-named-graph-uri``
    from the URL and, with a form body, from the form (``request.values`` holds both)."""
    graphs = graph_iris(request.values.getlist("using-graph-uri"), "using-graph-uri")
    named_graphs = graph_iris(request.values.getlist("using-named-graph-uri"), "using-named-graph-uri")
    try:
        return using_dataset(text, graphs, named_graphs)
    except DatasetConflict as error:
        raise ApiError(400, "Bad Request", str(error)) from None
    except QueryError as error:  # strings or brackets that never close
        raise _refused(error, UpdateWithDataset(text, text)) from None


@bp.route("/update", methods=["POST"])
def update() -> Response:
    """Run a SPARQL 1.1 Update (token required); its default graph is ``…/graph/user``."""
    who = _authorize()
    sent = _with_request_dataset(_read_update())
    try:
        report = _writer().update(sent.text, who, base_iri=request.base_url)
    except ValueError as error:
        raise _refused(error, sent) from None
    return _answer(report)


# ------------------------------------------------------------------ Graph Store HTTP Protocol


def _target_graph() -> URIRef:
    args = request.args
    if "graph" in args and "default" in args:
        raise ApiError(400, "Bad Request", "name one graph: ?graph=IRI or ?default, not both")
    if "default" in args:
        return USER_GRAPH
    values = args.getlist("graph")
    if len(values) != 1:
        raise ApiError(400, "Bad Request", "name one graph with ?graph=IRI, or ?default for …/graph/user")
    try:
        ox.NamedNode(values[0])
    except ValueError:
        raise ApiError(400, "Bad Request", f"graph must be an absolute IRI, not {values[0]!r}") from None
    return URIRef(values[0])


def _body_format() -> str:
    fmt = _BODY_FORMATS.get(request.mimetype)
    if fmt is None:
        sent = f"a {request.mimetype} body" if request.mimetype else "a body without Content-Type"
        raise ApiError(415, "Unsupported Media Type", f"{sent} is not an RDF graph; send one of "
                       f"{', '.join(_BODY_FORMATS)}", offered=list(_BODY_FORMATS))
    return fmt


@bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    """The Graph Store HTTP Protocol, indirect graph identification."""
    graph = _target_graph()
    if request.method in ("GET", "HEAD"):
        return _read_graph(graph)
    who = _authorize()
    writer = _writer()
    exists = served().store.contains_graph(graph)
    try:
        if request.method == "DELETE":
            if not exists:
                raise ApiError(404, "Not Found", f"there is no graph {graph}")
            return _answer(writer.drop_graph(graph, who))
        fmt = _body_format()
        data = request.get_data()
        if request.method == "PUT":
            return _answer(writer.replace_graph(graph, data, fmt, who), 200 if exists else 201)
        return _answer(writer.add_to_graph(graph, data, fmt, who), 200 if exists else 201)
    except ValueError as error:
        raise _refused(error) from None


def _read_graph(graph: URIRef) -> Response:
    store = served().store
    if not store.contains_graph(graph):
        raise ApiError(404, "Not Found", f"there is no graph {graph}")
    chosen = formats.negotiate(formats.accept_header(), _READ_FORMATS)
    if chosen is None:
        types = formats.offered_media_types(_READ_FORMATS)
        raise ApiError(406, "Not Acceptable", f"a graph is offered as {', '.join(types)}", offered=types)
    body = store.serialize_graph(graph, chosen.name)
    response = Response(b"" if request.method == "HEAD" else body, 200, content_type=chosen.content_type)
    if request.method == "HEAD":
        response.headers["Content-Length"] = str(len(body))
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response
