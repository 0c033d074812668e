"""Checking the embedded index against its store: which partners, at which version.

The store's partners are summed per id range (count, sum of ids, sum of versions) in one
grouped query; the index's live rows the same way with numpy. Only ranges that differ are
compared id by id, so a check of a million partners costs one scan of the partners table.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, func, select

from indexing.embedded.state import IndexState
from profiles.models import Partner

RANGE_WIDTH = 10_000  # partner ids per compared range

# Per range: (count, sum of ids, sum of versions).
Ranges = dict[int, tuple[int, int, int]]


def store_ranges(connection: Connection) -> Ranges:
    """The store's partners summed per id range."""
    bucket = (Partner.id // RANGE_WIDTH).label("bucket")
    rows = connection.execute(
        select(bucket, func.count(), func.sum(Partner.id), func.sum(Partner.version)).group_by(
            bucket
        )
    )
    return {int(b): (int(n), int(ids), int(versions)) for b, n, ids, versions in rows}


def index_rows(state: IndexState) -> tuple[np.ndarray, np.ndarray]:
    """(ids, versions) of every partner the index serves, sorted by id."""
    ids = np.concatenate([state.main.ids[state.main_alive], state.delta.ids])
    versions = np.concatenate([state.main.version[state.main_alive], state.delta.version])
    order = np.argsort(ids, kind="stable")
    return ids[order], versions[order].astype(np.int64)


def index_ranges(ids: np.ndarray, versions: np.ndarray) -> Ranges:
    buckets = ids // RANGE_WIDTH
    keys, starts, counts = np.unique(buckets, return_index=True, return_counts=True)
    id_sums = np.add.reduceat(ids, starts) if len(ids) else ids
    version_sums = np.add.reduceat(versions, starts) if len(ids) else versions
    return {
        int(k): (int(n), int(i), int(v))
        for k, n, i, v in zip(keys, counts, id_sums, version_sums, strict=True)
    }


def differing_partners(
    connection: Connection, *, store: Ranges, index: tuple[np.ndarray, np.ndarray]
) -> list[int]:
    """Ids missing from either side, or at another version, in the ranges whose sums differ."""
    ids, versions = index
    mine = index_ranges(ids, versions)
    ranges = sorted(b for b in store.keys() | mine.keys() if store.get(b) != mine.get(b))
    if not ranges:
        return []
    bucket = Partner.id // RANGE_WIDTH
    rows = connection.execute(select(Partner.id, Partner.version).where(bucket.in_(ranges)))
    in_store = {int(pid): int(version) for pid, version in rows}
    wanted = np.isin(ids // RANGE_WIDTH, ranges)
    in_index = dict(zip(ids[wanted].tolist(), versions[wanted].tolist(), strict=True))
    return sorted(
        pid for pid in in_store.keys() | in_index.keys() if in_store.get(pid) != in_index.get(pid)
    )
