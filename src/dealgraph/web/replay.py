"""The response cache: a query asked again, byte for byte, is answered before Flask sees it.

With the answer cache (:mod:`.workers`), a repeated query costs no worker and no
evaluation; what is left is Flask's own work per request, which on small graphs is
most of it. Measured on the seed, 8 connections (wrk), 2 cores: about 1,700 requests
a second answered from the answer cache through Flask; 12,808 from this cache; 10,304
from Oxigraph server (``bench/RESULTS.md``). So once the app has answered a request
from the answer cache, this WSGI middleware keeps the response (status, headers, body)
and gives it again to the same request while the dataset's version is unchanged.

* **The same request**: the method, host, scheme, path, query string, Content-Type and
  body, and the headers an answer varies with (``Accept``, ``Accept-Language``,
  ``Origin``). Bodies over :data:`MAX_BODY` bytes, or without a length, go to the app
  as they are.
* **Kept**: only 200 responses made from answers that all came from the answer cache
  (:func:`note_answer`), without a write meanwhile; up to
  ``Settings.answer_cache_bytes``, the least recently used given up first.
* **Given again**: with ``Server-Timing`` saying so (``desc="cache"``), and within the
  rate limit: a client over it goes to the app, which answers 429.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable

from flask import request

from .cache import VersionedCache

#: The largest request body read for the key: a POSTed query is rarely larger.
MAX_BODY = 64 << 10

#: What a response may depend on besides the body, from the WSGI environment.
_KEY_FIELDS = (
    "REQUEST_METHOD",
    "HTTP_HOST",
    "wsgi.url_scheme",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ORIGIN",
)
_MARK = "dealgraph.answers_from_cache"


def note_answer(from_cache: bool) -> None:
    """Note for this request an answer it used: its response is kept only if every one came from the answer cache.

    An answer that did not may depend on more than the data (``NOW()``: see :mod:`.workers`).
    """
    request.environ[_MARK] = request.environ.get(_MARK, True) and from_cache


def answered_from_cache(environ: dict) -> bool:
    """Whether the request *environ* used answers, and all from the answer cache (see :func:`note_answer`)."""
    return bool(environ.get(_MARK))


class ResponseCache:
    """WSGI middleware answering a request repeated byte for byte with the response the app gave it."""

    def __init__(
        self,
        wsgi_app: Callable,
        version: Callable[[], int],
        over_rate_limit: Callable[[dict], bool],
        max_bytes: int,
    ):
        """*version*: the dataset's current version; *over_rate_limit*: whether a request's client is over it."""
        self.wsgi_app = wsgi_app
        self.version = version
        self.over_rate_limit = over_rate_limit
        self.responses = VersionedCache(max_bytes)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        key = self._key(environ) if self.responses.max_bytes > 0 else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        version = self.version()
        kept = self.responses.get(version, key)
        if kept is not None and not self.over_rate_limit(environ):
            status, headers, body = kept
            total = (time.perf_counter() - started) * 1000
            start_response(status, [*headers, ("Server-Timing", f'query;dur=0.0;desc="cache", total;dur={total:.1f}')])
            return [body]
        return self._answer_and_keep(environ, start_response, key, version)

    def _answer_and_keep(self, environ: dict, start_response: Callable, key: tuple, version: int) -> Iterable[bytes]:
        """The app's response, kept when it is one to give again (read whole for that)."""
        sent: list = []

        def recording_start_response(status: str, headers: list, exc_info=None):
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, recording_start_response)
        if not answered_from_cache(environ) or not sent or not sent[0].startswith("200 ") or self.version() != version:
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        headers = [(name, value) for name, value in sent[1] if name.lower() != "server-timing"]
        size = len(body) + sum(len(part) for part in key if isinstance(part, (str, bytes)))
        self.responses.put(version, key, (sent[0], headers, body), size)
        return [body]

    @staticmethod
    def _key(environ: dict) -> tuple | None:
        """The request's key, its body read (and put back for the app); None for a request not to keep."""
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return (*(environ.get(field) for field in _KEY_FIELDS), b"")
        if method != "POST":
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # a short body stays short: the app answers 400
        return (*(environ.get(field) for field in _KEY_FIELDS), body)
