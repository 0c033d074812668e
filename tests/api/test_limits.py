"""Request bodies are bounded, and an API write without a key is refused before its body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.access.models import Role
from core.settings import Settings
from tests.conftest import Clock
from tests.core.access.factories import bearer, make_key
from tests.factories import partner_payload


@pytest.fixture
def small_limits(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The app with a 4 KiB body limit and a 16 KiB import limit, called as a manager."""
    app = create_app(
        settings.model_copy(update={"max_body_bytes": 4096, "max_import_bytes": 16384}),
        clock=clock,
    )
    with TestClient(app) as client:
        client.headers.update(bearer(make_key(app, role=Role.MANAGER)))
        yield client


def _oversized_partner() -> dict[str, object]:
    return partner_payload(description="x" * 5000)


class TestBodyLimit:
    def test_a_declared_oversized_body_is_a_413_in_the_envelope(
        self, small_limits: TestClient
    ) -> None:
        response = small_limits.post("/v1/partners", json=_oversized_partner())
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    def test_an_undeclared_streamed_body_is_cut_off_at_the_limit(
        self, small_limits: TestClient
    ) -> None:
        chunks = (b'{"name": "' + b"x" * 1000 for _ in range(10))
        response = small_limits.post(
            "/v1/partners", content=chunks, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    def test_the_import_has_its_own_larger_limit(self, small_limits: TestClient) -> None:
        body = "\n".join(
            f'{{"name": "Partner {n}", "description": "{"x" * 900}"}}' for n in range(8)
        )
        response = small_limits.post(
            "/v1/partners/import",
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert response.status_code == 200, response.text

    def test_nothing_is_written_by_a_refused_body(self, small_limits: TestClient) -> None:
        small_limits.post("/v1/partners", json=_oversized_partner())
        assert small_limits.get("/v1/partners/search").json()["total"] == 0


class TestWriteWithoutKey:
    def test_is_a_401_before_the_body_is_read(self, anonymous_client: TestClient) -> None:
        response = anonymous_client.post(
            "/v1/partners",
            content=b"{" * 5_000_000,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"


class TestErrorList:
    def test_a_body_of_many_unknown_keys_gets_a_short_answer(self, client: TestClient) -> None:
        body = {f"k{n}": 0 for n in range(20_000)}
        response = client.post("/v1/leads/preview", json=body)
        assert response.status_code == 422
        error = response.json()["error"]
        assert len(error["details"]) == 50
        assert error["message"].endswith("more problems")
        assert len(response.content) < 20_000
