"""``GET /health``: is the endpoint up, and what does it serve (triples per graph)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .dataset import served

bp = Blueprint("health", __name__)


@bp.route("/health")
def health():
    """200 with the triple count of each graph, the dataset version, the workers (with what each answers
    from), and the answers and responses kept to give again (:mod:`.workers`, :mod:`.replay`)."""
    dataset = served()
    counts = dataset.graph_counts()
    response = jsonify(
        status="ok",
        version=dataset.store.version,
        triples=sum(counts.values()),
        graphs=counts,
        query_workers={"size": dataset.pool.size, "busy": dataset.pool.busy, "replicas": dataset.pool.replicas()},
        answer_cache=dataset.pool.answers.usage(),
        response_cache=current_app.extensions["dealgraph_responses"].responses.usage(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
