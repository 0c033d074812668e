"""Reindex: a new versioned index behind the alias, verified against the store, nothing lost."""

from __future__ import annotations

import threading

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.reindex import reindex, verify
from indexing.opensearch.sync import SyncConfig
from profiles import changelog
from tests.indexing import writes
from tests.indexing.opensearch.test_sync import indexed_versions, wait_for

WRITE_INTERVAL_S = 0.005
MAX_WRITES = 2000  # a safety bound; the reindex must end long before (asserted)


class TestReindex:
    def test_swaps_the_alias_to_a_verified_new_index(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        for n in range(30):
            writes.create(sessions, name=f"Partner {n}")
        backend.catch_up()
        old = backend.current_index()

        report = reindex(os_client, sessions=sessions, names=names, config=sync_config)

        assert report.index == backend.current_index() != old
        assert (report.documents, report.store_partners, report.dropped) == (30, 30, [old])
        assert report.changed_meanwhile == 0
        assert not os_client.indices.exists(index=old)
        assert indexed_versions(os_client, names) == writes.versions(sessions)

    def test_reindex_under_concurrent_writes_loses_nothing(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        ids = [writes.create(sessions) for _ in range(100)]
        backend.start_sync(poll_s=0.02)
        stop = threading.Event()
        written = [0]

        def keep_writing() -> None:  # a steady stream of writes, bounded so the test is too
            n = 0
            while not stop.wait(WRITE_INTERVAL_S) and n < MAX_WRITES:
                writes.update(sessions, ids[n % len(ids)], name=f"Edit {n}")
                if n % 5 == 0:
                    ids.append(writes.create(sessions))
                if n % 7 == 0:
                    writes.delete(sessions, ids.pop(0))
                n += 1
                written[0] = n

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            reindex(os_client, sessions=sessions, names=names, config=sync_config, batch_size=25)
            writes_during_reindex = written[0]
        finally:
            stop.set()
            writer.join()
        wait_for(lambda: backend.lag() == 0)
        backend.close()
        assert 0 < writes_during_reindex < MAX_WRITES
        assert indexed_versions(os_client, names) == writes.versions(sessions)


class TestVerification:
    def test_a_document_missing_from_the_index_is_a_loss(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch
    ) -> None:
        ids = [writes.create(sessions) for _ in range(5)]
        backend.catch_up()
        index = backend.current_index()
        head = _head(sessions)
        assert verify(os_client, sessions=sessions, index=index, seq=head).holds

        os_client.delete(index=index, id=str(ids[2]), params={"refresh": "true"})

        verification = verify(os_client, sessions=sessions, index=index, seq=head)
        assert not verification.holds
        assert (verification.settled_documents, verification.settled.partners) == (4, 5)

    def test_writes_after_the_checkpoint_are_not_counted_as_losses(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch
    ) -> None:
        ids = [writes.create(sessions) for _ in range(5)]
        backend.catch_up()
        index, head = backend.current_index(), _head(sessions)
        new = writes.create(sessions)  # not shipped: the index is as of `head`
        writes.delete(sessions, ids[0])

        verification = verify(os_client, sessions=sessions, index=index, seq=head)

        assert verification.holds
        assert sorted(verification.settled.changed_ids) == sorted([new, ids[0]])
        assert verification.settled.partners == 4


def _head(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return changelog.head(session)
