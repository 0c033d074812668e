"""Reindex: a new versioned index behind the alias, verified against the store, nothing lost."""

from __future__ import annotations

import threading

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.reindex import reindex
from indexing.opensearch.sync import SyncConfig
from tests.indexing import writes
from tests.indexing.opensearch.test_sync import indexed_versions, wait_for


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
        assert not os_client.indices.exists(index=old)
        assert indexed_versions(os_client, names) == writes.versions(sessions)

    def test_reindex_under_concurrent_writes_loses_nothing(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        ids = [writes.create(sessions) for _ in range(100)]
        backend.start_sync(poll_s=0.02)
        stop = threading.Event()

        def keep_writing() -> None:
            n = 0
            while not stop.is_set():
                writes.update(sessions, ids[n % len(ids)], name=f"Edit {n}")
                if n % 5 == 0:
                    ids.append(writes.create(sessions))
                if n % 7 == 0:
                    writes.delete(sessions, ids.pop(0))
                n += 1

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            reindex(os_client, sessions=sessions, names=names, config=sync_config, batch_size=25)
        finally:
            stop.set()
            writer.join()
        wait_for(lambda: backend.lag() == 0)
        backend.close()
        assert indexed_versions(os_client, names) == writes.versions(sessions)
