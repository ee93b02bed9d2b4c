"""The editor's assets over HTTP: compressed once by ``npm run build``, sent as the client asks.

Each vendor file has a ``.gz`` and a ``.br`` beside it; the server picks one from
``Accept-Encoding`` (quality values included), answers conditional requests with 304
and lets browsers keep the files, whose URLs carry a fingerprint of their content.
Skipped when the assets are not built (``.ci/run`` builds them first). Brotli is
decoded with Node's zlib, Python's standard library having no brotli.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess

import pytest
import requests

from dealgraph.web.home import VENDOR

FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
SUFFIXES = {"gzip": ".gz", "br": ".br"}
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def built() -> None:
    if not all((VENDOR / (name + suffix)).is_file() for name in FILES for suffix in ("", *SUFFIXES.values())):
        pytest.skip(f"the editor's assets, with their .gz and .br, are not built in {VENDOR} (npm ci && npm run build)")


def url(endpoint, name: str) -> str:
    return f"{endpoint.url}/static/vendor/{VENDOR.name}/{name}"


def fetch(endpoint, name: str, accept_encoding: str | None, **headers: str) -> tuple[requests.Response, bytes]:
    """The response and its body as sent (not decoded); ``None`` sends no ``Accept-Encoding``."""
    response = requests.get(
        url(endpoint, name), headers={"Accept-Encoding": accept_encoding, **headers}, stream=True, timeout=30
    )
    return response, response.raw.read(decode_content=False)


def decoded(body: bytes, coding: str | None) -> bytes:
    if coding is None:
        return body
    if coding == "gzip":
        return gzip.decompress(body)
    node = shutil.which("node")
    if node is None:
        pytest.skip("decoding brotli needs Node's zlib (node is not on PATH)")
    script = "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    return subprocess.run([node, "-e", script], input=body, capture_output=True, check=True).stdout


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize(("accept_encoding", "coding"), [("br", "br"), ("gzip", "gzip"), (None, None)])
def test_each_coding_sends_the_file_compressed_at_build_time(built, endpoint, name, accept_encoding, coding):
    response, body = fetch(endpoint, name, accept_encoding)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == coding
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Type"].startswith(FILES[name])
    assert int(response.headers["Content-Length"]) == len(body)
    assert body == (VENDOR / (name + SUFFIXES.get(coding, ""))).read_bytes()
    assert decoded(body, coding) == (VENDOR / name).read_bytes()


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what Chromium sends: equal qualities, the smaller file
        ("*", "br"),
        ("gzip;q=0, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip, br;q=0.5", "gzip"),
        ("GZIP; q=0.8, identity;q=0.5", "gzip"),
        ("br;q=0.2, identity;q=0.5", None),
        ("br;q=0, gzip;q=0", None),
        ("gzip;q=0.0, br;q=0", None),
        ("*;q=0", None),
        ("identity", None),
        ("deflate, compress", None),
        ("", None),
    ],
)
def test_quality_values_choose_the_coding(built, endpoint, accept_encoding, coding):
    response, body = fetch(endpoint, "yasgui.min.css", accept_encoding)
    assert response.headers.get("Content-Encoding") == coding
    assert response.headers["Vary"] == "Accept-Encoding"
    assert decoded(body, coding) == (VENDOR / "yasgui.min.css").read_bytes()


@pytest.mark.parametrize("accept_encoding", ["br", "gzip", None])
def test_a_conditional_request_is_answered_304(built, endpoint, accept_encoding):
    first, _ = fetch(endpoint, "yasgui.min.js", accept_encoding)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    for condition in ({"If-None-Match": first.headers["ETag"]}, {"If-Modified-Since": first.headers["Last-Modified"]}):
        again, body = fetch(endpoint, "yasgui.min.js", accept_encoding, **condition)
        assert again.status_code == 304, condition
        assert body == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Vary"] == "Accept-Encoding"
    changed, _ = fetch(endpoint, "yasgui.min.js", accept_encoding, **{"If-None-Match": '"another"'})
    assert changed.status_code == 200


def test_the_page_links_urls_with_the_content_fingerprint_that_browsers_keep(built, endpoint):
    page = requests.get(endpoint.url + "/", timeout=30).text
    for name in FILES:
        linked = re.search(rf'"(/static/vendor/{VENDOR.name}/{re.escape(name)})\?v=([0-9a-f]+)"', page)
        assert linked, f"{name} is not linked with a fingerprint"
        content = (VENDOR / name).read_bytes()
        assert hashlib.sha256(content).hexdigest().startswith(linked[2])
        response = requests.get(endpoint.url + linked[0].strip('"'), timeout=30)
        assert response.status_code == 200 and response.content == content
        cache_control = response.headers["Cache-Control"]
        assert int(re.search(r"max-age=(\d+)", cache_control)[1]) >= ONE_YEAR
        assert "immutable" in cache_control and "public" in cache_control
