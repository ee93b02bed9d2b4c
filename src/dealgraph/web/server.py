"""``dealgraph serve``: the web app on waitress, with a graceful shutdown.

On SIGTERM or SIGINT the server stops accepting connections, lets the requests in
flight finish (up to ``Settings.shutdown_timeout`` seconds), then stops its threads
and query workers and exits with status 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path

import click
from waitress import wasyncore
from waitress.server import create_server

from ..config import Settings
from ..load import LoadError
from ..pipeline import build, log_to_stderr
from ..reason import InconsistencyError
from ..remote_store import RemoteStoreError, parse_store_option
from ..validate import ValidationError
from . import create_app
from .workers import start_workers

log = logging.getLogger("dealgraph.web")


def _configure_logging() -> None:
    """Logs (the access log included) go to standard error, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("dealgraph", "waitress"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _busy(server) -> bool:
    return any(channel.requests or channel.total_outbufs_len for channel in list(server.active_channels.values()))


def run(app, settings: Settings) -> None:
    """Serve *app* with waitress until SIGTERM/SIGINT, then shut down gracefully."""
    server = create_server(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        ident="dealgraph",
        clear_untrusted_proxy_headers=True,
        # Far larger bodies are refused by waitress before it reads them; the app's own limit
        # (Settings.max_body_bytes, :mod:`.limits`) answers those just over it in the usual error shape.
        max_request_body_size=settings.max_body_bytes + 1024 * 1024,
    )
    stopping: list[int] = []

    def request_stop(signum, frame):
        stopping.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("serving on http://%s:%s/ (SPARQL endpoint at /sparql)", server.effective_host, server.effective_port)
    try:
        while not stopping:
            wasyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)
        log.info("received %s: finishing the requests in flight", signal.Signals(stopping[0]).name)
        server.accepting = False
        server.del_channel()
        server.socket.close()
        deadline = time.monotonic() + settings.shutdown_timeout
        while _busy(server) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.1, map=server._map, use_poll=True, count=1)
    finally:
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=settings.shutdown_timeout)
        wasyncore.close_all(server._map)
        app.extensions["dealgraph"].pool.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1, or DEALGRAPH_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8000, or DEALGRAPH_PORT).")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="An RDF file or folder to serve instead of the shipped ontology and data (repeatable).",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the dataset on disk in this folder (reused when it already holds one).",
)
@click.option("--query-timeout", type=float, default=None, help="Seconds a query may run (default 30).")
@click.option(
    "--store-url",
    default=None,
    help="Use a remote SPARQL 1.1 store: its query endpoint (sparql+http://host/query also names "
    "host/update as its update endpoint).",
)
@click.option("--update-url", default=None, help="The remote store's SPARQL 1.1 update endpoint (to load, reason).")
def serve(
    host: str | None,
    port: int | None,
    data: tuple[Path, ...],
    store: Path | None,
    query_timeout: float | None,
    store_url: str | None,
    update_url: str | None,
) -> None:
    """Serve the dataset over the SPARQL 1.1 Protocol (with inferences)."""
    _configure_logging()
    if store_url is not None and store_url.startswith("sparql+"):
        store_url, implied = parse_store_option(store_url)
        update_url = update_url or implied
    settings = Settings.from_env(
        host=host,
        port=port,
        data=data or None,
        store=store,
        query_timeout=query_timeout,
        store_url=store_url,
        update_url=update_url,
    )
    workers = start_workers(settings.query_workers, settings.allowed_services)  # they start while we build
    try:
        built = build(settings, progress=log_to_stderr)
    except (LoadError, ValidationError, InconsistencyError, RemoteStoreError) as error:
        for worker in workers:
            worker.kill()
        raise click.ClickException(str(error)) from None
    app = create_app(settings, built.store, workers)
    run(app, settings)
