"""What every response gets: an access log line, ``Server-Timing`` and CORS headers.

* Access log: one line per request on the ``dealgraph.access`` logger (standard
  error under ``dealgraph serve``): method, path, status, milliseconds, measured
  around the whole WSGI call, body included.
* ``Server-Timing``: ``total`` plus what the view recorded with :func:`timing`
  (time waiting for a query worker, time the worker took and on which replica).
* CORS: reads (GET, HEAD, OPTIONS, and POST to views marked :func:`cross_origin_read`,
  like a SPARQL query) are open to ``Settings.cors_origins``; writes never are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from functools import lru_cache

from flask import Flask, Response, current_app, g, request
from werkzeug.wsgi import ClosingIterator

access_log = logging.getLogger("dealgraph.access")

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def timing(name: str, seconds: float, description: str | None = None) -> None:
    """Record a phase of this request (and what it ran on) for the ``Server-Timing`` header."""
    g.setdefault("timings", []).append((name, seconds, description))


def cross_origin_read(view: Callable) -> Callable:
    """Mark a view whose POST only reads (a SPARQL query), so CORS allows it."""
    view.cross_origin_read = True
    return view


class AccessLog:
    """WSGI middleware writing ``METHOD path status ms`` once the response is sent.

    The app is called at once, not when its body is first read: granian takes the
    status and headers as soon as the app returns.
    """

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["-"]

        def recording_start_response(code: str, headers, exc_info=None):
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        def sent() -> None:
            path = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"][:200]
            ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %.1f ms", environ.get("REQUEST_METHOD"), path, status[0], ms)

        return ClosingIterator(self.app(environ, recording_start_response), sent)


@lru_cache(maxsize=16)
def _origins(setting: str) -> frozenset[str]:
    return frozenset(setting.replace(",", " ").split())


def _allowed_origin(origins: str) -> str | None:
    allowed = _origins(origins)
    if "*" in allowed:
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin in allowed else None


def _is_read() -> bool:
    if request.method in _READ_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "POST" and getattr(view, "cross_origin_read", False)


def _add_headers(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        phases = [*g.get("timings", []), ("total", time.perf_counter() - started, None)]
        response.headers["Server-Timing"] = ", ".join(
            f"{name};dur={seconds * 1000:.1f}" + (f';desc="{what}"' if what else "") for name, seconds, what in phases
        )
    settings = current_app.config["DEALGRAPH_SETTINGS"]
    origin = _allowed_origin(settings.cors_origins) if settings.cors_origins else None
    if origin and _is_read():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Server-Timing, Content-Disposition"
        response.headers["Timing-Allow-Origin"] = origin
        if origin != "*":
            response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Accept, Content-Type"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    """Install the access log, the timing header and CORS on *app*."""
    app.before_request(lambda: setattr(g, "started", time.perf_counter()))
    app.after_request(_add_headers)
    app.wsgi_app = AccessLog(app.wsgi_app)
