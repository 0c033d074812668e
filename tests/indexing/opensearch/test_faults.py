"""Faults of a real node: it crashes in the middle of a bulk and comes back, while the service
keeps acknowledging writes. Every acknowledged write is indexed afterwards with the store's
version. (A network partition with the node up is test_sync.TestOutage; reindex under
concurrent writes is test_reindex; out-of-order deliveries are test_sync.TestOrdering.)"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.client import make_client
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.node import OpenSearchNode
from indexing.opensearch.sync import SyncConfig
from profiles.freshness import FreshnessPolicy
from tests.indexing import writes
from tests.indexing.opensearch.conftest import FAST_BACKOFF
from tests.indexing.opensearch.server import URL_ENV
from tests.indexing.opensearch.test_sync import indexed_versions, wait_for

BACKLOG = 300  # changes waiting when shipping starts: a dozen bulk requests of BATCH
BATCH = 25

pytestmark = [
    pytest.mark.opensearch,  # starts a node of its own, not through the `opensearch_url` fixture
    pytest.mark.skipif(
        bool(os.environ.get(URL_ENV)), reason="stops and restarts a node of its own; a configured "
        "cluster is not ours to crash",
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearchNode]:
    """A node of this module's own: the tests crash it, the shared one must stay up."""
    with OpenSearchNode(Path(tmp_path_factory.mktemp("crashing-node"))) as started:
        yield started


class TestNodeCrash:
    def test_a_node_killed_during_a_bulk_loses_no_acknowledged_write(
        self, node: OpenSearchNode, sessions: sessionmaker[Session]
    ) -> None:
        names = IndexNames(prefix=f"pmcrash-{uuid.uuid4().hex[:8]}")
        config = SyncConfig(batch_size=BATCH, gap_timeout_s=0.5, backoff=FAST_BACKOFF)
        index = OpenSearchIndex(
            make_client(node.url, timeout_s=2),
            sessions=sessions,
            policy=FreshnessPolicy(),
            names=names,
            sync=config,
        )
        index.open()
        ids = [writes.create(sessions) for _ in range(BACKLOG)]
        acknowledged = threading.Event()
        stop = threading.Event()

        def keep_writing() -> None:  # acknowledged = committed to the store, as the API does
            n = 0
            while not stop.wait(0.01):
                writes.update(sessions, ids[n % len(ids)], name=f"Edit {n}")
                if n % 4 == 0:
                    ids.append(writes.create(sessions))
                n += 1
                acknowledged.set()

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            index.start_sync(poll_s=0.02)
            wait_for(lambda: 0 < index.lag() < BACKLOG - BATCH, timeout_s=60)
            node.kill()  # mid-backlog: a bulk request is in flight or about to be
            acknowledged.clear()
            wait_for(acknowledged.is_set)  # writes keep being acknowledged while it is down
            node.start()  # same data folder, same port: a restart
            acknowledged.clear()
            wait_for(acknowledged.is_set)
        finally:
            stop.set()
            writer.join()
        wait_for(lambda: index.lag() == 0, timeout_s=120)
        index.close()
        with make_client(node.url) as check:
            assert indexed_versions(check, names) == writes.versions(sessions)
