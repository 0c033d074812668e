"""The sync worker: ship the outbox in a loop, in a thread inside `serve` or as `partnermatch sync`.

While the cluster is down every round fails fast and the worker waits and tries again; the
writes meanwhile sit in the store's change log, which is what drains once the cluster is back.
"""

from __future__ import annotations

import logging
import threading

from opensearchpy.exceptions import TransportError

from indexing.opensearch.client import SearchUnavailable
from indexing.opensearch.sync import ChangeShipper

log = logging.getLogger(__name__)


class SyncWorker:
    """Runs `shipper` every `poll_s` seconds (at once again while a backlog remains)."""

    def __init__(self, shipper: ChangeShipper, *, poll_s: float, retry_s: float = 2.0) -> None:
        self._shipper = shipper
        self._poll_s = poll_s
        self._retry_s = retry_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="opensearch-sync", daemon=True)
        self._thread.start()

    def stop(self, *, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def run(self) -> None:
        """Loop until stop(): a full batch means more is waiting, so go again without sleeping."""
        while not self._stop.is_set():
            try:
                shipped = self._shipper.ship_round()
                self.last_error = None
            except (SearchUnavailable, TransportError) as error:
                self.last_error = str(error)
                log.warning("opensearch sync paused, retrying in %.1f s: %s", self._retry_s, error)
                self._stop.wait(self._retry_s)
                continue
            if shipped == 0:
                self._stop.wait(self._poll_s)
