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
from ..validate import ValidationError
from . import create_app

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
def serve(
    host: str | None, port: int | None, data: tuple[Path, ...], store: Path | None, query_timeout: float | None
) -> None:
    """Serve the dataset over the SPARQL 1.1 Protocol (with inferences)."""
    _configure_logging()
    settings = Settings.from_env(host=host, port=port, data=data or None, store=store, query_timeout=query_timeout)
    try:
        built = build(settings, progress=log_to_stderr)
    except (LoadError, ValidationError, InconsistencyError) as error:
        raise click.ClickException(str(error)) from None
    app = create_app(settings, built.store)
    run(app, settings)
