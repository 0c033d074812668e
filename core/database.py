"""SQL store plumbing: declarative base, column types, engine, sessions that commit or roll back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import orjson
from sqlalchemy import BigInteger, DateTime, Dialect, Engine, Integer, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from core.errors import Conflict, NotFound, Unavailable
from core.sqlite_writes import WAIT_SECONDS, QueuedWritesConnection

# SQLite only auto-increments INTEGER PRIMARY KEY columns, PostgreSQL wants BIGINT identities.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


_Row = TypeVar("_Row", bound=Base)
_Statement = TypeVar("_Statement")

# Session.info key: the session wrote something the search index follows (a partner).
_SEARCH_CHANGED = "partnermatch.search_changed"


def note_search_change(session: Session) -> None:
    """Mark that this session's work changes what the search index holds."""
    session.info[_SEARCH_CHANGED] = True


def changed_search(session: Session) -> bool:
    """Whether the session wrote something the search index follows (also once it closed)."""
    return bool(session.info.get(_SEARCH_CHANGED))


def make_engine(url: str) -> Engine:
    """Engine tuned per backend: SQLite in WAL mode, its writers queued (`core.sqlite_writes`)."""
    if url.startswith("sqlite"):
        engine = create_engine(  # overflow: a checkout never waits (searches read on the loop)
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": WAIT_SECONDS,
                "factory": QueuedWritesConnection,
            },
            pool_size=20,
            max_overflow=100,
            json_serializer=_json_text,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping at checkout: it was a round trip per request (two with a key) for a case a
    # restart or failover brings once; a request that meets a dropped connection answers 503
    # (api.error_handlers) and the pool replaces all of its connections.
    engine = create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
    )
    # A lead's history steps and ranking examples as one multi-row INSERT each: psycopg's
    # executemany ran one statement per row, a server round of parse and execute each.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _json_text(value: Any) -> str:
    """JSON columns' text, by orjson: a routed lead writes several (its request, ranking,
    examples, outbox payload), and the standard library's encoder was 3% of its CPU."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        commit(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def commit(session: Session) -> None:
    """Commit, turning the store's refusals into the contract's errors: a row changed by a
    concurrent writer or a uniqueness race is a 409, a busy or failing store a 503. Sync
    routes call it as they return (`core.deps.CommittingRoute`)."""
    try:
        session.commit()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict("a concurrent change conflicts with this one; reload and retry") from exc
    except OperationalError as exc:
        raise Unavailable("the store could not commit this change; retry it") from exc


def table_of(model: type[Base]) -> Table:
    """The table a mapped class writes to, for Core statements that skip the ORM's work."""
    return cast(Table, model.__table__)


class PerDialect(Generic[_Statement]):
    """A statement with an ON CONFLICT clause, built once for each SQL dialect the store runs on
    (each spells it with its own `insert`) and picked per session.

    Built once, not per call: building a statement, and the ORM's bulk path an INSERT of a
    mapped class takes, cost several times its execution (an outbox event on PostgreSQL:
    524 us of CPU, 129 us as a prebuilt INSERT of the table). So `build` gets the dialect's
    `insert` and should write into the table (`table_of(Model)`), with bound parameters for
    the values."""

    def __init__(self, build: Callable[[Callable[[Table], Any]], _Statement]) -> None:
        self._built = {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}

    def __call__(self, session: Session) -> _Statement:
        return self._built[session.get_bind().dialect.name]


def get_or_not_found(session: Session, model: type[_Row], ident: int, *, what: str) -> _Row:
    """The row with primary key `ident`, or the contract's 404 naming `what` was missing."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"{what} {ident} not found")
    return row
