"""Test servers: a real single-node OpenSearch per test run and a cuttable TCP proxy.

The proxy is a network partition between the service and a cluster that stays up: `cut()`
refuses and drops every connection, `restore()` serves again. A node that really stops and
restarts is `indexing.opensearch.node.OpenSearchNode` (tests/indexing/opensearch/test_faults.py).
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

URL_ENV = "PARTNERMATCH_OPENSEARCH_URL"


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
