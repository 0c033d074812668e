"""Test servers: the osmem-server OpenSearch-compatible process and a cuttable TCP proxy.

The proxy stands in for a cluster that goes away and comes back with its data (as a real
cluster restart does): `cut()` refuses and drops every connection, `restore()` serves again.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from osmem_server import resolve_binary

URL_ENV = "PARTNERMATCH_OPENSEARCH_URL"


@contextmanager
def osmem_process(*, timeout_s: float = 30.0) -> Iterator[str]:
    """Start osmem-server on a free 127.0.0.1 port; yields its URL; always stops it."""
    process = subprocess.Popen(
        [resolve_binary(), "--addr", "127.0.0.1:0", "--no-ja", "--parent-pid", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield _announced_url(process, timeout_s=timeout_s)
    finally:
        process.kill()
        process.wait(timeout=10)


def _announced_url(process: subprocess.Popen[str], *, timeout_s: float) -> str:
    """The server prints one JSON line with its URL once it listens."""
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("osmem-server exited during start")
        with suppress(ValueError):
            announced = json.loads(line)
            if isinstance(announced, dict) and "url" in announced:
                return str(announced["url"])
    raise RuntimeError(f"osmem-server did not start within {timeout_s} s")


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to an upstream host:port until cut."""

    def __init__(self, upstream_url: str) -> None:
        host_port = upstream_url.split("://", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open = threading.Event()
        self._open.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop the live ones (requests fail fast)."""
        self._open.clear()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
