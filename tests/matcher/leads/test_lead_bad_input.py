"""Bad input to lead routing: every invalid field is named in a 4xx, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.matcher.factories import error_fields, lead_payload, post_lead, skilled_partner


class TestLeadBadInput:
    def test_every_invalid_field_is_named(self, client: TestClient) -> None:
        body = lead_payload(
            title="",
            customer={"name": "Acme", "lat": 91, "lon": 11.5},
            language="klingon",
            deal_size=-5,
            required_skills="AWS",
        )
        response = client.post("/v1/leads", json=body)
        assert response.status_code == 422
        assert error_fields(response) == {
            "title",
            "customer.lat",
            "language",
            "deal_size",
            "required_skills",
        }

    def test_a_lead_without_a_place_is_refused(self, client: TestClient) -> None:
        response = client.post("/v1/leads", json=lead_payload(customer={"name": "Acme"}))
        assert (response.status_code, error_fields(response)) == (422, {"location"})

    def test_bad_routing_options_are_named(self, client: TestClient) -> None:
        response = client.post(
            "/v1/leads", json=lead_payload(), params={"policy": "random", "limit": 0}
        )
        assert (response.status_code, error_fields(response)) == (422, {"policy", "limit"})

    def test_a_decline_needs_a_reason(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        for body in ({}, {"reason": ""}):
            response = client.post(f"/v1/leads/{lead['id']}/decline", json=body)
            assert (response.status_code, error_fields(response)) == (422, {"reason"})

    def test_a_close_needs_a_known_outcome(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        response = client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "maybe"})
        assert (response.status_code, error_fields(response)) == (422, {"outcome"})

    def test_unknown_and_malformed_lead_ids(self, client: TestClient) -> None:
        assert client.get("/v1/leads/999").status_code == 404
        assert client.post("/v1/leads/999/accept").status_code == 404
        response = client.get("/v1/leads/0")
        assert (response.status_code, error_fields(response)) == (422, {"lead_id"})
