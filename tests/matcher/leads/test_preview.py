"""POST /v1/leads/preview over HTTP on a hand-made data set where the right partner is obvious."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.access.models import Role
from tests.conftest import ClientAs, Clock
from tests.factories import create_partner, location, partner_payload

CKA = "Certified Kubernetes Administrator (CKA)"
BERLIN = location(city="Berlin", lat=52.520, lon=13.405)


def certification(*, expires_in_days: int | None) -> dict[str, Any]:
    expires = datetime.now(UTC).date() + timedelta(days=expires_in_days or 0)
    return {
        "name": CKA,
        "issuer": "CNCF",
        "earned_at": "2024-01-15",
        "expires_at": None if expires_in_days is None else str(expires),
    }


def kubernetes_partner(client: TestClient, name: str, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "name": name,
        "tier": "gold",
        "skills": [{"name": "Kubernetes", "level": 4, "verified": True}],
        "certifications": [certification(expires_in_days=365)],
        **overrides,
    }
    return create_partner(client, **fields)["id"]


def lead(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Kubernetes platform for a Munich manufacturer",
        "customer": {
            "name": "Bavaria Motors AG",
            "domain": "bavaria-motors.example",
            "city": "Munich",
            "country": "DE",
        },
        "required_skills": ["k8s"],
        "required_certifications": [CKA],
        "industry": "Manufacturing",
        "language": "de",
        "deal_size": 250000,
    }
    body.update(overrides)
    return body


def preview(client: TestClient, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    client.app.state.index.catch_up()  # type: ignore[attr-defined]  # read our own writes
    response = client.post("/v1/leads/preview", json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def munich_market(client: TestClient) -> dict[str, int]:
    """Five partners around a Munich lead needing Kubernetes and an active CKA."""
    stale_line = partner_payload(
        external_id="CRM-STALE",
        name="Stale Kubernetes Munich",
        skills=[{"name": "Kubernetes", "level": 5, "verified": True}],
        certifications=[certification(expires_in_days=365)],
        profile_updated_at=(datetime.now(UTC) - timedelta(days=400)).isoformat(),
    )
    imported = client.post(
        "/v1/partners/import",
        content=json.dumps(stale_line).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert imported.json()["created"] == 1, imported.text
    return {
        "munich": kubernetes_partner(client, "Munich Kubernetes Gold"),
        "berlin": kubernetes_partner(client, "Berlin Kubernetes Gold", locations=[BERLIN]),
        "no_skill": kubernetes_partner(
            client, "Munich Without Kubernetes", skills=[{"name": "AWS", "level": 5}]
        ),
        "expired_cert": kubernetes_partner(
            client,
            "Munich Expired CKA",
            certifications=[
                certification(expires_in_days=-10),
                {"name": "CKS", "earned_at": "2024-01-01", "expires_at": None},
            ],
        ),
        "stale": client.get("/v1/partners/stale").json()["items"][0]["partner_id"],
    }


class TestObviousRanking:
    def test_the_munich_kubernetes_gold_partner_wins(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        result = preview(client, lead())
        ranked = [candidate["partner_id"] for candidate in result["candidates"]]
        assert ranked[0] == munich_market["munich"]
        for loser in ("berlin", "no_skill"):
            assert munich_market[loser] not in ranked[:1]
        winner = result["candidates"][0]
        assert winner["distance_km"] < 1
        assert result["model_version"] == "hand-2026-11-2"
        assert result["location"] == {
            "lat": pytest.approx(48.137, abs=0.05),
            "lon": pytest.approx(11.575, abs=0.05),
        }

    def test_stale_and_expired_certification_partners_are_excluded_with_reasons(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        result = preview(client, lead())
        excluded = {item["partner_id"]: item["reason"] for item in result["excluded"]}
        assert excluded[munich_market["stale"]] == "stale_profile"
        assert excluded[munich_market["expired_cert"]] == "missing_certification"
        ranked = {candidate["partner_id"] for candidate in result["candidates"]}
        assert ranked.isdisjoint(excluded)

    def test_the_explanation_adds_up_to_the_score(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        for candidate in preview(client, lead())["candidates"]:
            contributions = [part["contribution"] for part in candidate["explanation"]]
            assert round(sum(contributions), 6) == candidate["score"]
            assert {part["feature"] for part in candidate["explanation"]} >= {
                "required_skills",
                "distance",
                "freshness",
            }

    def test_attesting_brings_a_stale_partner_back(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        client.post(f"/v1/partners/{munich_market['stale']}/attest").raise_for_status()
        ranked = [c["partner_id"] for c in preview(client, lead())["candidates"]]
        assert munich_market["stale"] in ranked

    def test_a_required_certification_counts_only_while_active_on_the_lead_date(
        self, client: TestClient, clock: Clock
    ) -> None:
        expiring = kubernetes_partner(
            client,
            "Munich CKA Expiring Soon",
            certifications=[
                certification(expires_in_days=30),
                {"name": "CKS", "earned_at": "2024-01-01", "expires_at": None},
            ],
        )
        assert [c["partner_id"] for c in preview(client, lead())["candidates"]] == [expiring]
        clock.advance(days=31)
        result = preview(client, lead())
        assert result["candidates"] == []
        assert result["excluded"] == [{"partner_id": expiring, "reason": "missing_certification"}]

    def test_nothing_is_stored(self, client: TestClient, munich_market: dict[str, int]) -> None:
        preview(client, lead())
        munich = client.get(f"/v1/partners/{munich_market['munich']}").json()
        assert munich["version"] == 1

    def test_limit_caps_the_candidates(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        assert len(preview(client, lead(required_certifications=[]), limit=1)["candidates"]) == 1


class TestBeyondTheServiceArea:
    def test_a_partner_serving_another_city_is_out_of_range(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        result = preview(client, lead())
        assert munich_market["berlin"] not in [c["partner_id"] for c in result["candidates"]]

    def test_a_lead_widening_its_search_ranks_it_below_with_little_distance_credit(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        candidates = preview(client, lead(max_km_beyond_radius=500))["candidates"]
        ranked = [candidate["partner_id"] for candidate in candidates]
        assert ranked.index(munich_market["berlin"]) > ranked.index(munich_market["munich"])
        berlin = candidates[ranked.index(munich_market["berlin"])]
        distance = {p["feature"]: p["contribution"] for p in berlin["explanation"]}["distance"]
        assert berlin["distance_km"] == pytest.approx(504, abs=5)
        assert distance < 0.01


class TestLocation:
    def test_an_explicit_location_wins_over_the_customer_place(
        self, client: TestClient, munich_market: dict[str, int]
    ) -> None:
        result = preview(client, lead(location={"lat": 52.52, "lon": 13.405}))
        assert result["candidates"][0]["partner_id"] == munich_market["berlin"]

    def test_a_customer_with_coordinates_only(self, client: TestClient) -> None:
        customer = {"name": "Bavaria Motors AG", "lat": 48.137, "lon": 11.575}
        assert preview(client, lead(customer=customer))["location"] == {
            "lat": 48.137,
            "lon": 11.575,
        }


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "fields"),
        [
            ({"title": ""}, ["title"]),
            ({"customer": None}, ["customer"]),
            ({"customer": {"name": "X", "country": "XX"}}, ["customer.country"]),
            (
                {"customer": {"name": "X", "city": "Munich", "domain": "not a domain"}},
                ["customer.domain"],
            ),
            ({"customer": {"name": "X"}}, ["location"]),
            ({"customer": {"name": "X"}, "location": {}}, ["location"]),
            ({"location": {"lat": 95, "lon": 0}}, ["location.lat"]),
            ({"location": {"lat": 48.1}}, ["location"]),
            ({"required_skills": [""]}, ["required_skills.0"]),
            ({"required_skills": "Kubernetes"}, ["required_skills"]),
            ({"language": "xx"}, ["language"]),
            ({"industry": ""}, ["industry"]),
            ({"deal_size": -1}, ["deal_size"]),
            ({"priority": "high"}, ["priority"]),
            ({"language": "xx", "deal_size": "lots"}, ["language", "deal_size"]),
        ],
    )
    def test_each_invalid_field_is_named(
        self, client: TestClient, overrides: dict[str, Any], fields: list[str]
    ) -> None:
        response = client.post("/v1/leads/preview", json=lead(**overrides))
        assert response.status_code == 422, response.text
        named = [detail["field"] for detail in response.json()["error"]["details"]]
        assert named == fields

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"location": {"city": "Atlantis", "country": "DE"}}, "location.city"),
            ({"customer": {"name": "X", "city": "Nowhereville"}}, "customer.city"),
        ],
    )
    def test_a_place_that_cannot_be_geocoded_is_named(
        self, client: TestClient, overrides: dict[str, Any], field: str
    ) -> None:
        response = client.post("/v1/leads/preview", json=lead(**overrides))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["field"] == field

    def test_malformed_json_is_a_400(self, client: TestClient) -> None:
        response = client.post(
            "/v1/leads/preview", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400


class TestAccess:
    @pytest.mark.parametrize(
        ("role", "status"), [(Role.MANAGER, 200), (Role.PARTNER, 403), (Role.PUBLIC, 401)]
    )
    def test_managers_and_admins_only(
        self, client: TestClient, client_as: ClientAs, role: Role, status: int
    ) -> None:
        partner_id = kubernetes_partner(client, "Munich Kubernetes Gold")
        caller = client_as(role, partner_id=partner_id if role is Role.PARTNER else None)
        assert caller.post("/v1/leads/preview", json=lead()).status_code == status
