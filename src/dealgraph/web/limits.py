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


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def init_app(app: Flask, settings: Settings) -> None:
    """Install the body limit and, when configured, the per-client rate limit on *app*."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes

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
    buckets = TokenBucket(settings.rate_limit, settings.rate_burst)

    @app.before_request
    def _rate_limit():
        client = request.remote_addr or "unknown"
        if request.path == "/health" or (_is_loopback(client) and not settings.rate_limit_loopback):
            return None
        wait = buckets.take(client)
        if wait:
            raise ApiError(
                429,
                "Too Many Requests",
                f"this client made more than {settings.rate_limit:g} requests a second "
                f"(bursts of {settings.rate_burst}); try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return None


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
