"""``/reconcile``: the W3C Reconciliation Service API v0.2 (:mod:`dealgraph.wikidata.reconcile`).

* ``GET /reconcile`` — the manifest.
* ``GET /reconcile?queries={...}`` and ``POST /reconcile`` (form field ``queries``, or a
  JSON body) — a batch of queries, answered ``{"q0": {"result": [...]}, ...}``.
* ``GET /reconcile/preview?id=org/alapage`` — the small HTML preview the manifest names.

The organizations are read once per dataset version (a few dozen rows, well under a
millisecond), so the answers follow updates.
"""

from __future__ import annotations

import html
import json
import threading

from flask import Blueprint, Response, jsonify, request

from ..wikidata.reconcile import BadQuery, ReconciliationIndex, check_batch, manifest
from .dataset import served
from .errors import ApiError
from .operations import cross_origin_read

bp = Blueprint("reconcile", __name__)

_lock = threading.Lock()
_cache: dict[int, tuple[int, ReconciliationIndex]] = {}


def _index() -> ReconciliationIndex:
    store = served().store
    with _lock:
        cached = _cache.get(id(store))
        if cached is None or cached[0] != store.version:
            cached = (store.version, ReconciliationIndex.from_store(store))
            _cache[id(store)] = cached
        return cached[1]


def _batch() -> dict | None:
    """The ``queries`` of the request, parsed and checked; ``None`` when there are none."""
    if request.method == "POST" and request.mimetype == "application/json":
        raw = request.get_data(as_text=True)
        parsed = json.loads(raw) if raw.strip() else None
        if isinstance(parsed, dict) and set(parsed) == {"queries"}:
            parsed = parsed["queries"]
            parsed = json.loads(parsed) if isinstance(parsed, str) else parsed
        return check_batch(parsed) if parsed is not None else None
    raw = request.values.get("queries")
    if raw is None:
        return None
    return check_batch(json.loads(raw))


@bp.route("/reconcile", methods=["GET", "POST"])
@cross_origin_read
def reconcile() -> Response:
    """The manifest, or the candidates for a batch of queries."""
    try:
        batch = _batch()
    except json.JSONDecodeError as error:
        raise ApiError(400, "Bad Request", f"queries is not valid JSON: {error}") from None
    except BadQuery as error:
        raise ApiError(400, "Bad Request", str(error)) from None
    if batch is None:
        return jsonify(manifest(request.url_root))
    index = _index()
    return jsonify({key: {"result": index.reconcile(query)} for key, query in batch.items()})


@bp.route("/reconcile/preview")
def preview() -> Response:
    """A small HTML card for one organization: name, identifiers, types."""
    entity = _index().entities.get(request.args.get("id", ""))
    if entity is None:
        raise ApiError(404, "Not Found", f"no organization with id {request.args.get('id', '')!r}")
    links = "".join(
        f' · <a href="http://www.wikidata.org/entity/{q}" target="_blank">Wikidata {q}</a>'
        for q in sorted(entity.wikidata)
    )
    own = html.escape(request.url_root + "id/" + entity.id)
    body = (
        '<!doctype html><meta charset="utf-8"><body style="font:14px sans-serif;margin:6px">'
        f"<strong>{html.escape(entity.name)}</strong><br>"
        f'<a href="{own}" target="_blank">{html.escape(entity.id)}</a>'
        f"{links}<br><small>{html.escape(', '.join(sorted(entity.names)))}</small></body>"
    )
    return Response(body, content_type="text/html; charset=utf-8")


@bp.route("/reconcile/docs")
def docs() -> Response:
    """What the service matches on, for people reading the manifest."""
    return Response(
        "dealgraph's reconciliation service matches company names against the graph's organizations "
        "(case, accents, punctuation and legal forms do not count), returns dealgraph ids (below "
        "https://w3id.org/dealgraph/id/) and linked Wikidata items, and says match=true only for a "
        "confident, unambiguous candidate. Property constraints: 'wikidata' (a Q-id) or any property "
        "IRI or prefixed name (e.g. skos:altLabel).\n",
        content_type="text/plain; charset=utf-8",
    )
