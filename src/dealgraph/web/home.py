"""``GET /``: a small page pointing at the endpoint (the real front end replaces it)."""

from __future__ import annotations

from flask import Blueprint, Response

from .results import page

bp = Blueprint("home", __name__)


@bp.route("/")
def home() -> Response:
    body = page(
        "dealgraph",
        "<h1>dealgraph</h1>\n<p>A knowledge graph of corporate deals, with inferences.</p>\n<ul>\n"
        '<li><a href="/sparql">/sparql</a>: SPARQL 1.1 endpoint and its service description</li>\n'
        '<li><a href="/dataset.nq.gz">/dataset.nq.gz</a>: the whole dataset (gzipped N-Quads)</li>\n'
        '<li><a href="/health">/health</a>: status and triple counts</li>\n</ul>',
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")
