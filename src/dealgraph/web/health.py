"""``GET /health``: is the endpoint up, and what does it serve (triples per graph)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .dataset import served

bp = Blueprint("health", __name__)


@bp.route("/health")
def health():
    """200 with the triple count of each graph, the dataset version, the workers (with what each answers
    from), and whether the web process answers the queries proven quick itself (:mod:`.workers`)."""
    dataset = served()
    counts = dataset.graph_counts()
    response = jsonify(
        status="ok",
        version=dataset.store.version,
        triples=sum(counts.values()),
        graphs=counts,
        query_workers={"size": dataset.pool.size, "busy": dataset.pool.busy, "replicas": dataset.pool.replicas()},
        quick_queries_in_web_process=dataset.pool.home_store(dataset.store.version) is not None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
