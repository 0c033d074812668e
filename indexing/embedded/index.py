"""EmbeddedIndex: the default, in-process PartnerIndex over the SQL store's change log.

Writers (catch-up, merge, rebuild) are serialised by one lock and publish a new immutable
`IndexState`; searches read the current state without locking. Writes land in the delta
segment at once; when the delta outgrows `merge_at` a background thread compacts main and
delta into a new main segment while searches and catch-ups go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine

from indexing.embedded import repository, snapshot, verification
from indexing.embedded.candidates import candidates
from indexing.embedded.repository import PartnerBatch
from indexing.embedded.search import search
from indexing.embedded.segment import Catalog, Segment
from indexing.embedded.state import IndexState
from indexing.embedded.sync import Position, pending
from indexing.protocol import Candidates, IndexStats, LeadQuery, SearchQuery, SearchResult
from profiles import changelog
from profiles.freshness import FreshnessPolicy

log = logging.getLogger(__name__)

# The delta is merged once it holds this many partners, or this share of the main segment.
MIN_MERGE_AT = 2_000
MERGE_SHARE = 0.02


class EmbeddedIndex:
    """Columnar in-memory index of every partner; see ARCHITECTURE.md "Embedded index"."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: FreshnessPolicy,
        snapshot_dir: Path | None = None,
        merge_at: int | None = None,
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._snapshot_dir = snapshot_dir
        self._merge_at = merge_at
        self._lock = threading.RLock()
        catalog = Catalog.empty()
        self._state = IndexState.of(_empty_segment(catalog), catalog=catalog)
        self._last_seq = 0
        self._divergence: str | None = None
        self._subscribers: list[Callable[[list[int]], None]] = []
        self._written_during_merge: set[int] | None = None
        self._merger: threading.Thread | None = None
        self._poller: _Poller | None = None
        self._saved_seq: int | None = None

    # --- lifecycle -------------------------------------------------------------------

    def open(self) -> None:
        """Load the snapshot (or rebuild from the store if it is absent, damaged, or not of
        this store), then catch up."""
        if not self._restore():
            self.rebuild()
            if self._snapshot_worth_saving():
                self.save_snapshot()
        self.catch_up()

    def start_polling(self, interval_seconds: float, *, check_seconds: float = 300) -> None:
        """Catch up from the change log every `interval_seconds`, and compare with the store
        every `check_seconds`, in a daemon thread."""
        if self._poller is None:
            self._poller = _Poller(self, interval_seconds, check_seconds)
            self._poller.start()

    def close(self) -> None:
        """Stop background work and leave a snapshot of the final state."""
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        merger = self._merger
        if merger is not None:
            merger.join()
        if self._snapshot_worth_saving() and self._saved_seq != self._last_seq:
            self.save_snapshot()

    # --- PartnerIndex ----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        return search(self._state, query, policy=self._policy)

    def candidates(self, query: LeadQuery) -> Candidates:
        return candidates(self._state, query, policy=self._policy)

    def stats(self) -> IndexStats:
        state = self._state
        return IndexStats(
            partners=state.partners,
            locations=state.locations,
            last_seq=self._last_seq,
            delta_size=len(state.delta),
        )

    def lag(self) -> int:
        with self._engine.connect() as connection:
            return changelog.count_after(connection, after=self._last_seq)

    def divergence(self) -> str | None:
        return self._divergence

    def subscribe(self, callback: Callable[[list[int]], None]) -> None:
        self._subscribers.append(callback)

    def catch_up(self, *, upto: int | None = None) -> int:
        """Apply change-log entries after the last applied one (up to seq `upto` if given);
        returns how many."""
        applied = 0
        with self._lock:
            while True:
                with self._engine.connect() as connection:
                    seqs, partner_ids = pending(connection, after=self._last_seq, upto=upto)
                    if not seqs:
                        break
                    self._reload(connection, partner_ids)
                self._last_seq = seqs[-1]
                applied += len(seqs)
            self._maybe_merge()
        return applied

    def verify(self) -> None:
        """Compare the index with the store range by range (partners and their versions) and
        reload the partners of any range that differs; `divergence()` then names what a
        reload could not fix. Skipped while writes keep arriving (checked again next time)."""
        with self._lock, self._engine.connect() as connection:
            for attempt in range(2):
                differing = self._differing(connection)
                if differing is None:
                    return
                if not differing or attempt:
                    break
                log.warning(
                    "index differs from the store for %d partners; reloading", len(differing)
                )
                self._reload(connection, differing)
            self._divergence = (
                f"differs from the store for {len(differing)} partner(s)" if differing else None
            )

    def _differing(self, connection: Connection) -> list[int] | None:
        """Ids whose presence or version differs between index and store, with the index
        caught up to exactly the store state read (None if the store kept changing)."""
        for _ in range(3):
            head = changelog.head(connection)
            self.catch_up(upto=head)
            store = verification.store_ranges(connection)
            if changelog.head(connection) == head:
                return verification.differing_partners(
                    connection, store=store, index=verification.index_rows(self._state)
                )
        return None

    def _reload(self, connection: Connection, partner_ids: list[int]) -> None:
        """Replace the given partners by their current rows in the store (absent: deleted)."""
        batches = list(repository.iter_partners(connection, partner_ids))
        written = [Segment.from_batch(b, catalog=self._state.catalog) for b in batches]
        touched = np.asarray(partner_ids, dtype=np.int64)
        self._state = self._state.apply(touched=touched, written=written)
        if self._written_during_merge is not None:
            self._written_during_merge.update(partner_ids)
        for callback in self._subscribers:
            callback(partner_ids)

    def rebuild(self) -> None:
        """Rebuild from the store; searches keep using the previous state meanwhile."""
        with self._lock, self._engine.connect() as connection:
            head = changelog.head(connection)
            catalog = Catalog.empty()
            parts = [
                Segment.from_batch(batch, catalog=catalog, weigh=False)
                for batch in prefetched(repository.iter_batches(connection))
            ]
            main = Segment.concat(parts or [_empty_segment(catalog)], catalog=catalog)
            catalog.text.fit(main.text.by_partner)
            main = main.with_text(catalog.text.weigh(main.text.by_partner))
            self._state = IndexState.of(main, catalog=catalog)
            self._last_seq = head
        log.info("embedded index rebuilt: %d partners, seq %d", len(main), head)

    # --- merging and snapshots -------------------------------------------------------

    def merge(self) -> None:
        """Compact the delta into a new main segment; the heavy part runs without the lock."""
        with self._lock:
            base = self._state
            self._written_during_merge = set()
        try:
            main = base.compacted()
            with self._lock:
                if self._state.main is not base.main:  # rebuilt meanwhile: drop this merge
                    return
                since = np.asarray(sorted(self._written_during_merge or ()), dtype=np.int64)
                self._state = self._state.merged_with(main, since=since)
        finally:
            with self._lock:
                self._written_during_merge = None
        if self._snapshot_dir is not None:
            self.save_snapshot()

    def _maybe_merge(self) -> None:
        state = self._state
        threshold = self._merge_at or max(MIN_MERGE_AT, int(MERGE_SHARE * len(state.main)))
        busy = self._merger is not None and self._merger.is_alive()
        if len(state.delta) >= threshold and not busy:
            self._merger = threading.Thread(target=self.merge, name="index-merge", daemon=True)
            self._merger.start()

    def _snapshot_worth_saving(self) -> bool:
        """A snapshot dir is configured and there is something to restore: an empty store is
        rebuilt as fast as a snapshot loads (and writing one costs ~60 ms, at every test's app
        start)."""
        return self._snapshot_dir is not None and (
            self._state.partners > 0 or self._saved_seq is not None
        )

    def save_snapshot(self) -> None:
        """Write the current state to `snapshot_dir` (consistent: copied under the lock)."""
        assert self._snapshot_dir is not None
        with self._lock, self._engine.connect() as connection:
            state = self._state
            current = snapshot.Snapshot(
                state=IndexState(state.catalog.copy(), state.main, state.main_alive, state.delta),
                position=Position.at(connection, self._last_seq),
            )
        snapshot.save(self._snapshot_dir, current)
        self._saved_seq = current.position.last_seq

    def _restore(self) -> bool:
        if self._snapshot_dir is None:
            return False
        try:
            loaded = snapshot.load(self._snapshot_dir)
        except snapshot.SnapshotDamaged as exc:
            log.warning("index snapshot in %s is damaged (%s); rebuilding", self._snapshot_dir, exc)
            return False
        if loaded is None:
            return False
        with self._engine.connect() as connection:
            problem = loaded.position.problem_with(connection)
        if problem is not None:
            log.warning(
                "index snapshot in %s is not usable: %s; rebuilding", self._snapshot_dir, problem
            )
            return False
        with self._lock:
            self._state = loaded.state
            self._last_seq = loaded.position.last_seq
            self._saved_seq = loaded.position.last_seq
        return True


def prefetched(batches: Iterator[PartnerBatch]) -> Iterator[PartnerBatch]:
    """Read the next batch in a thread while the caller encodes this one: the database
    driver releases the GIL while it reads, so loading and encoding overlap."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-load") as reader:
        pending = reader.submit(next, batches, None)
        while (batch := pending.result()) is not None:
            pending = reader.submit(next, batches, None)
            yield batch


def _empty_segment(catalog: Catalog) -> Segment:
    return Segment.from_batch(repository.empty_batch(), catalog=catalog, weigh=False)


class _Poller(threading.Thread):
    """Calls `catch_up` every interval, and `verify` every `check_seconds`, until stopped;
    store errors are logged, not fatal."""

    def __init__(self, index: EmbeddedIndex, interval_seconds: float, check_seconds: float) -> None:
        super().__init__(name="index-poll", daemon=True)
        self._index = index
        self._interval = interval_seconds
        self._check_seconds = check_seconds
        self._stopped = threading.Event()

    def run(self) -> None:
        next_check = time.monotonic() + self._check_seconds
        while not self._stopped.wait(self._interval):
            try:
                self._index.catch_up()
                if time.monotonic() >= next_check:
                    self._index.verify()
                    next_check = time.monotonic() + self._check_seconds
            except Exception:
                log.exception("index catch-up failed; retrying in %.1f s", self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self.join()
