"""``dealgraph serve``: the web app on granian, with a graceful shutdown.

granian (a Rust HTTP server, PyPI) parses requests and writes answers outside the GIL,
and runs the app on ``Settings.threads`` threads of one worker process. That process
builds the dataset and starts the query workers before it listens: until the dataset is
ready, connections are refused, as a readiness probe or an init system expects. The
process that started it only supervises it.

On SIGTERM, SIGINT or SIGHUP the server stops accepting connections, lets the requests
in flight finish (up to ``Settings.shutdown_timeout`` seconds), then stops its query
workers and exits with status 0.
"""

from __future__ import annotations

import ctypes
import logging
import logging.handlers
import math
import os
import queue
import signal
import sys
from functools import partial
from multiprocessing.util import Finalize
from pathlib import Path

import click
from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import MPServer

from ..config import Settings
from ..load import LoadError
from ..pipeline import build, log_to_stderr
from ..reason import InconsistencyError
from ..remote_store import RemoteStoreError, parse_store_option
from ..validate import ValidationError
from . import create_app
from .workers import start_workers

log = logging.getLogger("dealgraph.web")
#: prctl(2): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class _ThreadAdvice(logging.Filter):
    """Leaves out granian's advice against more app threads than two a core: ours mostly wait
    for a query worker.

    Measured on the seed, 2 cores, 8 clients, queries in the workers: 706 requests a second
    with 8 threads, 589 with 4.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning")


#: granian's own messages, in the same format and stream as dealgraph's, warnings and worse only.
_GRANIAN_LOGGING = {
    "filters": {"thread_advice": {"()": _ThreadAdvice}},
    "formatters": {"generic": {"()": "logging.Formatter", "fmt": _FORMAT}},
    "handlers": {
        "console": {
            "formatter": "generic",
            "filters": ["thread_advice"],
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {"_granian": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}


class _Unformatted(logging.handlers.QueueHandler):
    """Passes records to the writing thread as they are: formatting them is that thread's work."""

    def __init__(self, records: queue.SimpleQueue):
        super().__init__(records)
        #: The process whose thread writes: a forked process has this handler, not the thread.
        self.pid = os.getpid()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def _configure_logging() -> None:
    """dealgraph's logs (the access log included) go to standard error, one line each.

    A thread of its own formats and writes them, so that a request only hands over its
    record. Measured on the seed, 8 clients, answers from the cache: 1,400 requests a
    second when each request's thread wrote its line under the handler's lock, 1,650
    so, 2,000 with no access log at all.
    """
    logger = logging.getLogger("dealgraph")
    if any(getattr(handler, "pid", None) == os.getpid() for handler in logger.handlers):
        return
    logger.handlers.clear()  # those of the process this one was forked from
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter(_FORMAT))
    records: queue.SimpleQueue = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, writer)
    listener.start()
    Finalize(None, listener.stop, exitpriority=0)  # after the query workers' stop (10): its lines too
    logger.addHandler(_Unformatted(records))
    logger.setLevel(logging.INFO)
    logger.propagate = False


class _Server(MPServer):
    """granian's supervisor, saying when it stops, stopping on SIGHUP too, and naming an address it cannot use.

    granian would answer SIGHUP by starting a new worker beside the old one: a second
    build of the dataset, on the same on-disk store.
    """

    def signal_handler_interrupt(self, signum: int | None = None, frame=None) -> None:
        if signum is not None:
            log.info("received %s: finishing the requests in flight", signal.Signals(signum).name)
        super().signal_handler_interrupt()

    signal_handler_reload = signal_handler_interrupt

    def _init_shared_socket(self) -> None:
        try:
            super()._init_shared_socket()
        except RuntimeError as error:  # the address is taken, or not this machine's
            reason = str(error).splitlines()[0]  # not the Rust backtrace that RUST_BACKTRACE adds
            raise click.ClickException(f"cannot listen on {self.bind_addr}:{self.bind_port}: {reason}") from None


def _die_with(supervisor: int) -> None:
    """Have the kernel kill this process when *supervisor* dies, even by SIGKILL (Linux).

    Else a ``kill -9`` of ``dealgraph serve`` would leave its worker serving, holding the
    port and the on-disk store's lock, and a restart would fail on both.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != supervisor:  # it died before the request was made
        os._exit(1)


def load_app(settings: Settings, supervisor: int):
    """Build the dataset and the app, in granian's worker process, before it listens.

    A dataset that cannot be built ends the process with its message and status 1,
    which stops the server with status 1.
    """
    _die_with(supervisor)
    for stop in (signal.SIGTERM, signal.SIGINT):  # until granian handles them: stop at once, as before serving
        signal.signal(stop, signal.SIG_DFL)
    _configure_logging()
    workers = start_workers(settings.query_workers, settings.allowed_services)  # they start while we build
    try:
        built = build(settings, progress=log_to_stderr)
    except (LoadError, ValidationError, InconsistencyError, RemoteStoreError) as error:
        for worker in workers:
            worker.kill()
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    app = create_app(settings, built.store, workers)
    log.info("serving on http://%s:%s/ (SPARQL endpoint at /sparql)", settings.host, settings.port)
    return app


def run(settings: Settings) -> None:
    """Serve dealgraph with granian until SIGTERM/SIGINT/SIGHUP, then shut down gracefully."""
    # granian hands its process environment to the app with every request (CGI style):
    # the write token is in ``settings`` already, and stays out of it.
    os.environ.pop("DEALGRAPH_UPDATE_TOKEN", None)
    server = _Server(
        "dealgraph.web:create_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=1,
        # granian's backpressure counts connections, not requests: at its default (the backlog,
        # 1024) idle keep-alive clients cannot lock others out; requests wait for a thread.
        blocking_threads=settings.threads,
        workers_kill_timeout=math.ceil(settings.shutdown_timeout),
        log_level=LogLevels.warning,
        log_dictconfig=_GRANIAN_LOGGING,
    )
    server.serve(target_loader=partial(load_app, settings, os.getpid()), wrap_loader=False)
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
    run(settings)
