"""Shared fixtures: a real database (SQLite, or PostgreSQL when PARTNERMATCH_TEST_DATABASE_URL
is set) migrated once per run and emptied after every test that commits (`session` rolls back
instead), and the app, built once per module, over real HTTP."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.migrate import upgrade_database
from api.models_registry import metadata
from core.access.models import Role
from core.database import make_engine
from core.settings import Settings
from scoring.service import forget_active_ranker
from tests.core.access.factories import bearer, make_key

# Property tests check behaviour, not speed: no per-example deadline, which a loaded CI
# machine would turn into flaky failures.
hypothesis_settings.register_profile("partnermatch", deadline=None)
hypothesis_settings.load_profile("partnermatch")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by what they start, so suites can be chosen and timed apart: `opensearch`
    (a real node), `browser` (Chromium), `e2e` (real `partnermatch serve` processes), `slow`
    (property tests, which run many examples)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "opensearch_url" in fixtures:
            item.add_marker(pytest.mark.opensearch)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "start_server" in fixtures:
            item.add_marker(pytest.mark.e2e)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _forget_the_active_model() -> Iterator[None]:
    """Tests promote ranking models in this process: each starts from its store's own state."""
    forget_active_ranker()
    yield
    forget_active_ranker()


class Clock:
    """A controllable clock for the app: starts at the real time, moves when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite file by default; on PostgreSQL a database of this run's own, dropped at the end,
    so concurrent runs against one server never see each other's rows."""
    configured = os.environ.get("PARTNERMATCH_TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'partnermatch-test.db'}"
        return
    server = make_url(configured)
    name = f"{server.database or 'test'}_run_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_database(engine)
    _empty(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    """Every row a test may have written; the store keeps its identity."""
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "store_identity"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session")
def _rollback_engine(database_url: str, engine: Engine) -> Iterator[Engine]:
    """The store for `session`. pysqlite starts no transaction before the first write and
    makes a first SAVEPOINT the outermost one, whose release commits; here the transaction is
    begun explicitly, so savepoints nest inside it."""
    rollback_engine = make_engine(database_url)
    if rollback_engine.dialect.name == "sqlite":

        @event.listens_for(rollback_engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(rollback_engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    yield rollback_engine
    rollback_engine.dispose()


@pytest.fixture
def session(_rollback_engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints in one transaction that is rolled back after
    the test: for tests that write and read through this session only (no app, index or
    other connection would see their rows), so nothing needs emptying."""
    with _rollback_engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The store, emptied after the test (tests may commit, even from several threads)."""
    yield engine
    _empty(engine)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("module")


@pytest.fixture
def index_dir(module_dir: Path) -> Iterator[Path]:
    """One path for the whole module, so that its tests share apps (see `app`); what a test's
    index wrote there is removed after it."""
    path = module_dir / "index"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def settings(database_url: str, index_dir: Path, clean_db: Engine) -> Settings:
    """The test store; no rate limit (tests call faster than any client; TestRateLimit
    turns it on). A module may override it, best as `settings.model_copy(update=...)`."""
    return _test_settings(database_url, index_dir)


def _test_settings(database_url: str, index_dir: Path) -> Settings:
    return Settings(database_url=database_url, index_dir=str(index_dir), rate_limit="off")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def _built_apps() -> dict[str, FastAPI]:
    return {}


@pytest.fixture
def app(settings: Settings, clock: Clock, _built_apps: dict[str, FastAPI]) -> FastAPI:
    """The app of these settings, built once per module (routes, middleware, pages, the
    document). Each test starts its lifespan anew (`client`): an index, workers and a clock of
    its own over the store it finds emptied."""
    key = settings.model_dump_json()
    if key not in _built_apps:
        _built_apps[key] = create_app(settings)
    app = _built_apps[key]
    app.state.clock = clock
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The running app, called with an admin key (every route admits admins)."""
    with _admin_client(app) as test_client:
        yield test_client


@contextmanager
def _admin_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        test_client.headers.update(bearer(make_key(app, role=Role.ADMIN, name="test-admin")))
        yield test_client


@pytest.fixture(scope="module")
def module_client(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One running app (admin key) for a whole module whose tests each make the rows they
    need and tolerate the others' (no test in it may use the per-test `client`); the store
    is emptied after the module. Starting an app per test is most of a small test's time."""
    app = create_app(_test_settings(database_url, tmp_path_factory.mktemp("module") / "index"))
    try:
        with _admin_client(app) as test_client:
            yield test_client
    finally:
        _empty(engine)


ClientAs = Callable[..., TestClient]


@pytest.fixture
def client_as(client: TestClient) -> ClientAs:
    """Clients of the running app acting as a role: `client_as(Role.PARTNER, partner_id=7)`;
    Role.PUBLIC sends no key."""

    def make(role: Role, *, partner_id: int | None = None) -> TestClient:
        app: FastAPI = client.app  # type: ignore[assignment]
        if role is Role.PUBLIC:
            return TestClient(app)
        return TestClient(app, headers=bearer(make_key(app, role=role, partner_id=partner_id)))

    return make


@pytest.fixture
def anonymous_client(client_as: ClientAs) -> TestClient:
    """The running app, called without a key (the public)."""
    return client_as(Role.PUBLIC)
