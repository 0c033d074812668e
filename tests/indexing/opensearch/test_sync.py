"""The outbox shipper: every store write reaches the index, whatever the order or the outages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from opensearchpy import OpenSearch, helpers
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.bulk import delete_action, ship, upsert_action
from indexing.opensearch.client import make_client
from indexing.opensearch.indexes import IndexNames, read_checkpoint
from indexing.opensearch.sync import ChangeShipper, SyncConfig, _Progress
from indexing.opensearch.worker import SyncWorker
from profiles.freshness import FreshnessPolicy
from profiles.models import ChangeLogEntry, Partner
from tests.indexing import writes
from tests.indexing.opensearch.conftest import FAST_BACKOFF
from tests.indexing.opensearch.server import CuttableProxy


def indexed_versions(client: OpenSearch, names: IndexNames) -> dict[int, int]:
    """{partner id: document version} of everything behind the alias."""
    client.indices.refresh(index=names.alias)
    scan = helpers.scan(client, index=names.alias, query={"_source": ["version"]}, size=1000)
    return {int(hit["_id"]): int(hit["_source"]["version"]) for hit in scan}


def wait_for(condition: object, *, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class TestShipping:
    def test_creates_updates_and_deletes_reach_the_index(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames,
    ) -> None:  # fmt: skip
        ids = [writes.create(sessions, name=f"Partner {n}") for n in range(5)]
        writes.update(sessions, ids[0], name="Renamed")
        writes.update(sessions, ids[0], tier="platinum")
        writes.delete(sessions, ids[1])

        assert backend.catch_up() == 8
        assert indexed_versions(os_client, names) == writes.versions(sessions)
        assert backend.lag() == 0
        assert read_checkpoint(os_client, names, index=backend.current_index()) == 8
        doc = os_client.get(index=names.alias, id=ids[0])["_source"]
        assert (doc["name"], doc["tier"], doc["tier_rank"]) == ("Renamed", "platinum", 3)

    def test_a_new_shipper_resumes_from_the_saved_checkpoint(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        writes.create(sessions)
        backend.catch_up()
        writes.create(sessions)
        restarted = ChangeShipper(os_client, sessions=sessions, names=names, config=sync_config)
        assert restarted.catch_up() == 1


class TestOrdering:
    def test_replayed_and_out_of_order_deliveries_keep_the_newest_version(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames,
    ) -> None:  # fmt: skip
        partner_id = writes.create(sessions, name="v1")
        snapshots = []
        for name in ("v1", "v2", "v3"):
            if name != "v1":
                writes.update(sessions, partner_id, name=name)
            with sessions() as session:
                partner = session.get(Partner, partner_id)
                assert partner is not None
                snapshots.append(upsert_action(names.alias, partner))
        v1, v2, v3 = snapshots
        report = ship(os_client, [v3, v1, v2, v3, v1], backoff=FAST_BACKOFF)
        assert (report.applied, report.stale) == (1, 4)
        doc = os_client.get(index=names.alias, id=partner_id)
        assert (doc["_version"], doc["_source"]["name"]) == (3, "v3")

        delete = delete_action(names.alias, partner_id, version=4)
        report = ship(os_client, [delete, v2, v3, delete], backoff=FAST_BACKOFF)
        assert (report.applied, report.stale) == (1, 3)  # the tombstone keeps version 4
        assert not os_client.exists(index=names.alias, id=partner_id)

    def test_replaying_the_whole_log_changes_nothing(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        ids = [writes.create(sessions) for _ in range(3)]
        writes.update(sessions, ids[2], name="Newer")
        writes.delete(sessions, ids[0])
        backend.catch_up()
        before = indexed_versions(os_client, names)
        os_client.index(index=names.meta, id=backend.current_index(), body={"checkpoint": 0})
        replay = ChangeShipper(os_client, sessions=sessions, names=names, config=sync_config)
        assert replay.catch_up() == 5
        assert indexed_versions(os_client, names) == before == writes.versions(sessions)


class TestLateCommits:
    def test_checkpoint_waits_at_a_gap_until_filled_or_timed_out(self) -> None:
        progress = _Progress(checkpoint=2, shipped={3, 5, 6})
        progress.advance(now=100.0, gap_timeout_s=30)
        assert progress.checkpoint == 3
        progress.advance(now=129.0, gap_timeout_s=30)
        assert progress.checkpoint == 3
        progress.shipped.add(4)  # the late commit arrived
        progress.advance(now=129.5, gap_timeout_s=30)
        assert (progress.checkpoint, progress.shipped) == (6, set())

        progress.shipped.update({8, 9})  # seq 7 was rolled back: it never commits
        progress.advance(now=200.0, gap_timeout_s=30)
        assert progress.checkpoint == 6
        progress.advance(now=230.0, gap_timeout_s=30)
        assert progress.checkpoint == 9

    def test_a_change_committed_below_the_shipped_head_is_still_shipped(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames,
    ) -> None:  # fmt: skip
        early = writes.create(sessions)
        late = writes.create(sessions)
        with sessions.begin() as session:  # the log as PostgreSQL can show it: seq 2 not yet
            session.query(ChangeLogEntry).filter(ChangeLogEntry.partner_id == late).delete()
        backend.catch_up()
        assert set(indexed_versions(os_client, names)) == {early}
        with sessions.begin() as session:  # a third write commits, then seq 2 late
            session.execute(
                insert(ChangeLogEntry),
                [{"seq": 3, "partner_id": early, "op": "upsert", "version": 1,
                  "at": datetime.now(UTC)}],
            )  # fmt: skip
        backend.catch_up()
        assert backend.stats().last_seq == 1  # held at the gap
        with sessions.begin() as session:
            session.execute(
                insert(ChangeLogEntry),
                [{"seq": 2, "partner_id": late, "op": "upsert", "version": 1,
                  "at": datetime.now(UTC)}],
            )  # fmt: skip
        backend.catch_up()
        assert set(indexed_versions(os_client, names)) == {early, late}
        assert backend.stats().last_seq == 3


class TestOutage:
    def test_writes_during_an_outage_are_all_indexed_after_it(
        self, proxy: CuttableProxy, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        through_proxy = make_client(proxy.url, timeout_s=1)
        index = OpenSearchIndex(
            through_proxy, sessions=sessions, policy=FreshnessPolicy(), names=names,
            sync=sync_config,
        )  # fmt: skip
        index.open()
        ids = [writes.create(sessions) for _ in range(10)]
        index.start_sync(poll_s=0.05)
        wait_for(lambda: index.lag() == 0)

        proxy.cut()
        ids += [writes.create(sessions) for _ in range(15)]  # accepted while the index is down
        for partner_id in ids[:8]:
            writes.update(sessions, partner_id, name="Changed during the outage")
        for partner_id in ids[8:12]:
            writes.delete(sessions, partner_id)
        time.sleep(0.5)  # the worker fails and backs off meanwhile
        assert writes.versions(sessions) != indexed_versions(os_client, names)

        proxy.restore()
        wait_for(lambda: index.lag() == 0)
        index.close()
        assert indexed_versions(os_client, names) == writes.versions(sessions)

    def test_lag_counts_the_backlog(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session]
    ) -> None:
        for _ in range(4):
            writes.create(sessions)
        assert backend.lag() == 4
        backend.catch_up()
        assert backend.lag() == 0


class TestWorker:
    def test_worker_survives_a_round_that_fails(
        self, backend: OpenSearchIndex, sessions: sessionmaker[Session], os_client: OpenSearch,
        names: IndexNames, sync_config: SyncConfig,
    ) -> None:  # fmt: skip
        dead = make_client("http://127.0.0.1:9", timeout_s=0.2)
        worker = SyncWorker(
            ChangeShipper(dead, sessions=sessions, names=names, config=sync_config),
            poll_s=0.05,
            retry_s=0.05,
        )
        writes.create(sessions)
        worker.start()
        wait_for(lambda: worker.last_error is not None)
        worker.stop()
        assert backend.catch_up() == 1


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> object:
    before = {t.name for t in threading.enumerate()}
    yield
    leftover = {t.name for t in threading.enumerate() if t.is_alive()} - before
    assert "opensearch-sync" not in leftover
