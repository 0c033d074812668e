"""Signed webhooks to a real HTTP receiver: signatures, a receiver that goes down and comes
back, dead letters after the retry window and their redelivery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.receivers import WebhookReceiver
from matcher.notifications.worker import Worker, run_until_idle
from tests.conftest import Clock
from tests.matcher.factories import decline, post_lead
from tests.matcher.notifications.factories import partner_with_contacts

SECRET = "whsec_0123456789abcdef0123"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    started = WebhookReceiver(SECRET).start()
    yield started
    started.stop()


def subscribe(client: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, "secret": SECRET, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(
        "/v1/notifications/deliveries", params={"channel": "webhook", "limit": 500, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


class TestSignedPosts:
    def test_the_receiver_verifies_the_signature_and_reads_the_event(
        self, client: TestClient, worker: Worker, receiver: WebhookReceiver
    ) -> None:
        subscribe(client, receiver.url, event_types=["lead.offered"])
        partner = partner_with_contacts(client, slug="hooked")
        lead = post_lead(client)

        run_until_idle(worker)

        assert receiver.received.bad_signatures == 0
        (event,) = receiver.received.events.values()
        assert event["type"] == "lead.offered"
        assert event["data"]["lead_id"] == lead["id"]
        assert event["data"]["partner_id"] == partner

    def test_a_wrong_secret_fails_the_check_and_is_retried(
        self, client: TestClient, worker: Worker, receiver: WebhookReceiver
    ) -> None:
        client.post("/v1/webhooks", json={"url": receiver.url, "secret": "x" * 20})
        partner_with_contacts(client, slug="forged")
        post_lead(client)
        report = run_until_idle(worker)
        assert report.failed == 1 and receiver.received.bad_signatures == 1
        (delivery,) = deliveries(client)
        assert delivery["status"] == "pending" and "401" in delivery["last_error"]

    def test_only_the_kinds_subscribed_to_are_sent(
        self, client: TestClient, worker: Worker, receiver: WebhookReceiver
    ) -> None:
        subscribe(client, receiver.url, event_types=["lead.moved_on"])
        partner_with_contacts(client, slug="a", aws_level=5)
        partner_with_contacts(client, slug="b", aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        decline(client, lead["id"])
        run_until_idle(worker)
        assert [e["type"] for e in receiver.received.events.values()] == ["lead.moved_on"]


class TestFaults:
    def test_a_receiver_down_for_a_while_gets_every_event_once(
        self, client: TestClient, worker: Worker, receiver: WebhookReceiver, clock: Clock
    ) -> None:
        subscribe(client, receiver.url)
        for n in range(3):
            partner_with_contacts(client, slug=f"p{n}", aws_level=5 - n)
        receiver.stop()
        leads = [post_lead(client, title=f"Lead {n}") for n in range(5)]
        decline(client, leads[0]["id"])
        assert run_until_idle(worker).failed == 7  # 6 offers and a move on, all refused

        for _ in range(3):  # down for hours: backoff, still pending
            clock.advance(hours=1)
            run_until_idle(worker)
        receiver.start()
        clock.advance(hours=1)
        run_until_idle(worker)

        assert len(receiver.received.events) == 7
        assert set(receiver.received.arrivals.values()) == {1}
        assert {d["status"] for d in deliveries(client)} == {"sent"}

    def test_after_the_retry_window_a_dead_letter_which_an_admin_can_redeliver(
        self, client: TestClient, worker: Worker, receiver: WebhookReceiver, clock: Clock
    ) -> None:
        subscribe(client, receiver.url, event_types=["lead.offered"])
        partner_with_contacts(client, slug="dead")
        post_lead(client)
        receiver.received.failing = True
        hours = 0
        run_until_idle(worker)
        while deliveries(client)[0]["status"] == "pending":
            clock.advance(hours=1)
            hours += 1
            run_until_idle(worker)
            assert hours < 40, "never became a dead letter"
        (dead,) = deliveries(client, status="dead")
        assert dead["attempts"] >= 10 and "500" in dead["last_error"]
        assert 23 <= hours <= 25  # about 24 hours after the first failure

        receiver.received.failing = False
        response = client.post(f"/v1/notifications/deliveries/{dead['id']}/redeliver")
        assert response.status_code == 200 and response.json()["status"] == "pending"
        assert run_until_idle(worker).sent == 1
        assert len(receiver.received.events) == 1
        again = client.post(f"/v1/notifications/deliveries/{dead['id']}/redeliver")
        assert again.status_code == 409


class TestSubscriptions:
    def test_crud_and_validation(self, client: TestClient) -> None:
        created = client.post("/v1/webhooks", json={"url": "https://hooks.example/pm"})
        assert created.status_code == 201
        body = created.json()
        assert len(body["secret"]) >= 32 and body["event_types"] == []
        listed = client.get("/v1/webhooks").json()
        assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
        patched = client.patch(f"/v1/webhooks/{body['id']}", json={"active": False})
        assert patched.json()["active"] is False
        bad = client.post("/v1/webhooks", json={"url": "not a url", "event_types": ["lead.party"]})
        assert bad.status_code == 422
        named = {d["field"] for d in bad.json()["error"]["details"]}
        assert {"url", "event_types.0"} <= named
        assert client.delete(f"/v1/webhooks/{body['id']}").status_code == 204
        assert client.get(f"/v1/webhooks/{body['id']}").status_code == 404
