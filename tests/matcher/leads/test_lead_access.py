"""Who may do what with leads, accounts and reports; partners see only their own leads."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.access.models import Role
from tests.conftest import ClientAs
from tests.matcher.factories import kinds, lead_payload, post_lead, skilled_partner


class TestPartnerKeys:
    def test_a_partner_sees_and_accepts_its_own_offer(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        best = skilled_partner(client, aws_level=5)
        skilled_partner(client, aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        partner = client_as(Role.PARTNER, partner_id=best)
        seen = partner.get(f"/v1/leads/{lead['id']}").json()
        assert [c["partner_id"] for c in seen["candidates"]] == [best]
        assert seen["excluded"] == []
        accepted = partner.post(f"/v1/leads/{lead['id']}/accept").json()
        assert accepted["status"] == "accepted"
        assert accepted["history"][-1]["actor"]["role"] == "partner"
        assert accepted["history"][-1]["actor"]["on_behalf_of_partner_id"] is None

    def test_another_partner_gets_404(self, client: TestClient, client_as: ClientAs) -> None:
        skilled_partner(client, aws_level=5)
        other = skilled_partner(client, aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        stranger = client_as(Role.PARTNER, partner_id=other)
        assert stranger.get(f"/v1/leads/{lead['id']}").status_code == 404
        assert stranger.post(f"/v1/leads/{lead['id']}/accept").status_code == 404
        response = stranger.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "x"})
        assert response.status_code == 404

    def test_a_partner_that_declined_no_longer_sees_the_lead(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        best = skilled_partner(client, aws_level=5)
        skilled_partner(client, aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        partner = client_as(Role.PARTNER, partner_id=best)
        assert partner.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "busy"})
        assert partner.get(f"/v1/leads/{lead['id']}").status_code == 404

    def test_partners_may_not_create_leads_or_read_accounts_and_reports(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        partner = client_as(Role.PARTNER, partner_id=skilled_partner(client, aws_level=5))
        assert partner.post("/v1/leads", json=lead_payload()).status_code == 403
        assert partner.post("/v1/accounts", json={"name": "Acme"}).status_code == 403
        assert partner.get("/v1/accounts/check", params={"name": "Acme"}).status_code == 403
        assert partner.get("/v1/reports/routing").status_code == 403

    def test_the_public_needs_a_key(self, client: TestClient, client_as: ClientAs) -> None:
        public = client_as(Role.PUBLIC)
        assert public.post("/v1/leads", json=lead_payload()).status_code == 401
        assert public.get("/v1/leads/1").status_code == 401


class TestManagerKeys:
    def test_a_manager_acting_for_a_partner_is_recorded(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        best = skilled_partner(client, aws_level=5)
        manager = client_as(Role.MANAGER)
        lead = post_lead(manager)
        declined = manager.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "on phone"})
        event = declined.json()["history"][-2]
        assert kinds(declined.json())[-2] == ("declined", best)
        assert event["actor"]["role"] == "manager"
        assert event["actor"]["on_behalf_of_partner_id"] == best
        assert event["actor"]["key_id"] is not None
