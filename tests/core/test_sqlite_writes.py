"""SQLite writers queue for the database: they wait their turn, and a transaction that ends
in any way (commit, rollback, a closed connection) lets the next one in at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from core import sqlite_writes
from core.database import make_engine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"))
    yield engine
    engine.dispose()


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that finds the lock kept gives up after 0.5 s instead of 30."""
    monkeypatch.setattr(sqlite_writes, "WAIT_SECONDS", 0.5)


def write(engine: Engine, body: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


def bodies(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT body FROM notes ORDER BY id")))


def test_a_writer_waits_for_an_open_write_transaction_and_then_writes(store: Engine) -> None:
    first = store.connect()
    first.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    second = threading.Thread(target=write, args=(store, "second"))
    second.start()
    second.join(timeout=0.3)
    assert second.is_alive(), "the second writer went ahead of an open write transaction"
    first.commit()
    first.close()
    second.join(timeout=10)
    assert bodies(store) == ["first", "second"]


@pytest.mark.usefixtures("short_wait")
def test_a_rolled_back_transaction_lets_the_next_writer_in(store: Engine) -> None:
    write(store, "taken")
    with store.connect() as failed:  # kept out of the pool: the next writer is another one
        with pytest.raises(IntegrityError):
            failed.execute(text("INSERT INTO notes (body) VALUES ('taken')"))
        failed.rollback()
        write(store, "next")  # would wait out WAIT_SECONDS and fail if the lock were kept
    assert bodies(store) == ["taken", "next"]


@pytest.mark.usefixtures("short_wait")
def test_a_connection_closed_mid_transaction_lets_the_next_writer_in(store: Engine) -> None:
    connection = store.connect()
    connection.execute(text("INSERT INTO notes (body) VALUES ('abandoned')"))
    connection.invalidate()  # the DB-API connection is closed, its transaction with it
    write(store, "next")
    assert bodies(store) == ["next"]


@pytest.mark.usefixtures("short_wait")
def test_a_writer_that_cannot_get_its_turn_is_told_the_store_is_busy(store: Engine) -> None:
    holder = store.connect()
    holder.execute(text("INSERT INTO notes (body) VALUES ('held')"))
    with pytest.raises(OperationalError, match="database is locked"):
        write(store, "impatient")
    holder.rollback()
    holder.close()
    write(store, "patient")
    assert bodies(store) == ["patient"]


def test_reads_do_not_wait_for_a_writer(store: Engine) -> None:
    write(store, "committed")
    holder = store.connect()
    holder.execute(text("INSERT INTO notes (body) VALUES ('pending')"))
    try:
        assert bodies(store) == ["committed"]  # answered at once, without the pending row
    finally:
        holder.rollback()
        holder.close()


def test_writers_of_another_process_take_turns_with_this_one(store: Engine) -> None:
    url = store.url.render_as_string(hide_password=False)
    holder = textwrap.dedent(f"""
        import sys, time
        from sqlalchemy import text
        from core.database import make_engine
        engine = make_engine({url!r})
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes (body) VALUES ('other process')"))
            print("holding", flush=True)
            time.sleep(0.5)
    """)
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"
        write(store, "this process")  # queued behind the other process's transaction
    finally:
        assert child.wait(timeout=30) == 0
    assert bodies(store) == ["other process", "this process"]
    assert Path(f"{store.url.database}-writer.lock").exists()
