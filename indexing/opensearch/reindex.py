"""Rebuild the partner index from the store behind the alias, with no window of lost writes.

1. Note the store's change-log head H, then create a new versioned index.
2. Bulk-load every partner of the store into it (writes keep flowing meanwhile).
3. Start its checkpoint at H and ship the change log from there: every write that raced the
   bulk load is in the log after H, and external versions keep the newest copy either way.
4. Check the new index's document count against the store's partner count (the log caught up
   to the store's head first, so any difference is a real loss): refuse to swap if it differs.
5. Swap the alias in one atomic request; the live shipper follows the alias and continues from
   the new index's checkpoint. The old index is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch import store
from indexing.opensearch.indexes import (
    IndexNames,
    create_next_index,
    drop_index,
    ensure_layout,
    swap_alias,
    write_checkpoint,
)
from indexing.opensearch.sync import ChangeShipper, SyncConfig, ship_all


class ReindexCountMismatch(RuntimeError):
    """The new index does not hold the store's partners; the alias was left unchanged."""


@dataclass(frozen=True)
class ReindexReport:
    index: str
    documents: int
    store_partners: int
    dropped: list[str]


def reindex(
    client: OpenSearch,
    *,
    sessions: sessionmaker[Session],
    names: IndexNames,
    config: SyncConfig,
    batch_size: int = 2000,
    max_attempts: int = 5,
) -> ReindexReport:
    """Build a new index from the store, verify it, swap the alias; see the module docstring."""
    ensure_layout(client, names)
    with sessions() as session:
        head = store.max_seq(session)
    index = create_next_index(client, names)
    with sessions() as session:
        ship_all(
            client, index=index, session=session, batch_size=batch_size, backoff=config.backoff
        )
    write_checkpoint(client, names, index=index, seq=head)
    shipper = ChangeShipper(client, sessions=sessions, names=names, config=config, index=index)
    documents = expected = -1
    for _ in range(max_attempts):
        shipper.catch_up()
        documents, expected = _counts(client, sessions=sessions, index=index)
        if documents == expected:
            dropped = swap_alias(client, names, to_index=index)
            for old in dropped:
                drop_index(client, names, index=old)
            return ReindexReport(index, documents, expected, dropped)
    drop_index(client, names, index=index)
    raise ReindexCountMismatch(
        f"{index} holds {documents} partners, the store {expected}; alias unchanged"
    )


def _counts(client: OpenSearch, *, sessions: sessionmaker[Session], index: str) -> tuple[int, int]:
    """(documents in `index`, partners in the store), the index refreshed first."""
    client.indices.refresh(index=index)
    with sessions() as session:
        expected = store.count_partners(session)
    return int(client.count(index=index)["count"]), expected
