"""The SPARQL 1.1 Protocol for queries on ``/sparql``, its service description, the dump.

* ``GET /sparql?query=…`` and ``POST /sparql`` with a form-encoded body
  (``query=…``) or an ``application/sparql-query`` body; ``default-graph-uri`` and
  ``named-graph-uri`` (repeatable) choose the dataset, otherwise the default graph
  is the union of all graphs. Unknown parameters are ignored.
* ``GET /sparql`` with no query: the service description (:mod:`.description`).
* ``GET /dataset.nq.gz``: the whole dataset as gzipped N-Quads.

Queries run in the worker pool (:mod:`.workers`) against the request's deadline;
this module only reads the request, picks the formats and turns the worker's
answer (or failure) into a response.
"""

from __future__ import annotations

import html
import time
from functools import lru_cache

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.sansio.utils import get_current_url

from ..store import GRAPH_FORMATS as ENGINE_GRAPH_FORMATS
from ..store import to_oxigraph
from ..vocab import PREFIXES
from . import formats
from .dataset import served
from .description import service_description
from .errors import ApiError
from .limits import utf8_body
from .operations import cross_origin_read, timing
from .replay import note_answer
from .results import Serialized, page
from .workers import Failure, Job, PoolBusy, QueryTimeout, WorkerLost

bp = Blueprint("sparql", __name__)

_QUERY_TYPES = ("application/x-www-form-urlencoded", "application/sparql-query")
_PROTOCOL_PARAMETERS = (
    "query",
    "update",
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "using-named-graph-uri",
)


def _read_query() -> tuple[str | None, list[str], list[str]]:
    """The query and graph IRIs of a protocol request; ``None`` for a bare GET."""
    if request.method == "GET":
        return _read_get()
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        form = request.form
        if "update" in form:
            raise _update_refused()
        queries = form.getlist("query")
        graphs = lambda name: form.getlist(name) + request.args.getlist(name)  # noqa: E731
    elif mimetype == "application/sparql-query":
        queries = [utf8_body("a query")]
        graphs = request.args.getlist
    elif mimetype == "application/sparql-update":
        raise _update_refused()
    else:
        sent = f"a {mimetype} body" if mimetype else "a body without Content-Type"
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"{sent} is not a query; send {' or '.join(_QUERY_TYPES)}",
            offered=list(_QUERY_TYPES),
        )
    return _one_query(queries), graphs("default-graph-uri"), graphs("named-graph-uri")


def _read_get() -> tuple[str | None, list[str], list[str]]:
    args = request.args
    if "update" in args:
        raise _update_refused()
    queries = args.getlist("query")
    if not queries and not any(name in args for name in _PROTOCOL_PARAMETERS):
        return None, [], []
    return _one_query(queries), args.getlist("default-graph-uri"), args.getlist("named-graph-uri")


def _one_query(queries: list[str]) -> str:
    if len(queries) > 1:
        raise ApiError(400, "Bad Request", f"a request carries one query, this one has {len(queries)}")
    if not queries or not queries[0].strip():
        raise ApiError(
            400, "Missing query", "no query: send one in the 'query' parameter or as an application/sparql-query body"
        )
    limit = served().settings.max_query_length
    if len(queries[0]) > limit:
        raise ApiError(400, "Query too long", f"the query has {len(queries[0])} characters; the limit is {limit}")
    return queries[0]


def _update_refused() -> ApiError:
    return ApiError(
        400,
        "Bad Request",
        "this endpoint answers queries; SPARQL updates go to POST /update",
        headers={"Allow": "GET, POST"},
    )


def graph_iris(values: list[str], parameter: str) -> tuple[str, ...]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise ApiError(400, "Bad Request", f"{parameter} must be an absolute IRI, not {value!r}") from None
    return tuple(values)


def _formats() -> tuple[formats.Format | None, formats.Format | None]:
    parameter = request.values.get("format")
    try:
        return (
            formats.choose(parameter, formats.accept_header(), formats.SOLUTION_FORMATS),
            formats.choose(parameter, formats.accept_header(), formats.GRAPH_FORMATS),
        )
    except formats.UnknownFormat as error:
        raise ApiError(400, "Bad Request", str(error)) from None


def _not_acceptable(kind: str) -> ApiError:
    offered = formats.GRAPH_FORMATS if kind == "graph" else formats.SOLUTION_FORMATS
    what = {"graph": "a graph (CONSTRUCT/DESCRIBE)", "select": "solutions (SELECT)", "ask": "a boolean (ASK)"}[kind]
    types = formats.offered_media_types(offered)
    return ApiError(
        406,
        "Not Acceptable",
        f"the answer is {what}, offered as {', '.join(types)}; none of them is acceptable to the client "
        "(see its Accept header or ?format=)",
        offered=types,
    )


def execute(job: Job, received: float) -> Serialized:
    """Run *job* in the worker pool by the deadline counted from *received*.

    The one way a view runs a query (``/sparql``, saved queries): every failure
    comes back as an ApiError in the endpoint's error shape.
    """
    dataset = served()
    settings = dataset.settings
    deadline = received + settings.query_timeout
    try:
        answer = dataset.pool.run(job, deadline)
    except QueryTimeout:
        raise ApiError(
            503,
            "Query timeout",
            f"the query ran longer than this endpoint's limit of {settings.query_timeout:g} s and was stopped",
            timeout=settings.query_timeout,
        ) from None
    except PoolBusy:
        raise ApiError(
            503,
            "Service Unavailable",
            f"every query worker stayed busy for {settings.query_timeout:g} s; try again later",
            headers={"Retry-After": "5"},
        ) from None
    except WorkerLost as error:
        raise ApiError(500, "Internal Server Error", f"the query worker failed ({error}); try again") from None
    waited = time.monotonic() - received - answer.seconds
    timing("wait", max(waited, 0.0))
    timing("query", answer.seconds, answer.replica)
    note_answer(from_cache=answer.replica == "cache")
    result = answer.result
    if isinstance(result, Failure):
        if result.status == 406:
            raise _not_acceptable(result.kind or "select")
        raise ApiError(result.status, result.title, result.detail, line=result.line, column=result.column)
    return result


@bp.route("/sparql", methods=["GET", "POST"])
@cross_origin_read
def sparql() -> Response:
    """Answer a SPARQL query, or describe the service when there is none."""
    received = time.monotonic()
    query, default_graphs, named_graphs = _read_query()
    if query is None:
        return _service_description()
    solution_format, graph_format = _formats()
    dataset = served()
    settings = dataset.settings
    job = Job(
        query=query,
        default_graphs=graph_iris(default_graphs, "default-graph-uri") if default_graphs or named_graphs else None,
        named_graphs=graph_iris(named_graphs, "named-graph-uri") if default_graphs or named_graphs else None,
        solution_format=solution_format.name if solution_format else None,
        graph_format=graph_format.name if graph_format else None,
        max_rows=settings.max_result_rows,
        base_iri=_base_iri(request.scheme, request.host, request.root_path, request.path),
    )
    result = execute(job, received)
    return _answer_response(result, solution_format if result.kind != "graph" else graph_format)


@lru_cache(maxsize=64)
def _base_iri(scheme: str, host: str, root_path: str, path: str) -> str:
    """The request's URL without its query (``request.base_url``), made once per endpoint URL.

    werkzeug builds it afresh for every request, IRI-encoding each part: 0.1 ms, a
    tenth of a small query's time in the web process (profiled on the seed).
    """
    return get_current_url(scheme, host, root_path, path)


def _answer_response(result: Serialized, chosen: formats.Format) -> Response:
    response = Response(result.body, 200, content_type=chosen.content_type)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _service_description() -> Response:
    chosen = formats.choose(request.args.get("format"), formats.accept_header(), formats.GRAPH_FORMATS)
    if chosen is None:
        raise _not_acceptable("graph")
    dataset = served()
    graph = service_description(dataset.store, dataset.graph_counts(), dataset.settings, request.url_root)
    triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]
    prefixes = {**PREFIXES, **{str(p): str(n) for p, n in graph.namespaces() if p in ("sd", "void", "formats")}}
    if chosen.name == "html":
        turtle = ox.serialize(triples, format=ENGINE_GRAPH_FORMATS["turtle"], prefixes=prefixes).decode("utf-8")
        body = page(
            "dealgraph SPARQL endpoint",
            "<h1>dealgraph SPARQL endpoint</h1>\n"
            "<p>Send SPARQL 1.1 queries here with <code>GET ?query=</code> or <code>POST</code>. "
            'The whole dataset: <a href="/dataset.nq.gz">dataset.nq.gz</a> (gzipped N-Quads).</p>\n'
            f"<h2>Service description</h2>\n<pre>{html.escape(turtle)}</pre>",
        )
    else:
        body = ox.serialize(triples, format=ENGINE_GRAPH_FORMATS[chosen.name], prefixes=prefixes)
    response = Response(body, 200, content_type=chosen.content_type)
    response.vary.add("Accept")
    return response


@bp.route("/dataset.nq.gz")
def dataset_dump() -> Response:
    """The whole dataset, inferred graph included, as gzipped N-Quads."""
    dump = served().dump()
    response = Response(dump.gzipped, 200, content_type="application/gzip")
    response.headers["Content-Disposition"] = 'attachment; filename="dealgraph.nq.gz"'
    response.set_etag(dump.etag)
    return response.make_conditional(request)
