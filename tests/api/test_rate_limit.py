"""Rate limits: per key, per address for the public, X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.access.models import Role
from core.settings import Settings
from tests.conftest import Clock
from tests.core.access.factories import bearer, make_key

LIMIT = 5
Limited = Callable[..., TestClient]


@pytest.fixture
def limited(settings: Settings, clock: Clock) -> Iterator[Limited]:
    """Clients of one app limited to LIMIT requests per second (TestClient's peer address is
    "testclient", configured here as a trusted proxy)."""
    app = create_app(
        settings.model_copy(update={"rate_limit": LIMIT, "trusted_proxies": "testclient"}),
        clock=clock,
    )
    with TestClient(app) as first:
        clients = [first]

        def make(*, role: Role | None = None, forwarded_for: str | None = None) -> TestClient:
            client = TestClient(app)
            if role is not None:
                client.headers.update(bearer(make_key(app, role=role)))
            if forwarded_for is not None:
                client.headers["X-Forwarded-For"] = forwarded_for
            clients.append(client)
            return client

        yield make


def statuses(client: TestClient, count: int) -> list[int]:
    return [client.get("/v1/partners/search").status_code for _ in range(count)]


class TestRateLimit:
    def test_a_client_past_the_limit_gets_429_with_retry_after(self, limited: Limited) -> None:
        public = limited()
        assert statuses(public, LIMIT) == [200] * LIMIT
        response = public.get("/v1/partners/search")
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"

    def test_each_key_has_its_own_budget(self, limited: Limited) -> None:
        first, second = limited(role=Role.MANAGER), limited(role=Role.MANAGER)
        assert statuses(first, LIMIT + 1)[-1] == 429
        assert statuses(second, LIMIT) == [200] * LIMIT

    def test_clients_behind_a_trusted_proxy_are_told_apart(self, limited: Limited) -> None:
        alice, bob = limited(forwarded_for="203.0.113.7"), limited(forwarded_for="198.51.100.9")
        assert statuses(alice, LIMIT + 1)[-1] == 429
        assert statuses(bob, LIMIT) == [200] * LIMIT

    def test_probes_are_never_limited(self, limited: Limited) -> None:
        probe = limited()
        assert {probe.get("/healthz").status_code for _ in range(3 * LIMIT)} == {200}
