"""Capacity: a partner never holds more open leads than max_open_leads, also under load."""

from __future__ import annotations

import threading
from collections import Counter

from fastapi.testclient import TestClient

from tests.matcher.factories import accept, lead_payload, post_lead, skilled_partner

BEST = {"policy": "best"}


def one_slot_partners(client: TestClient) -> tuple[int, int]:
    first = skilled_partner(client, aws_level=5, capacity={"max_open_leads": 1})
    second = skilled_partner(client, aws_level=3, capacity={"max_open_leads": 1})
    return first, second


class TestCapacity:
    def test_a_full_partner_is_excluded(self, client: TestClient) -> None:
        first, second = one_slot_partners(client)
        assert post_lead(client, params=BEST)["assigned_partner_id"] == first
        lead = post_lead(client, params=BEST)
        assert lead["assigned_partner_id"] == second
        assert {"partner_id": first, "reason": "at_capacity"} in lead["excluded"]
        assert post_lead(client, params=BEST)["status"] == "unassigned"

    def test_a_decline_frees_the_slot(self, client: TestClient) -> None:
        first, _ = one_slot_partners(client)
        lead = post_lead(client, params=BEST)
        client.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "busy"})
        assert post_lead(client, params=BEST)["assigned_partner_id"] == first

    def test_an_accepted_lead_holds_the_slot_until_closed(self, client: TestClient) -> None:
        first, second = one_slot_partners(client)
        lead = post_lead(client, params=BEST)
        accept(client, lead["id"])
        assert post_lead(client, params=BEST)["assigned_partner_id"] == second
        closed = client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["outcome"] == "won"
        assert closed.json()["history"][-1]["kind"] == "closed"
        assert post_lead(client, params=BEST)["assigned_partner_id"] == first

    def test_only_an_accepted_lead_can_be_closed(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        response = client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won"})
        assert response.status_code == 409


class TestCapacityUnderConcurrency:
    def test_concurrent_leads_never_overfill_a_partner(self, client: TestClient) -> None:
        partners = [
            skilled_partner(client, aws_level=level, capacity={"max_open_leads": 2})
            for level in (5, 4, 3)
        ]
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        start = threading.Barrier(10)
        leads: list[dict] = []

        def route() -> None:
            start.wait()
            response = client.post("/v1/leads", json=lead_payload(), params=BEST)
            assert response.status_code == 201, response.text
            leads.append(response.json())

        threads = [threading.Thread(target=route) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assigned = Counter(lead["assigned_partner_id"] for lead in leads)
        assert assigned == {partners[0]: 2, partners[1]: 2, partners[2]: 2, None: 4}
        assert {lead["reason"] for lead in leads if lead["status"] == "unassigned"} == {
            "no_eligible_partner"
        }
