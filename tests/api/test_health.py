"""GET /healthz and /readyz: liveness always, readiness only with the store up and the index
caught up with its change log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, delete

from core.settings import Settings
from profiles.models import Partner
from tests.indexing.factories import add_partner


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The longest poll interval: the index lags behind another writer until told to catch up
    (the app's own writes are applied at once)."""
    return settings.model_copy(update={"index_poll_seconds": 60})


def write_elsewhere(store: Engine, *, name: str) -> int:
    """A partner and its change-log row committed by another process than the app."""
    return add_partner(store, name=name, now=datetime.now(UTC))


@pytest.fixture
def unreachable_store(app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's engine swapped for one whose database cannot be opened."""
    engine = create_engine(f"sqlite:///{Path('/nonexistent') / 'store.db'}")
    monkeypatch.setattr(app.state, "engine", engine)


class TestReadiness:
    def test_ready_on_an_empty_store(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "store": "ok", "index_lag": 0}

    def test_not_ready_until_the_index_has_applied_every_write(
        self, app: FastAPI, client: TestClient, clean_db: Engine
    ) -> None:
        write_elsewhere(clean_db, name="Isar Cloud Consulting")
        write_elsewhere(clean_db, name="Lech Data Services")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "catching_up", "store": "ok", "index_lag": 2}
        app.state.index.catch_up()
        assert client.get("/readyz").status_code == 200

    @pytest.mark.usefixtures("unreachable_store")
    def test_not_ready_without_the_store(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "store": "unreachable"}

    def test_a_difference_from_the_store_is_repaired_by_the_check(
        self, app: FastAPI, client: TestClient, clean_db: Engine
    ) -> None:
        removed = write_elsewhere(clean_db, name="Removed Behind The Log")
        app.state.index.catch_up()
        with clean_db.begin() as connection:  # a manual fix in the database, no change-log row
            connection.execute(delete(Partner).where(Partner.id == removed))
        app.state.index.verify()
        assert client.get("/readyz").json()["status"] == "ready"
        assert client.get("/v1/partners/search", params={"q": "removed"}).json()["total"] == 0

    def test_a_difference_the_check_cannot_repair_is_reported(
        self, app: FastAPI, client: TestClient, clean_db: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        removed = write_elsewhere(clean_db, name="Removed Behind The Log")
        app.state.index.catch_up()
        with clean_db.begin() as connection:
            connection.execute(delete(Partner).where(Partner.id == removed))
        monkeypatch.setattr(app.state.index, "_reload", lambda *_: None)  # a repair that fails
        app.state.index.verify()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "index_mismatch",
            "store": "ok",
            "index": "differs from the store for 1 partner(s)",
        }

    def test_open_to_callers_without_a_key(self, anonymous_client: TestClient) -> None:
        assert anonymous_client.get("/readyz").status_code == 200


class TestLiveness:
    def test_alive_while_the_index_lags(self, client: TestClient, clean_db: Engine) -> None:
        write_elsewhere(clean_db, name="Isar Cloud Consulting")
        assert client.get("/readyz").status_code == 503
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    @pytest.mark.usefixtures("unreachable_store")
    def test_alive_without_the_store(self, anonymous_client: TestClient) -> None:
        assert anonymous_client.get("/healthz").status_code == 200
