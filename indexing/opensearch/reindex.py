"""Rebuild the partner index from the store behind the alias, with no window of lost writes.

1. Note the store's change-log head H, then create a new versioned index.
2. Bulk-load every partner of the store into it (writes keep flowing meanwhile), with no
   periodic refresh and no replicas until the load is done.
3. Start its checkpoint at H and ship the change log from there up to the head of that moment:
   every write that raced the bulk load is in the log after H, and external versions keep the
   newest copy either way. Writes after that head are left to the live shipper (after the
   swap), so a steady stream of writes cannot keep the reindex from finishing.
4. Check the new index against the store at the checkpoint reached: the partners with no
   change after it (counted in one snapshot with the ids changed after it) must be exactly
   the index's documents outside those ids, so writes racing the check cannot fake a loss
   or hide one. Refuse to swap if they differ.
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
    finish_bulk_load,
    swap_alias,
    write_checkpoint,
)
from indexing.opensearch.sync import ChangeShipper, SyncConfig, ship_all
from profiles import changelog


class ReindexCountMismatch(RuntimeError):
    """The new index does not hold the store's partners; the alias was left unchanged."""


@dataclass(frozen=True)
class ReindexReport:
    index: str
    documents: int  # in the new index when it was verified
    store_partners: int  # partners untouched since the checkpoint, each found in the index
    changed_meanwhile: int  # partners written after the checkpoint (the log ships them)
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
        head = changelog.head(session)
    index = create_next_index(client, names)
    with sessions() as session:
        ship_all(
            client, index=index, session=session, batch_size=batch_size, backoff=config.backoff
        )
    finish_bulk_load(client, index=index)
    write_checkpoint(client, names, index=index, seq=head)
    shipper = ChangeShipper(client, sessions=sessions, names=names, config=config, index=index)
    verified = None
    for _ in range(max_attempts):
        with sessions() as session:
            shipper.catch_up(until_seq=changelog.head(session))
        verified = verify(client, sessions=sessions, index=index, seq=shipper.checkpoint())
        if verified.holds:
            dropped = swap_alias(client, names, to_index=index)
            for old in dropped:
                drop_index(client, names, index=old)
            return ReindexReport(
                index, verified.documents, verified.settled.partners,
                len(verified.settled.changed_ids), dropped,
            )  # fmt: skip
    drop_index(client, names, index=index)
    assert verified is not None
    raise ReindexCountMismatch(
        f"{index} holds {verified.settled_documents} of the {verified.settled.partners} "
        "partners unchanged since its checkpoint; alias unchanged"
    )


@dataclass(frozen=True)
class Verification:
    documents: int  # every document of the index
    settled_documents: int  # documents of partners not changed after the checkpoint
    settled: store.Settled

    @property
    def holds(self) -> bool:
        return self.settled_documents == self.settled.partners


def verify(
    client: OpenSearch, *, sessions: sessionmaker[Session], index: str, seq: int
) -> Verification:
    """The index (shipped up to `seq`) against the store's partners unchanged after `seq`.

    Only this reindex writes `index` before the swap, so its documents stand still while the
    store moves on; partners the log changed after `seq` are left out on both sides."""
    client.indices.refresh(index=index)
    with sessions() as session:
        settled = store.settled_since(session, seq=seq)
    changed = [str(partner_id) for partner_id in settled.changed_ids]
    outside = {"query": {"bool": {"must_not": [{"ids": {"values": changed}}]}}}
    return Verification(
        documents=int(client.count(index=index)["count"]),
        settled_documents=int(client.count(index=index, body=outside)["count"]),
        settled=settled,
    )
