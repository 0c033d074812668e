"""`partnermatch serve --workers N`: N worker processes on one port, each listening on a socket
of its own (SO_REUSEPORT), and a parent that starts them, restarts one that dies and stops
them all on SIGTERM or SIGINT.

Why not one socket shared by all (uvicorn's `--workers`, still there as `--shared-socket`): a
worker keeps every connection it accepts, and a burst of new connections went mostly to the
worker that woke first. Keep-alive clients ended up split 33/4 between two workers, and p99
followed the busy one. With a socket per worker the kernel hands each new connection to one
of them by a hash of its addresses: an even spread over many connections, though blind to load
(a few connections can still land on one worker).
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5  # how often the parent looks for a worker that died, and a worker for it
STOP_SECONDS = 30  # a worker still running this long after SIGTERM is killed
LOG_LEVEL = "info"
BACKLOG = 2048  # uvicorn's default


def serve_workers(host: str, port: int, workers: int) -> None:
    """Run `workers` worker processes until SIGTERM or SIGINT; exit 1 if one cannot start.

    OSError when the port is taken. The sockets are bound and listening here, right after the
    check, so that another server's check fails from then on; connections made before a
    worker is ready wait in its socket's queue, and a worker that dies leaves its socket (and
    the connections waiting there) to the worker started in its place."""
    sockets = _listening_sockets(host, port, workers)
    logging.config.dictConfig(LOGGING_CONFIG)  # the parent logs as its workers do
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as uvicorn's workers

    def start(index: int) -> BaseProcess:
        process = context.Process(
            target=_worker, args=(sockets[index], os.getpid()), name="partnermatch-worker"
        )
        process.start()
        return process

    processes = [start(index) for index in range(workers)]
    logger.info("started %s workers %s", workers, [process.pid for process in processes])
    failed = False
    while not stopping.wait(CHECK_SECONDS):
        for index, process in enumerate(processes):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:  # the next one would fail the same way
                logger.error("worker [%s] failed to start; stopping", process.pid)
                failed = True
                stopping.set()
                break
            logger.warning(
                "worker [%s] died (exit %s); starting another", process.pid, process.exitcode
            )
            processes[index] = start(index)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
    if failed:
        sys.exit(1)


def check_port_free(host: str, port: int) -> None:
    """OSError, as a plain bind raises, when something already listens on the port: the
    workers' SO_REUSEPORT sockets would otherwise share it with another server of the same
    user."""
    with socket.socket(_family(host)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((host, port))


def _listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    check_port_free(host, port)
    sockets = []
    for _ in range(count):
        listening = socket.socket(_family(host))
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listening.bind((host, port))
        listening.listen(BACKLOG)
        sockets.append(listening)
    return sockets


def _worker(listening: socket.socket, parent: int) -> None:
    threading.Thread(target=_stop_when_orphaned, args=(parent,), daemon=True).start()
    host, port = listening.getsockname()[:2]
    config = uvicorn.Config(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=LOG_LEVEL,
        backlog=BACKLOG,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[listening])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _stop_when_orphaned(parent: int) -> None:
    """A worker whose parent was killed (no SIGTERM for its workers) shuts down as on SIGTERM,
    rather than serving on, unsupervised, from a port a restarted server cannot take back."""
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
