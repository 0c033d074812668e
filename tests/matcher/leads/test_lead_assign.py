"""POST /v1/leads/{id}/assign: a channel manager hands a lead to a chosen eligible partner."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.matcher.factories import (
    accept,
    create_account,
    error_fields,
    kinds,
    post_lead,
    reserved_lead,
    skilled_partner,
)


def assign(client: TestClient, lead_id: int, **body: Any) -> Any:
    body.setdefault("reason", "the customer asked for them")
    return client.post(f"/v1/leads/{lead_id}/assign", json=body)


class TestAssign:
    def test_an_unassigned_lead_is_offered_to_the_chosen_partner_and_audited(
        self, client: TestClient
    ) -> None:
        lead = post_lead(client, required_certifications=["CISSP"])
        assert lead["status"] == "unassigned"
        chosen = skilled_partner(
            client,
            aws_level=3,
            certifications=[{"name": "CISSP", "issuer": "ISC2", "earned_at": "2025-01-01"}],
        )
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        response = assign(client, lead["id"], partner_id=chosen, reason="key account")
        assert response.status_code == 200, response.text
        detail = response.json()
        assert (detail["status"], detail["assigned_partner_id"]) == ("offered", chosen)
        assert detail["accept_by"] is not None
        assert kinds(detail)[-2:] == [("assigned", chosen), ("offered", chosen)]
        assigned = detail["history"][-2]
        assert assigned["reason"] == "key account"
        assert assigned["actor"]["role"] == "admin"
        assert accept(client, lead["id"])["status"] == "accepted"

    def test_an_offered_lead_moves_to_the_chosen_partner(self, client: TestClient) -> None:
        best = skilled_partner(client, aws_level=5)
        other = skilled_partner(client, aws_level=2)
        lead = post_lead(client, params={"policy": "best"})
        assert lead["assigned_partner_id"] == best
        detail = assign(client, lead["id"], partner_id=other).json()
        assert detail["assigned_partner_id"] == other
        assert ("withdrawn", best) in kinds(detail)
        assert detail["offers"] == 2

    def test_an_ineligible_partner_is_refused_naming_the_reason(
        self, client: TestClient, clock: Clock
    ) -> None:
        stale = skilled_partner(client, aws_level=5)
        clock.advance(days=200)
        lead = post_lead(client)
        assert lead["status"] == "unassigned"
        response = assign(client, lead["id"], partner_id=stale)
        assert response.status_code == 422
        assert error_fields(response) == {"partner_id"}
        assert "stale_profile" in response.json()["error"]["message"]
        unknown = assign(client, lead["id"], partner_id=987654)
        assert unknown.status_code == 422 and error_fields(unknown) == {"partner_id"}
        assert client.get(f"/v1/leads/{lead['id']}").json()["status"] == "unassigned"

    def test_an_accepted_lead_cannot_be_assigned(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        accept(client, lead["id"])
        assert assign(client, lead["id"], partner_id=partner).status_code == 409


class TestConflictOverride:
    def test_crossing_a_reservation_needs_an_override_with_a_reason(
        self, client: TestClient, clock: Clock
    ) -> None:
        _, other, lead = reserved_lead(client, now=clock.now)
        refused = assign(client, lead["id"], partner_id=other)
        assert refused.status_code == 409
        assert error_fields(refused) == {"override_conflict"}
        empty = assign(client, lead["id"], partner_id=other, override_conflict={"reason": ""})
        assert empty.status_code == 422
        done = assign(
            client, lead["id"], partner_id=other, override_conflict={"reason": "holder agreed"}
        )
        assert done.status_code == 200, done.text
        detail = done.json()
        assert detail["assigned_partner_id"] == other
        override = [e for e in detail["history"] if e["kind"] == "override"]
        assert [e["reason"] for e in override] == ["holder agreed"]

    def test_a_direct_account_needs_an_override(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=5)
        create_account(client, name="Globex", owner="direct")
        lead = post_lead(client, customer={"name": "Globex", "city": "Munich"})
        assert lead["status"] == "direct"
        assert assign(client, lead["id"], partner_id=partner).status_code == 409
        done = assign(
            client, lead["id"], partner_id=partner, override_conflict={"reason": "sales agreed"}
        )
        assert done.json()["status"] == "offered"
