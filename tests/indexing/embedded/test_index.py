"""The embedded index follows the store: catch-up, delta and merge, log order, convergence."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from indexing.embedded import EmbeddedIndex
from indexing.protocol import SearchQuery
from profiles import changelog, service
from profiles.geocoding import make_geocoder
from profiles.schemas import PartnerCreate
from tests.factories import BERLIN
from tests.indexing.embedded.conftest import IndexFactory
from tests.indexing.factories import add_partner, delete_partner, update_partner


def found(index: EmbeddedIndex, **query: object) -> set[int]:
    """Ids of every partner the index returns for a query (all pages)."""
    result = index.search(SearchQuery(on_date=date.today(), limit=1000, **query))  # type: ignore[arg-type]
    return {hit.partner_id for hit in result.items}


class TestCatchUp:
    def test_a_new_partner_is_searchable_after_catch_up(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        partner = add_partner(store, name="Zugspitz Systems", now=now)
        assert found(index, q="zugspitz") == set()
        assert index.catch_up() == 1
        assert found(index, q="zugspitz") == {partner}

    def test_an_update_replaces_the_old_version(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        partner = add_partner(store, name="Old Name", now=now)
        index = open_index()
        update_partner(store, partner, name="Fresh Name", locations=[BERLIN])
        index.catch_up()
        assert found(index, q="old") == set()
        assert found(index, q="fresh") == {partner}
        assert found(index, near=(52.52, 13.4), radius_km=10) == {partner}
        assert index.stats().partners == 1

    def test_a_deleted_partner_disappears(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        kept = add_partner(store, name="Kept", now=now)
        gone = add_partner(store, name="Gone", now=now)
        index = open_index()
        delete_partner(store, gone)
        index.catch_up()
        assert found(index) == {kept}
        assert index.stats().partners == 1

    def test_lag_counts_unapplied_changes(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        assert index.lag() == 0
        add_partner(store, name="One", now=now)
        add_partner(store, name="Two", now=now)
        assert index.lag() == 2
        index.catch_up()
        assert index.lag() == 0
        assert index.stats().last_seq == 2


class TestDeltaAndMerge:
    def test_writes_land_in_the_delta_and_a_merge_keeps_every_answer(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        first = add_partner(store, name="Alpha Cloud", now=now)
        index = open_index(merge_at=1000)
        second = add_partner(store, name="Beta Cloud", now=now)
        update_partner(store, first, name="Alpha Cloud Renamed")
        index.catch_up()
        assert index.stats().delta_size == 2
        before = index.search(SearchQuery(on_date=date.today(), q="cloud"))
        index.merge()
        after = index.search(SearchQuery(on_date=date.today(), q="cloud"))
        assert index.stats().delta_size == 0
        assert after == before
        assert {hit.partner_id for hit in after.items} == {first, second}

    def test_a_full_delta_is_merged_in_the_background(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index(merge_at=3)
        ids = {add_partner(store, name=f"Partner {i}", now=now) for i in range(4)}
        index.catch_up()
        _wait_for(lambda: index.stats().delta_size == 0)
        assert found(index) == ids


class TestChangeLogOrder:
    def test_a_partner_write_waits_for_an_open_one_so_the_log_commits_in_order(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        first = add_partner(store, name="Slow Writer", now=now)
        index.catch_up()
        slow = sessionmaker(bind=store)()
        service.attest_partner(slow, first, now=now)  # written, not committed yet
        second: list[int] = []
        writer = threading.Thread(
            target=lambda: second.append(add_partner(store, name="Quick Writer", now=now))
        )
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive(), "a second partner write went ahead of an open one"
        slow.commit()
        slow.close()
        writer.join()
        index.catch_up()
        assert found(index) == {first, second[0]}
        assert index.lag() == 0
        with store.connect() as connection:
            entries = changelog.entries_after(connection, after=0, limit=10)
        assert [e.partner_id for e in entries] == [first, first, second[0]]

    def test_a_rolled_back_write_leaves_nothing_to_wait_for(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        with sessionmaker(bind=store)() as aborted:
            data = PartnerCreate.model_validate(
                {"name": "Rolled Back", "tier": "gold", "locations": [{"lat": 52.5, "lon": 13.4}]}
            )
            geocoder = make_geocoder("offline", user_agent="tests")
            service.create_partner(aborted, data, geocoder=geocoder, now=now)
            aborted.rollback()
        kept = add_partner(store, name="Kept Partner", now=now)
        index.catch_up()
        assert found(index) == {kept}
        assert index.lag() == 0


class TestConvergence:
    def test_two_indexes_on_one_store_agree_after_catching_up(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        first, second = open_index(), open_index()
        partner = add_partner(store, name="Shared Partner", now=now)
        doomed = add_partner(store, name="Doomed Partner", now=now)
        first.catch_up()
        delete_partner(store, doomed)
        first.catch_up()
        second.catch_up()
        query = SearchQuery(on_date=date.today(), q="partner")
        assert first.search(query) == second.search(query)
        assert found(first, q="partner") == {partner}

    def test_polling_indexes_converge_within_a_second(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        indexes = [open_index(), open_index()]
        for index in indexes:
            index.start_polling(0.1)
        partner = add_partner(store, name="Polled Partner", now=now)
        started = time.monotonic()
        _wait_for(lambda: all(found(index, q="polled") == {partner} for index in indexes))
        assert time.monotonic() - started < 1.0


def _wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)
