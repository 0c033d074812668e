"""Facet tables count exactly what the sparse matrix holds, long rows and expiry included."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from indexing.embedded.facets import PaddedRows


def _matrix(rng: np.random.Generator, *, rows: int, columns: int) -> sp.csr_matrix:
    """Mostly 0-4 values per row, a few rows with nearly every value (the overflow)."""
    lengths = rng.integers(0, 5, size=rows)
    lengths[rng.choice(rows, size=3, replace=False)] = columns - 1
    row_of = np.repeat(np.arange(rows), lengths)
    codes = np.concatenate([rng.choice(columns, size=n, replace=False) for n in lengths])
    expiry = rng.integers(100, 200, size=len(codes)).astype(np.float64)
    return sp.csr_matrix((expiry, (row_of, codes)), shape=(rows, columns))


@pytest.mark.parametrize("min_value", [None, 150.0])
def test_counts_equal_a_sum_over_the_chosen_rows(min_value: float | None) -> None:
    rng = np.random.default_rng(7)
    matrix = _matrix(rng, rows=500, columns=40)
    table = PaddedRows(matrix, keep_values=True)
    assert table.codes.shape[1] < 40 and len(table.overflow_rows) == 3  # long rows overflow
    chosen = np.sort(rng.choice(500, size=200, replace=False))
    chosen = np.union1d(chosen, table.overflow_rows[:2])
    selected = matrix[chosen].toarray()
    present = selected > 0 if min_value is None else selected >= min_value
    assert table.counts(chosen, min_value=min_value).tolist() == present.sum(axis=0).tolist()


def test_an_empty_matrix_counts_nothing() -> None:
    table = PaddedRows(sp.csr_matrix((0, 5)), keep_values=True)
    counts = table.counts(np.empty(0, dtype=np.int64), min_value=1.0)
    assert counts.tolist() == [0] * 5
