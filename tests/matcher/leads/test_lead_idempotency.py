"""POST /v1/leads with an Idempotency-Key: replay, mismatch, expiry, concurrent retries."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.matcher.factories import error_fields, lead_payload, skilled_partner, sweep_now


def post(client: TestClient, key: str, body: dict[str, Any]) -> Any:
    client.app.state.index.catch_up()  # type: ignore[attr-defined]
    return client.post("/v1/leads", json=body, headers={"Idempotency-Key": key})


def report_leads(client: TestClient) -> int:
    """Leads created in the last day, per the routing report."""
    now = client.app.state.clock()  # type: ignore[attr-defined]
    window = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(seconds=1)).isoformat(),
    }
    return client.get("/v1/reports/routing", params=window).json()["leads"]


class TestIdempotentReplay:
    def test_the_same_key_and_body_return_the_first_response(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        first = post(client, "order-42", lead_payload())
        again = post(client, "order-42", lead_payload())
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert report_leads(client) == 1

    def test_the_replay_is_the_first_response_even_after_changes(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        first = post(client, "order-42", lead_payload()).json()
        client.post(f"/v1/leads/{first['id']}/accept")
        assert post(client, "order-42", lead_payload()).json()["status"] == "offered"

    def test_the_same_key_with_another_body_is_refused(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        post(client, "order-42", lead_payload())
        response = post(client, "order-42", lead_payload(title="Another deal"))
        assert response.status_code == 422
        assert error_fields(response) == {"Idempotency-Key"}
        assert report_leads(client) == 1

    def test_keys_are_kept_a_day_then_forgotten(self, client: TestClient, clock: Clock) -> None:
        skilled_partner(client, aws_level=5)
        first = post(client, "order-42", lead_payload()).json()
        clock.advance(hours=23, minutes=59)
        assert post(client, "order-42", lead_payload()).json()["id"] == first["id"]
        clock.advance(minutes=2)
        sweep_now(client)  # purges lapsed keys
        assert post(client, "order-42", lead_payload()).json()["id"] != first["id"]

    def test_without_a_key_every_post_creates_a_lead(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        ids = {client.post("/v1/leads", json=lead_payload()).json()["id"] for _ in range(2)}
        assert len(ids) == 2

    def test_a_malformed_key_is_named(self, client: TestClient) -> None:
        response = post(client, "has spaces", lead_payload())
        assert response.status_code == 422
        assert error_fields(response) == {"Idempotency-Key"}

    def test_concurrent_retries_create_one_lead(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        start = threading.Barrier(6)
        results: list[tuple[int, int | None]] = []

        def attempt() -> None:
            start.wait()
            response = client.post(
                "/v1/leads", json=lead_payload(), headers={"Idempotency-Key": "retry-storm"}
            )
            lead_id = response.json().get("id") if response.status_code == 201 else None
            results.append((response.status_code, lead_id))

        threads = [threading.Thread(target=attempt) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(Counter(status for status, _ in results)) <= {201, 409}
        assert len({lead_id for status, lead_id in results if status == 201}) == 1
        assert report_leads(client) == 1
