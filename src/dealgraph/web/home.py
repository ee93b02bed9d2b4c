"""``GET /``: the home page — query editor, saved queries by theme, the dataset, pictures.

The editor is YASGUI (``@zazuko/yasgui`` from npm), served from this package's
``static/vendor/yasgui/`` where ``npm run build`` copies it before the package is
built; nothing is fetched from another host: the endpoint catalogue lists only
this endpoint, prefix completion reads ``/prefixes.json`` (dealgraph's prefixes)
and the autocompleters that would ask LOV are left out. ``/#query=…`` opens a
query in a new editor tab (YASGUI reads it from the URL). Without the built
assets the page says how to get the editor and offers a plain form instead.

The build also writes each file gzipped and brotli-compressed beside it
(``yasgui.min.js.gz``, ``.br``); WhiteNoise, put in front of the app by
:func:`init_app`, sends the variant the request's ``Accept-Encoding`` prefers
(with ``Vary``, ``ETag``, ``Last-Modified`` and 304s). The page links the files with
a fingerprint of their content (``?v=…``), so browsers keep them for good. WhiteNoise
lists the files when the app starts: assets rebuilt later are served after a restart.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.http import parse_accept_header
from whitenoise import WhiteNoise

from ..vocab import DERIVED_GRAPHS, PREFIXES, sparql_prologue
from . import facts
from .dataset import served
from .i18n import language, pick_literal, words
from .lookup import select
from .pictures import alt_text
from .saved_queries import queries

bp = Blueprint("home", __name__, template_folder="templates")

#: Where ``npm run build`` puts YASGUI (git-ignored; packed into the wheel as an artifact).
VENDOR = Path(__file__).parent / "static" / "vendor" / "yasgui"

#: The content codings ``npm run build`` writes beside each vendor file, smallest first.
CODINGS = ("br", "gzip")

#: The query the editor opens with (the README's first question).
EXAMPLE_QUERY = """SELECT ?target ?date ?amount ?currency ?outcome WHERE {
  ?deal dg:acquirer <https://w3id.org/dealgraph/id/org/france-telecom> ;
        dg:target ?t ; dg:outcome ?outcome .
  ?t rdfs:label ?target FILTER(LANG(?target) = "")
  OPTIONAL { ?deal dg:date ?date }
  OPTIONAL { ?deal dg:price [ schema:value ?amount ; schema:currency ?currency ] }
}
ORDER BY ?date
"""


def editor_installed() -> bool:
    """Whether the YASGUI assets were built into this installation."""
    return (VENDOR / "yasgui.min.js").is_file() and (VENDOR / "yasgui.min.css").is_file()


def preferred_coding(accept_encoding: str) -> str:
    """The coding to send, "br", "gzip" or "" (identity), as RFC 9110 §12.5.3 reads ``Accept-Encoding``.

    A quality of 0 refuses a coding, ``*`` stands for the codings not named, the highest
    quality wins and the smaller file breaks a tie. Identity loses to a compressed
    coding of the same quality; it counts only when named (or ``*`` is), and is what
    is left when the client accepts neither coding or sends no header.
    """
    qualities = {coding.lower(): quality for coding, quality in parse_accept_header(accept_encoding)}
    anything = qualities.get("*")
    best = max(CODINGS, key=lambda coding: qualities.get(coding, anything or 0))
    quality = qualities.get(best, anything or 0)
    identity = qualities.get("identity", anything)
    return best if quality > 0 and (identity is None or quality >= identity) else ""


class _PreCompressedFiles(WhiteNoise):
    """WhiteNoise, told which coding to send: it only looks for the codings' names in
    ``Accept-Encoding``, so it reads ``gzip;q=0`` as a yes (evansd/whitenoise#352)."""

    @staticmethod
    def serve(static_file, environ, start_response):
        chosen = preferred_coding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        return WhiteNoise.serve(static_file, {**environ, "HTTP_ACCEPT_ENCODING": chosen}, start_response)


def init_app(app: Flask) -> None:
    """Put WhiteNoise in front of the app for the built vendor files (Flask serves the other static files)."""
    if not VENDOR.is_dir():
        return
    prefix = f"{app.static_url_path}/{VENDOR.relative_to(app.static_folder).as_posix()}/"
    app.wsgi_app = _PreCompressedFiles(
        app.wsgi_app, root=VENDOR, prefix=prefix, immutable_file_test=lambda path, url: True
    )


@cache
def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@bp.app_url_defaults
def _fingerprint_vendor_urls(endpoint: str, values: dict) -> None:
    """Add ``?v=<fingerprint of the content>`` to a vendor file's URL: a new build is a new URL."""
    if endpoint != "static":
        return
    path = Path(current_app.static_folder, values.get("filename", ""))
    if path.parent == VENDOR and path.is_file():
        values.setdefault("v", _fingerprint(path))


def _themes() -> list[tuple[str, list]]:
    """Saved queries grouped by their first tag (their theme), themes in alphabetical order."""
    grouped: dict[str, list] = defaultdict(list)
    for query in queries().values():
        grouped[query.tags[0] if query.tags else "other"].append(query)
    return sorted(grouped.items())


def _sources(lang: str) -> list[dict]:
    rows = select(
        """SELECT ?doc ?title ?url ?date ?publisher WHERE {
          ?doc a ?type . VALUES ?type { schema:NewsArticle schema:WebPage schema:CreativeWork schema:Dataset }
          FILTER(STRSTARTS(STR(?doc), STR(id:)))
          OPTIONAL { ?doc schema:headline|schema:name|rdfs:label ?title }
          OPTIONAL { ?doc schema:url ?url } OPTIONAL { ?doc schema:datePublished ?date }
          OPTIONAL { ?doc schema:publisher ?p . ?p rdfs:label|schema:name ?publisher }
        }"""
    )
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(str(row["doc"]), {"titles": [], "publishers": [], "url": None, "date": None})
        entry["titles"].append(row.get("title"))
        entry["publishers"].append(row.get("publisher"))
        entry["url"] = entry["url"] or (str(row["url"]) if "url" in row else None)
        entry["date"] = entry["date"] or (str(row["date"]) if "date" in row else None)
    sources = [
        {
            "link": facts.Link(iri, pick_literal([t for t in e["titles"] if t is not None], lang) or facts.short(iri)),
            "publisher": pick_literal([p for p in e["publishers"] if p is not None], lang),
            "url": e["url"],
            "date": e["date"],
        }
        for iri, e in found.items()
    ]
    return sorted(sources, key=lambda s: (s["date"] or "9999", s["link"].label))


def _organizations(lang: str) -> list[facts.Link]:
    rows = select("SELECT DISTINCT ?o WHERE { ?o a dg:Organization FILTER(STRSTARTS(STR(?o), STR(id:))) }")
    names = facts.labels({r["o"] for r in rows}, lang)
    return sorted((facts.link(r["o"], names) for r in rows), key=lambda x: x.label.casefold())


@bp.route("/")
def home() -> Response:
    lang = language()
    counts = served().graph_counts()
    derived = {str(g) for g in DERIVED_GRAPHS}
    graphs = [(g, facts.local_name(g), n, g in derived) for g, n in counts.items() if g]
    body = render_template(
        "pages/home.html",
        t=words(lang),
        lang=lang,
        title="dealgraph",
        editor=editor_installed(),
        editor_config={
            "endpoint": request.url_root + "sparql",
            "prefixes": request.url_root + "prefixes.json",
            "prefixMap": PREFIXES,
            "query": sparql_prologue() + "\n" + EXAMPLE_QUERY,
        },
        example=sparql_prologue() + "\n" + EXAMPLE_QUERY,
        themes=_themes(),
        graphs=graphs,
        total=sum(counts.values()),
        sources=_sources(lang),
        organizations=_organizations(lang),
        timeline_alt=alt_text("timeline", None, lang),
        ownership_alt=alt_text("ownership", None, lang),
    )
    response = Response(body, 200, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/prefixes.json")
def prefixes() -> Response:
    """dealgraph's prefixes, in the shape prefix.cc gives (``{"dg": "https://…#"}``), for the editor."""
    response = jsonify(PREFIXES)
    response.headers["Cache-Control"] = "no-cache"
    return response
