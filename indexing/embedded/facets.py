"""Facet counts of a result set: matching partners per skill, certification, industry, tier
and country.

Counting is the hot part of a broad search (a common word, a large country, the directory's
first page): every value of 100,000+ matching rows is visited. Two things keep it cheap:

- Every row's values sit in one row of a dense table padded to a common width, so the
  values of a result set are one `np.take` of whole table rows and one `bincount`, not a
  slice per row. The width covers nearly every row; the values of the few longer rows
  beyond it live in a small overflow matrix, so one partner with 200 skills does not widen
  the table for everyone.
- Most broad searches are one posting list (a word, a country, a skill, or all rows) minus
  the rows that fail the per-row tests (stale, deleted, wrong tier...). The counts of a long
  posting list are kept per segment, and the result's counts are those minus the counts of
  the dropped rows, which are usually far fewer than the matches. Segments are immutable,
  so kept counts never go out of date; deleted rows are dropped rows. Counts that do not
  depend on the day are made when the segment is built; certification counts (active on
  the search's day) when a list is first searched on a day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from indexing.embedded.attribute import row_positions

COVERED_SHARE = 99.0  # percent of rows whose values should fit in the dense table
CACHED_FROM_ROWS = 20_000  # posting lists at least this long have their counts cached
CACHE_ENTRIES = 1_024  # per segment; one entry is a few kB
CHUNK_ROWS = 16_384  # rows gathered at a time, so the temporaries stay small and reused

Counts = dict[str, np.ndarray]
Postings = Iterable[tuple[Hashable, np.ndarray]]  # (key, rows) of named posting lists


@dataclass(frozen=True)
class Subset:
    """Matching rows described as a named posting list and which of its rows they kept.

    `key` names the list within its segment (("text", column), ("country", code), "all"...);
    the same key always denotes the same `rows`. The dropped rows are only gathered when
    counting them is the cheaper way to the facets."""

    key: Hashable
    rows: np.ndarray
    kept: np.ndarray  # bool per row of `rows`

    @property
    def dropped(self) -> np.ndarray:
        return self.rows[~self.kept]


class PaddedRows:
    """The stored entries of a CSR matrix, row by row, in a dense table.

    `codes[r]` holds row r's column indices followed by `pad` (= the column count, a code no
    value has); `values[r]`, if kept, the stored values in the same slots. Entries beyond the
    table's width are in `overflow`, one row per `overflow_rows` entry (ascending).
    """

    def __init__(self, matrix: sp.csr_matrix, *, keep_values: bool = False) -> None:
        rows, columns = matrix.shape
        lengths = np.diff(matrix.indptr)
        self.pad = columns
        width = _width(lengths)
        code_type = np.uint16 if columns < np.iinfo(np.uint16).max else np.int32
        row_of = np.repeat(np.arange(rows), lengths)
        slot = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], lengths)
        inside = slot < width
        self.codes = np.full((rows, width), self.pad, dtype=code_type)
        self.codes[row_of[inside], slot[inside]] = matrix.indices[inside]
        self.values = None
        if keep_values:
            self.values = np.zeros((rows, width), dtype=matrix.dtype)
            self.values[row_of[inside], slot[inside]] = matrix.data[inside]
        self.overflowing = lengths > width
        self.overflow_rows = np.flatnonzero(self.overflowing)
        beyond = ~inside
        self.overflow = sp.csr_matrix(
            (
                matrix.data[beyond],
                (np.searchsorted(self.overflow_rows, row_of[beyond]), matrix.indices[beyond]),
            ),
            shape=(len(self.overflow_rows), columns),
        )

    def counts(self, rows: np.ndarray, *, min_value: float | None = None) -> np.ndarray:
        """Rows per column among `rows` (int64); with `min_value`, only where the stored value
        is >= it (the table must keep its values then)."""
        assert min_value is None or self.values is not None, "needs keep_values=True"
        counts = np.zeros(self.pad + 1, dtype=np.int64)
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            codes = np.take(self.codes, chunk, axis=0)
            if self.values is not None and min_value is not None:
                codes[np.take(self.values, chunk, axis=0) < min_value] = self.pad
            counts += np.bincount(codes.ravel(), minlength=self.pad + 1)
        counts = counts[: self.pad]
        long_rows = rows[self.overflowing[rows]]
        if len(long_rows):  # their entries read straight off the CSR arrays
            overflow = np.searchsorted(self.overflow_rows, long_rows)
            slots = row_positions(self.overflow.indptr, overflow)
            kept = self.overflow.indices[slots]
            if min_value is not None:
                kept = kept[self.overflow.data[slots] >= min_value]
            counts += np.bincount(kept, minlength=self.pad)
        return counts


def _width(lengths: np.ndarray) -> int:
    """The power of two (numpy's `take` copies 2/4/8/16/32-byte rows fastest) nearest below
    the length that COVERED_SHARE of rows do not exceed; at least 1."""
    if len(lengths) == 0:
        return 1
    covering = max(1, int(np.ceil(np.percentile(lengths, COVERED_SHARE))))
    return 1 << (covering.bit_length() - 1)


class FacetTable:
    """The facet values of every row of a segment: skills, industries, countries and tier side
    by side in one table (one gather counts them all), certifications with their expiry day
    in another, since only those active on the search's day count."""

    def __init__(self, parts: dict[str, sp.csr_matrix], *, certifications: sp.csr_matrix) -> None:
        widths = [part.shape[1] for part in parts.values()]
        edges = np.cumsum([0, *widths]).tolist()
        self.bounds = dict(zip(parts, pairwise(edges), strict=True))
        self.plain = PaddedRows(sp.hstack(list(parts.values()), format="csr", dtype=np.int8))
        self.certifications = PaddedRows(certifications, keep_values=True)
        self._plain_of: dict[Hashable, np.ndarray] = {}  # long posting lists, at build
        self._cache: OrderedDict[tuple[Hashable, float], Counts] = OrderedDict()
        self._lock = threading.Lock()

    def prepare(self, long_postings: Callable[[int], Postings]) -> None:
        """Count now the day-independent facets of every posting list `long_postings` names
        (key, rows) as holding at least CACHED_FROM_ROWS rows."""
        postings = long_postings(CACHED_FROM_ROWS)
        self._plain_of = {key: self.plain.counts(rows) for key, rows in postings}

    def __getstate__(self) -> dict[str, object]:
        """Snapshots keep the tables, not the cache or the lock."""
        unpicklable = {"_cache", "_lock"}
        return {name: value for name, value in vars(self).items() if name not in unpicklable}

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        self._cache = OrderedDict()
        self._lock = threading.Lock()

    def counts(self, rows: np.ndarray, *, today: float, within: Subset | None = None) -> Counts:
        """Matching rows per value (int64, by code) of every facet; certifications active on
        `today` (epoch day). `within`, if given, says which posting list `rows` come from."""
        if (
            within is None
            or len(within.rows) < CACHED_FROM_ROWS
            or len(within.rows) - len(rows) >= len(rows)  # dropped rows outnumber the kept
        ):
            return self._count(rows, today=today)
        whole = self._cached(within, today=today)
        dropped = self._count(within.dropped, today=today)
        return {facet: whole[facet] - dropped[facet] for facet in whole}

    def _cached(self, within: Subset, *, today: float) -> Counts:
        key = (within.key, today)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        plain = self._plain_of.get(within.key)
        counts = self._count(within.rows, today=today, plain=plain)  # unlocked: may run twice
        with self._lock:
            self._cache[key] = counts
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return counts

    def _count(self, rows: np.ndarray, *, today: float, plain: np.ndarray | None = None) -> Counts:
        counts = self.plain.counts(rows) if plain is None else plain
        by_facet = {name: counts[start:end] for name, (start, end) in self.bounds.items()}
        by_facet["certification"] = self.certifications.counts(rows, min_value=today)
        return by_facet
