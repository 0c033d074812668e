"""API keys: issued once, stored hashed, revoked at once, managed by admins over HTTP and CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from api.cli import app as cli
from core.access.models import ApiKey, Role
from core.database import make_engine
from tests.conftest import ClientAs, Clock
from tests.core.access.factories import bearer, make_key
from tests.factories import create_partner


def stored_key(engine: Engine, key_id: int) -> dict[str, object]:
    with engine.connect() as connection:
        row = connection.execute(select(ApiKey.__table__).where(ApiKey.id == key_id)).one()
    return dict(row._mapping)


class TestIssuing:
    def test_the_secret_is_shown_once_and_stored_only_as_a_hash(
        self, client: TestClient, clean_db: Engine
    ) -> None:
        created = client.post("/v1/keys", json={"name": "crm sync", "role": "manager"})
        assert created.status_code == 201
        secret = created.json()["key"]
        assert secret.startswith("pm_") and len(secret) > 40
        row = stored_key(clean_db, created.json()["id"])
        assert secret not in {str(value) for value in row.values()}
        assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
        assert secret.startswith(row["prefix"]) and len(row["prefix"]) < 12
        listed = client.get("/v1/keys").json()
        assert all("key" not in key for key in listed)

    def test_a_new_key_works_at_once(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        secret = client.post("/v1/keys", json={"name": "m", "role": "manager"}).json()["key"]
        response = anonymous_client.get(
            "/v1/partners/stale", headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "p", "role": "partner"},
            {"name": "m", "role": "manager", "partner_id": 1},
            {"name": "p", "role": "partner", "partner_id": 999999},
        ],
    )
    def test_only_partner_keys_name_a_partner_and_it_must_exist(
        self, client: TestClient, body: dict[str, object]
    ) -> None:
        if body.get("role") == "manager":
            body["partner_id"] = create_partner(client)["id"]
        response = client.post("/v1/keys", json=body)
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == ["partner_id"]

    def test_a_nul_character_in_the_name_is_named_and_no_key_is_made(
        self, client: TestClient
    ) -> None:
        before = client.get("/v1/keys").json()
        response = client.post("/v1/keys", json={"name": "ops\x00", "role": "manager"})
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == ["name"]
        assert client.get("/v1/keys").json() == before

    def test_public_is_not_a_key_role(self, client: TestClient) -> None:
        response = client.post("/v1/keys", json={"name": "x", "role": "public"})
        assert response.status_code == 422


class TestAuthentication:
    @pytest.mark.parametrize(
        "header", ["Bearer pm_unknown", "Bearer ", "Basic dXNlcjpwYXNz", "pm_no_scheme"]
    )
    def test_a_bad_credential_is_401_even_on_a_public_route(
        self, client: TestClient, anonymous_client: TestClient, header: str
    ) -> None:
        partner = create_partner(client)
        response = anonymous_client.get(
            f"/v1/partners/{partner['id']}", headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_a_revoked_key_stops_working_at_once(
        self, client: TestClient, client_as: ClientAs, app: FastAPI, clean_db: Engine
    ) -> None:
        issued = make_key(app, role=Role.MANAGER)
        manager = client_as(Role.PUBLIC)
        manager.headers.update(bearer(issued))
        assert manager.get("/v1/keys").status_code == 403
        assert manager.get("/v1/partners/stale").status_code == 200
        revoked = client.post(f"/v1/keys/{issued.key.id}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        response = manager.get("/v1/partners/stale")
        assert response.status_code == 401
        assert stored_key(clean_db, issued.key.id)["revoked_at"] is not None

    def test_revoking_twice_keeps_the_first_time(
        self, client: TestClient, app: FastAPI, clock: Clock
    ) -> None:
        key_id = make_key(app, role=Role.MANAGER).key.id
        first = client.post(f"/v1/keys/{key_id}/revoke").json()["revoked_at"]
        clock.advance(minutes=5)
        assert client.post(f"/v1/keys/{key_id}/revoke").json()["revoked_at"] == first
        assert client.post("/v1/keys/999999/revoke").status_code == 404

    def test_last_use_is_recorded_at_most_once_a_minute(
        self, app: FastAPI, client_as: ClientAs, clock: Clock, clean_db: Engine
    ) -> None:
        issued = make_key(app, role=Role.MANAGER)
        caller = client_as(Role.PUBLIC)
        caller.headers.update(bearer(issued))
        caller.get("/metrics")
        first = stored_key(clean_db, issued.key.id)["last_used_at"]
        assert first is not None
        clock.advance(seconds=30)
        caller.get("/metrics")
        assert stored_key(clean_db, issued.key.id)["last_used_at"] == first
        clock.advance(seconds=31)
        caller.get("/metrics")
        assert stored_key(clean_db, issued.key.id)["last_used_at"] != first


class TestMetrics:
    def test_requests_are_counted_per_route_template(self, client: TestClient) -> None:
        partner = create_partner(client)
        client.get(f"/v1/partners/{partner['id']}")
        text = client.get("/metrics").text
        series = 'method="GET",route="/v1/partners/{partner_id}",status="200"'
        assert f"partnermatch_http_requests_total{{{series}}} 1" in text
        assert f"partnermatch_http_request_duration_seconds_count{{{series}}} 1" in text

    def test_unknown_methods_and_paths_share_one_series(self, client: TestClient) -> None:
        for n in range(30):
            client.request(f"BREW{n}", f"/no/such/path/{n}")
        text = client.get("/metrics").text
        assert 'method="other",route="unmatched"' in text
        assert "BREW" not in text and "/no/such/path" not in text


class TestCli:
    @pytest.fixture
    def store(self, tmp_path: Path) -> str:
        """A database that does not exist yet: the commands must migrate it themselves."""
        return f"sqlite:///{tmp_path / 'fresh.db'}"

    @pytest.fixture
    def run(self, store: str) -> CliRunner:
        return CliRunner(env={"PARTNERMATCH_DATABASE_URL": store})

    def test_keys_are_created_listed_and_revoked_on_a_fresh_database(self, run: CliRunner) -> None:
        created = run.invoke(cli, ["keys", "create", "--role", "manager", "--name", "ci"])
        assert created.exit_code == 0, created.output
        secret = created.output.strip().splitlines()[-1]
        assert secret.startswith("pm_")
        listed = run.invoke(cli, ["keys", "list"])
        assert "ci" in listed.output and secret not in listed.output
        assert run.invoke(cli, ["keys", "revoke", "1"]).exit_code == 0
        assert run.invoke(cli, ["keys", "revoke", "2"]).exit_code == 1

    def test_a_partner_key_needs_a_partner(self, run: CliRunner) -> None:
        result = run.invoke(cli, ["keys", "create", "--role", "partner"])
        assert result.exit_code == 1
        assert "partner_id" in result.output

    def test_demo_replaces_its_previous_key(self, run: CliRunner, store: str) -> None:
        first = run.invoke(cli, ["keys", "demo", "--url", "http://example:9"])
        second = run.invoke(cli, ["keys", "demo"])
        assert first.exit_code == second.exit_code == 0, first.output
        assert "http://example:9/v1/partners/1" in first.output
        engine = make_engine(store)
        with engine.connect() as connection:
            rows = connection.execute(select(ApiKey.role, ApiKey.revoked_at)).all()
        engine.dispose()
        assert [(role, revoked is None) for role, revoked in rows] == [
            ("manager", False),
            ("manager", True),
        ]

    def test_demo_makes_a_partner_key_too_and_prints_the_pages(
        self, run: CliRunner, store: str
    ) -> None:
        assert run.invoke(cli, ["seed", "--partners", "3"]).exit_code == 0
        for _ in range(2):
            shown = run.invoke(cli, ["keys", "demo", "--url", "http://example:9"])
            assert shown.exit_code == 0, shown.output
        for page in ("http://example:9/?near=", "http://example:9/portal", "/console"):
            assert page in shown.output
        engine = make_engine(store)
        with engine.connect() as connection:
            rows = connection.execute(
                select(ApiKey.name, ApiKey.role, ApiKey.partner_id).where(
                    ApiKey.revoked_at.is_(None)
                )
            ).all()
        engine.dispose()
        assert sorted((name, role) for name, role, _ in rows) == [
            ("demo-manager", "manager"),
            ("demo-partner", "partner"),
        ]
        assert all(partner is not None for name, _, partner in rows if name == "demo-partner")
