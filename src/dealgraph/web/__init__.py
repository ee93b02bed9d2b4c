"""The web application: an app factory and one blueprint per area.

``create_app(settings, store)`` wires the served dataset (the store and its query
worker pool, :mod:`.workers`) into a Flask app with the blueprints ``sparql``
(protocol, service description, dump), ``health``, ``home`` and ``errors``, plus
the access log, ``Server-Timing`` and CORS (:mod:`.operations`). Serve it with
:func:`dealgraph.web.server.run` (granian), never Flask's development server.

The factory imports the app's modules itself: a query worker process
(:mod:`.workers`) imports this package too, and needs none of Flask, the pages or
matplotlib (importing them made its start take 1.1 s instead of 0.4 s).
"""

from __future__ import annotations

from functools import partial
from multiprocessing.util import Finalize
from typing import TYPE_CHECKING

from ..config import Settings

if TYPE_CHECKING:
    from flask import Flask

    from ..store import OxigraphStore

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None, store: OxigraphStore | None = None, workers: list | None = None
) -> Flask:
    """A Flask app serving *store* (built from *settings* when not given).

    Starting the app starts its query workers, or uses *workers* started earlier
    (:func:`.workers.start_workers`); ``app.extensions["dealgraph"].pool.close()`` stops
    them (done at exit in any case).
    """
    from flask import Flask

    from ..persistence import WRITE_LOG
    from ..pipeline import build
    from ..writes import Writer
    from . import (  # the front end (issue 6)
        entities,
        errors,
        health,
        home,
        limits,
        ontology_docs,
        operations,
        pictures,
        reconcile,
        replay,
        saved_queries,
        sparql,
        writes,
    )
    from .dataset import ServedDataset
    from .workers import QueryPool

    settings = settings or Settings.from_env()
    if store is None:
        store = build(settings).store
    pool = QueryPool(
        store,
        size=settings.query_workers,
        memory_replica_quads=settings.memory_replica_quads,
        started=workers,
        answer_cache_bytes=settings.answer_cache_bytes,
    )
    # At exit, in granian's worker too: a process started by ``multiprocessing`` skips ``atexit``.
    Finalize(None, pool.close, exitpriority=10)
    app = Flask(__name__)
    app.config["DEALGRAPH_SETTINGS"] = settings
    app.json.sort_keys = False
    write_log = settings.store / WRITE_LOG if settings.store is not None else None
    writer = Writer(store, settings.shapes, write_log, lock_timeout=settings.query_timeout)
    app.extensions["dealgraph"] = ServedDataset(settings, store, pool, writer=writer)
    for blueprint in (errors.bp, sparql.bp, health.bp, home.bp, saved_queries.bp, reconcile.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(entities.bp)
    app.register_blueprint(ontology_docs.bp)
    app.register_blueprint(pictures.bp)
    app.register_blueprint(writes.bp)
    responses = replay.ResponseCache(
        app.wsgi_app, lambda: store.version, partial(limits.over_rate_limit, app), pool.answers.max_bytes
    )
    app.wsgi_app = app.extensions["dealgraph_responses"] = responses
    operations.init_app(app)
    home.init_app(app)
    limits.init_app(app, settings)
    return app
