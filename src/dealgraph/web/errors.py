"""One error shape for every failure, and never a stack trace for a client.

Every error is ``{"error": {"status", "title", "detail", ...}}`` as JSON (members such
as ``line``/``column`` or ``offered`` are added when they help), or the same content
as a small HTML page when the client prefers HTML (a browser). Unexpected exceptions
are logged with their traceback and a reference the client also gets.
"""

from __future__ import annotations

import html
import json
import logging
import uuid

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from .results import page

log = logging.getLogger("dealgraph.web")

bp = Blueprint("errors", __name__)


class ApiError(Exception):
    """An error to send to the client as it is: status, title, detail, extra members."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.extra = {k: v for k, v in extra.items() if v is not None}


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    return bool(accept) and accept.best_match(["application/json", "text/html"]) == "text/html"


def error_response(error: ApiError) -> Response:
    """The response for *error*, as JSON or, for browsers, as an HTML page."""
    content = {"status": error.status, "title": error.title, "detail": error.detail, **error.extra}
    if _wants_html():
        shown = {k: ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in error.extra.items()}
        extra = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in shown.items())
        body = page(
            f"{error.status} {error.title}",
            f"<h1>{error.status} {html.escape(error.title)}</h1>\n<p>{html.escape(error.detail)}</p>\n"
            + (f"<dl>{extra}</dl>\n" if extra else "")
            + '<p><a href="/">dealgraph</a> · <a href="/sparql">SPARQL endpoint</a></p>',
        )
        response = Response(body, error.status, content_type="text/html; charset=utf-8")
    else:
        body = json.dumps({"error": content}, ensure_ascii=False, indent=1) + "\n"
        response = Response(body, error.status, content_type="application/json")
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_response(error)


@bp.app_errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    detail = error.description or ""
    if error.code == 404:
        detail = f"nothing is at {request.path}; the SPARQL endpoint is /sparql"
    elif error.code == 405:
        detail = f"{request.method} is not allowed on {request.path}; use {headers.get('Allow', 'another method')}"
    return error_response(ApiError(error.code or 500, error.name, detail, headers))


@bp.app_errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.error("internal error %s on %s %s", reference, request.method, request.path, exc_info=error)
    return error_response(
        ApiError(
            500,
            "Internal Server Error",
            f"the server failed to answer; the server log has the details under {reference}",
        )
    )
