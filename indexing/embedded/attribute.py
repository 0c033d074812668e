"""A multi-valued partner attribute (skills, certifications, terms...) as two sparse matrices.

Rows of `by_partner` are segment rows, columns are vocabulary codes. `by_value` is its
transpose in CSR form: the posting list of each value, rows sorted ascending, which is what
filters intersect. Both are vectorised; nothing here loops over partners.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp


def row_positions(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions into the data/indices arrays of every stored entry of `rows`, row by row."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def member(rows: np.ndarray, postings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `postings`: which `rows` occur in it (bool) and where (int64 positions)."""
    if len(postings) == 0:
        return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=np.int64)
    positions = np.searchsorted(postings, rows)
    np.minimum(positions, len(postings) - 1, out=positions)
    return postings[positions] == rows, positions


class Attribute:
    """Partner x value matrix with its posting lists; immutable once published."""

    def __init__(self, by_partner: sp.csr_matrix) -> None:
        by_partner.sum_duplicates()
        self.by_partner = by_partner

    @classmethod
    def from_pairs(
        cls, rows: np.ndarray, codes: np.ndarray, data: np.ndarray, *, shape: tuple[int, int]
    ) -> Attribute:
        """From (row, code, value) triples; a repeated (row, code) pair keeps its largest value.

        One sort on a combined int64 key, then the CSR arrays are written directly.
        """
        key = rows.astype(np.int64) * max(shape[1], 1) + codes
        if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
            order = np.argsort(key, kind="stable")
            key, data = key[order], data[order]
            first = np.ones(len(key), dtype=bool)
            first[1:] = key[1:] != key[:-1]
            starts = np.flatnonzero(first)
            key, data = key[starts], np.maximum.reduceat(data, starts)
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // max(shape[1], 1), minlength=shape[0]), out=indptr[1:])
        indices = (key % max(shape[1], 1)).astype(np.int32)
        return cls(sp.csr_matrix((data, indices, indptr), shape=shape))

    @classmethod
    def concat(cls, parts: list[Attribute], *, width: int) -> Attribute:
        """Stack segments' rows; `width` is the current vocabulary size (it only grows)."""
        mats = [part.widened(width) for part in parts]
        return cls(sp.vstack(mats, format="csr", dtype=mats[0].dtype))

    def widened(self, width: int) -> sp.csr_matrix:
        matrix = self.by_partner
        if matrix.shape[1] == width:
            return matrix
        shape = (matrix.shape[0], width)
        return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=shape)

    def take(self, rows: np.ndarray) -> Attribute:
        return Attribute(self.by_partner[rows])

    @cached_property
    def by_value(self) -> sp.csr_matrix:
        transposed = self.by_partner.T.tocsr()
        transposed.sort_indices()
        return transposed

    def postings(self, code: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted rows holding value `code`, and the stored value for each."""
        matrix = self.by_value
        if code < 0 or code >= matrix.shape[0]:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=matrix.dtype)
        start, end = matrix.indptr[code], matrix.indptr[code + 1]
        return matrix.indices[start:end], matrix.data[start:end]

    def values(self, rows: np.ndarray, code: int) -> np.ndarray:
        """The stored value of `code` for each of `rows` (0 where the row lacks it)."""
        postings, data = self.postings(code)
        found, positions = member(rows, postings)
        out = np.zeros(len(rows), dtype=self.by_partner.dtype)
        out[found] = data[positions[found]]
        return out

    def warm(self) -> None:
        """Build the posting lists now rather than on the first query."""
        _ = self.by_value
