"""Fair use and size limits: what keeps one client from taking the endpoint down.

* **Request body**: at most ``Settings.max_body_bytes`` (Flask's ``MAX_CONTENT_LENGTH``,
  a 413 in the usual error shape), answered from the declared length before the body is
  read; a body sent without a length is refused as soon as it passes the limit.
* **Rate limit**: a token bucket per client address, ``Settings.rate_limit`` requests
  per second on average with bursts of ``Settings.rate_burst``; a client over it gets
  429 with ``Retry-After``. Loopback clients are exempt unless
  ``Settings.rate_limit_loopback`` (a local load test is not abuse), and so is
  ``/health``, for monitors. Behind a reverse proxy every client has the proxy's
  address: limit there instead.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Settings
from .errors import ApiError, error_response

#: Clients remembered at most; the fullest buckets (idle clients) are forgotten first.
_MAX_CLIENTS = 10_000


class TokenBucket:
    """Per-client token buckets: *rate* tokens a second, at most *burst* saved up."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, max(burst, 1)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when *client* may go ahead (one token taken), else seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                self._forget_idle()
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_idle(self) -> None:
        if len(self._buckets) > _MAX_CLIENTS:
            oldest = sorted(self._buckets, key=lambda c: self._buckets[c][1])[: _MAX_CLIENTS // 10]
            for client in oldest:
                del self._buckets[client]


@lru_cache(maxsize=1024)
def _is_loopback(address: str | None) -> bool:
    """Cached: parsing the address is a tenth of the rate limit's time per request."""
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class _CappedBody:
    """A request body sent without a length (chunked), refused with a 413 once it passes *limit* bytes.

    werkzeug reads such a body up to ``MAX_CONTENT_LENGTH`` and then stops without a word:
    a query, an update or a graph would be taken cut short. Past the limit, one more byte
    tells a longer body from one of exactly that size.
    """

    def __init__(self, stream, limit: int):
        self._stream, self._limit, self._read = stream, limit, 0

    def _counted(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit or (self._read == self._limit and self._stream.read(1)):
            raise RequestEntityTooLarge()
        return data

    def _room(self, size: int | None) -> int:
        room = self._limit - self._read + 1  # never more than one byte past the limit
        return room if size is None or size < 0 else min(size, room)

    def read(self, size: int | None = -1) -> bytes:
        return self._counted(self._stream.read(self._room(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self._stream.readline(self._room(size)))

    def __iter__(self):
        return iter(self.readline, b"")


def _cap_unsized_bodies(wsgi_app: Callable, limit: int) -> Callable:
    def capped(environ: dict, start_response: Callable):
        if not environ.get("CONTENT_LENGTH") and "wsgi.input" in environ:
            environ["wsgi.input"] = _CappedBody(environ["wsgi.input"], limit)
        return wsgi_app(environ, start_response)

    return capped


def init_app(app: Flask, settings: Settings) -> None:
    """Install the body limit and, when configured, the per-client rate limit on *app*."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.wsgi_app = _cap_unsized_bodies(app.wsgi_app, settings.max_body_bytes)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error):
        return error_response(
            ApiError(
                413,
                "Content Too Large",
                f"the request body is larger than this endpoint's limit of {settings.max_body_bytes} bytes",
                limit=settings.max_body_bytes,
            )
        )

    if settings.rate_limit <= 0:
        return
    limit = RateLimit(settings)
    app.extensions["dealgraph_rate_limit"] = limit

    @app.before_request
    def _rate_limit():
        wait = limit.wait(request.remote_addr or "unknown", request.path)
        if wait:
            raise ApiError(
                429,
                "Too Many Requests",
                f"this client made more than {settings.rate_limit:g} requests a second "
                f"(bursts of {settings.rate_burst}); try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return None


class RateLimit:
    """The rate limit of :data:`Settings.rate_limit`, for the app and for what answers before it (:mod:`.replay`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.buckets = TokenBucket(settings.rate_limit, settings.rate_burst)

    def wait(self, client: str, path: str) -> float:
        """0 when *client* may go ahead with a request to *path* (a token taken), else seconds until it may."""
        if path == "/health" or (_is_loopback(client) and not self.settings.rate_limit_loopback):
            return 0.0
        return self.buckets.take(client)


def over_rate_limit(app: Flask, environ: dict) -> bool:
    """Whether the client of the WSGI request *environ* is over *app*'s rate limit (taking a token if not)."""
    limit = app.extensions.get("dealgraph_rate_limit")
    return bool(limit and limit.wait(environ.get("REMOTE_ADDR") or "unknown", environ.get("PATH_INFO", "")))


def utf8_body(what: str) -> str:
    """The request body as text, for a body that must be UTF-8 (a query, an update).

    Another declared charset is a 415 and undecodable bytes a 400, each naming *what*.
    """
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "Unsupported Media Type", f"{what} must be sent as UTF-8, not {charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "Bad Request", f"{what} is not valid UTF-8: {error}") from None
