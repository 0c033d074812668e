"""Stable pages: keyset positions over (sort key, partner id), so paging never repeats or skips.

The sort key is -score for relevance and the distance (km) for distance; ties break on the
partner id. A page's cursor (`indexing.cursors`) carries the last item's key and id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Position:
    key: float
    partner_id: int


def select_page(
    keys: np.ndarray, ids: np.ndarray, *, after: Position | None, limit: int
) -> tuple[np.ndarray, bool]:
    """Indices of the next `limit` items in (key, id) order after `after`, and whether more
    follow. Linear time: a partition, then a sort of the page only."""
    candidates = None
    if after is not None:
        later = (keys > after.key) | ((keys == after.key) & (ids > after.partner_id))
        candidates = np.flatnonzero(later)
        keys, ids = keys[candidates], ids[candidates]
    has_more = len(keys) > limit
    chosen = _smallest(keys, ids, limit=limit) if has_more else np.arange(len(keys))
    chosen = chosen[np.lexsort((ids[chosen], keys[chosen]))]
    return (chosen if candidates is None else candidates[chosen]), has_more


def _smallest(keys: np.ndarray, ids: np.ndarray, *, limit: int) -> np.ndarray:
    """Positions of the `limit` items smallest in (key, id), unordered."""
    kth = np.partition(keys, limit - 1)[limit - 1]
    below = np.flatnonzero(keys < kth)
    tied = np.flatnonzero(keys == kth)
    needed = limit - len(below)
    if len(tied) > needed:
        tied = tied[np.argpartition(ids[tied], needed - 1)[:needed]]
    return np.concatenate([below, tied])
