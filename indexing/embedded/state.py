"""The published state of an index: a large main segment and a small delta segment.

A state is never modified once published; a write builds a new state (copying the main
segment's `alive` mask and rebuilding only the small delta), and searches read whichever
state was current when they started, without locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexing.embedded.segment import Catalog, Segment


@dataclass(frozen=True)
class IndexState:
    catalog: Catalog
    main: Segment
    main_alive: np.ndarray  # bool per main row: False once superseded or deleted
    delta: Segment  # partners written since the main segment was built, searched brute force

    @classmethod
    def of(cls, main: Segment, *, catalog: Catalog) -> IndexState:
        main.warm()
        return cls(
            catalog=catalog,
            main=main,
            main_alive=np.ones(len(main), dtype=bool),
            delta=main.take(np.empty(0, dtype=np.int64)),
        )

    def segments(self) -> list[tuple[Segment, np.ndarray]]:
        """Each segment with its alive mask, main first; an empty delta is left out."""
        if not len(self.delta):
            return [(self.main, self.main_alive)]
        return [(self.main, self.main_alive), (self.delta, np.ones(len(self.delta), dtype=bool))]

    @property
    def partners(self) -> int:
        return int(self.main_alive.sum()) + len(self.delta)

    @property
    def locations(self) -> int:
        main_counts = np.diff(self.main.offices.indptr)
        return int(main_counts[self.main_alive].sum()) + len(self.delta.offices)

    def apply(self, *, touched: np.ndarray, written: Sequence[Segment]) -> IndexState:
        """Partners `touched` (sorted ids, int64) lose their old rows; `written` holds the
        current state of those still in the store, which enters the delta."""
        main_alive = self.main_alive.copy()
        main_alive[self.main.rows_of(touched)] = False
        kept = self.delta.take(_rows_without(self.delta, touched))
        delta = Segment.concat([kept, *written], catalog=self.catalog)
        delta.warm()
        return IndexState(self.catalog, self.main, main_alive, delta)

    def compacted(self) -> Segment:
        """Main and delta as one new main segment (built outside any lock by the merger)."""
        live = self.main.take(np.flatnonzero(self.main_alive))
        return Segment.concat([live, self.delta], catalog=self.catalog)

    def merged_with(self, main: Segment, *, since: np.ndarray) -> IndexState:
        """Adopt `main` (compacted from an older state): partners written `since` then (ids)
        stay in the delta and are masked in the new main."""
        main.warm()
        main_alive = np.ones(len(main), dtype=bool)
        main_alive[main.rows_of(since)] = False
        delta = self.delta.take(self.delta.rows_of(since))
        delta.warm()
        return IndexState(self.catalog, main, main_alive, delta)


def _rows_without(segment: Segment, ids: np.ndarray) -> np.ndarray:
    return np.flatnonzero(~np.isin(segment.ids, ids))
