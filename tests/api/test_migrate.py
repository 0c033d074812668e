"""The store's schema at start: a store of an older release is brought to the newest
migration (a current one is only read, which no test can tell apart but by its speed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect

from api.migrate import _config, upgrade_database
from core.database import make_engine


def _store(path: Path) -> Engine:
    return make_engine(f"sqlite:///{path / 'store.db'}")


def test_an_older_store_gets_the_newer_tables(tmp_path: Path) -> None:
    engine = _store(tmp_path)
    with engine.begin() as connection:  # a store of the first release
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert "notification_events" not in inspect(engine).get_table_names()

    upgrade_database(engine)

    assert {"api_keys", "leads", "notification_events"} <= set(inspect(engine).get_table_names())
