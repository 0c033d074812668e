"""The periodic check finds and repairs what the index holds differently from its store."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, delete, update

from indexing.embedded import EmbeddedIndex
from indexing.protocol import SearchQuery
from profiles.models import Partner
from tests.indexing.embedded.conftest import IndexFactory
from tests.indexing.factories import add_partner


def found(index: EmbeddedIndex, **query: object) -> set[int]:
    result = index.search(SearchQuery(on_date=date.today(), limit=1000, **query))  # type: ignore[arg-type]
    return {hit.partner_id for hit in result.items}


def behind_the_log(store: Engine, statement: object) -> None:
    """A change that bypasses the change log (a manual fix in the database, a lost entry)."""
    with store.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]


class TestVerify:
    def test_a_partner_removed_behind_the_log_leaves_the_index(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        kept = add_partner(store, name="Kept", now=now)
        removed = add_partner(store, name="Removed", now=now)
        index.catch_up()
        behind_the_log(store, delete(Partner).where(Partner.id == removed))
        assert found(index) == {kept, removed}
        index.verify()
        assert found(index) == {kept}
        assert index.divergence() is None

    def test_a_partner_changed_behind_the_log_is_reloaded(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        changed = add_partner(store, name="Zirbelwald", now=now)
        index.catch_up()
        behind_the_log(
            store,
            update(Partner).where(Partner.id == changed).values(name="Latschenkiefer", version=2),
        )
        index.verify()
        assert found(index, q="latschenkiefer") == {changed}
        assert found(index, q="zirbelwald") == set()

    def test_an_index_that_agrees_with_its_store_is_left_alone(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        index = open_index()
        for n in range(5):
            add_partner(store, name=f"Partner {n}", now=now)
        index.catch_up()
        before = index.stats()
        index.verify()
        assert index.stats() == before
        assert index.divergence() is None
