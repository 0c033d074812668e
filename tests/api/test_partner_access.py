"""What each caller sees and may change of a partner profile: own, someone else's, public."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.access.models import Role
from profiles.schemas import PartnerPublic
from tests.conftest import ClientAs
from tests.factories import create_partner
from tests.matcher.factories import post_lead, skilled_partner

EXPIRED = {"name": "CISSP", "issuer": "ISC2", "earned_at": "2019-01-01", "expires_at": "2022-01-01"}
ACTIVE = {"name": "CKA", "issuer": "CNCF", "earned_at": "2024-01-01", "expires_at": "2030-01-01"}


def error(response: Any) -> dict[str, Any]:
    return response.json()["error"]


@pytest.fixture
def partners(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Partner A and partner B, both fresh."""
    return create_partner(client, name="Partner A"), create_partner(client, name="Partner B")


class TestPublicView:
    def test_the_public_sees_only_public_fields(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        partner = create_partner(client, external_id="CRM-7", certifications=[EXPIRED, ACTIVE])
        response = anonymous_client.get(f"/v1/partners/{partner['id']}")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == set(PartnerPublic.model_fields)
        for internal in ("capacity", "external_id", "version", "freshness", "attested_at"):
            assert internal not in body
        assert [cert["name"] for cert in body["certifications"]] == [
            "Certified Kubernetes Administrator (CKA)"  # the acronym resolves to the taxonomy name
        ]
        assert "ETag" not in response.headers

    def test_a_stale_partner_is_as_unknown_to_the_public_as_a_missing_one(
        self, client: TestClient, anonymous_client: TestClient
    ) -> None:
        stale = create_partner(client, certifications=[EXPIRED])
        assert stale["freshness"]["status"] == "stale"
        hidden = anonymous_client.get(f"/v1/partners/{stale['id']}")
        missing = anonymous_client.get("/v1/partners/999999")
        assert hidden.status_code == missing.status_code == 404
        assert error(hidden)["message"] == f"partner {stale['id']} not found"
        assert error(hidden)["code"] == error(missing)["code"]

    def test_managers_still_see_stale_partners_in_full(
        self, client: TestClient, client_as: ClientAs
    ) -> None:
        stale = create_partner(client, certifications=[EXPIRED])
        response = client_as(Role.MANAGER).get(f"/v1/partners/{stale['id']}")
        assert response.status_code == 200
        assert response.json()["freshness"]["status"] == "stale"


class TestPartnerKeys:
    def test_a_partner_reads_its_own_profile_in_full(
        self, partners: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
    ) -> None:
        own, _ = partners
        response = client_as(Role.PARTNER, partner_id=own["id"]).get(f"/v1/partners/{own['id']}")
        assert response.json() == own
        assert response.headers["ETag"] == '"1"'

    def test_a_partner_sees_another_partner_as_the_public_does(
        self, partners: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
    ) -> None:
        own, other = partners
        response = client_as(Role.PARTNER, partner_id=own["id"]).get(f"/v1/partners/{other['id']}")
        assert set(response.json()) == set(PartnerPublic.model_fields)

    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [("PATCH", "", {"name": "Hijacked"}), ("POST", "/attest", None)],
    )
    def test_another_partners_profile_answers_like_an_unknown_id(
        self,
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        partners: tuple[dict[str, Any], dict[str, Any]],
        client: TestClient,
        client_as: ClientAs,
    ) -> None:
        own, other = partners
        partner_a = client_as(Role.PARTNER, partner_id=own["id"])
        foreign = partner_a.request(method, f"/v1/partners/{other['id']}{suffix}", json=body)
        unknown = partner_a.request(method, f"/v1/partners/999999{suffix}", json=body)
        assert foreign.status_code == unknown.status_code == 404
        assert error(foreign) == {**error(unknown), "message": f"partner {other['id']} not found"}
        assert client.get(f"/v1/partners/{other['id']}").json() == other

    def test_a_partner_cannot_delete_any_profile(
        self, partners: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
    ) -> None:
        own, other = partners
        partner_a = client_as(Role.PARTNER, partner_id=own["id"])
        for partner in (own, other):
            response = partner_a.delete(f"/v1/partners/{partner['id']}")
            assert response.status_code == 403
            assert error(response)["code"] == "forbidden"

    def test_a_partner_updates_and_attests_its_own_profile(
        self, partners: tuple[dict[str, Any], dict[str, Any]], client_as: ClientAs
    ) -> None:
        own, _ = partners
        partner_a = client_as(Role.PARTNER, partner_id=own["id"])
        updated = partner_a.patch(f"/v1/partners/{own['id']}", json={"name": "A Renamed"})
        assert updated.status_code == 200
        assert updated.json()["name"] == "A Renamed"
        attested = partner_a.post(f"/v1/partners/{own['id']}/attest")
        assert attested.status_code == 200
        assert attested.json()["attested_at"] is not None

    def test_tier_and_capacity_stay_a_channel_manager_decision(
        self,
        partners: tuple[dict[str, Any], dict[str, Any]],
        client: TestClient,
        client_as: ClientAs,
    ) -> None:
        own, _ = partners
        partner_a = client_as(Role.PARTNER, partner_id=own["id"])
        change = {"tier": "platinum", "capacity": {"max_open_leads": 500}, "name": "A"}
        response = partner_a.patch(f"/v1/partners/{own['id']}", json=change)
        assert response.status_code == 403
        assert [detail["field"] for detail in error(response)["details"]] == ["capacity", "tier"]
        assert client.get(f"/v1/partners/{own['id']}").json() == own
        managed = client_as(Role.MANAGER).patch(f"/v1/partners/{own['id']}", json=change)
        assert managed.status_code == 200


class TestLeadIsolation:
    @pytest.fixture
    def lead(self, client: TestClient) -> tuple[dict[str, Any], int, int]:
        """A lead offered to partner A (the better match) rather than partner B."""
        own = skilled_partner(client, aws_level=5, name="Partner A")
        other = skilled_partner(client, aws_level=2, name="Partner B")
        lead = post_lead(client)
        assert lead["assigned_partner_id"] == own
        return lead, own, other

    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("GET", "", None),
            ("POST", "/accept", None),
            ("POST", "/decline", {"reason": "not ours"}),
        ],
    )
    def test_another_partners_lead_answers_like_an_unknown_id(
        self,
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        lead: tuple[dict[str, Any], int, int],
        client: TestClient,
        client_as: ClientAs,
    ) -> None:
        offered, _, other = lead
        partner_b = client_as(Role.PARTNER, partner_id=other)
        foreign = partner_b.request(method, f"/v1/leads/{offered['id']}{suffix}", json=body)
        unknown = partner_b.request(method, f"/v1/leads/999999{suffix}", json=body)
        assert foreign.status_code == unknown.status_code == 404
        assert error(foreign)["code"] == error(unknown)["code"]
        assert client.get(f"/v1/leads/{offered['id']}").json()["status"] == "offered"

    def test_the_partner_offered_the_lead_reads_and_accepts_it(
        self, lead: tuple[dict[str, Any], int, int], client_as: ClientAs
    ) -> None:
        offered, own, _ = lead
        partner_a = client_as(Role.PARTNER, partner_id=own)
        assert partner_a.get(f"/v1/leads/{offered['id']}").status_code == 200
        accepted = partner_a.post(f"/v1/leads/{offered['id']}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "accepted"
