"""Routing keeps what it knew: every ranked candidate's features with the model version, and
the labels that follow (offer, accept/decline/expiry, won/lost with the deal value)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from core.database import transaction
from scoring.models import RoutingExample
from scoring.weights import FEATURES
from tests.conftest import Clock
from tests.matcher.factories import accept, decline, post_lead, skilled_partner, sweep_now

BEST = {"policy": "best"}


def examples(client: TestClient, lead_id: int) -> dict[int, dict[str, Any]]:
    """The lead's stored examples by partner id."""
    with transaction(client.app.state.sessionmaker) as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(RoutingExample).where(RoutingExample.lead_id == lead_id))
        return {
            row.partner_id: {
                "position": row.position,
                "model_version": row.model_version,
                "features": row.features,
                "offered": row.offered,
                "response": row.response,
                "decline_reason": row.decline_reason,
                "outcome": row.outcome,
                "deal_value": row.deal_value,
            }
            for row in rows
        }


class TestRoutingExamples:
    def test_every_ranked_candidate_is_kept_with_its_features(self, client: TestClient) -> None:
        best, second = skilled_partner(client, aws_level=5), skilled_partner(client, aws_level=3)
        lead = post_lead(client, params=BEST)
        stored = examples(client, lead["id"])
        assert set(stored) == {best, second}
        assert stored[best]["position"] == 0 and stored[best]["offered"]
        assert not stored[second]["offered"] and stored[second]["response"] is None
        assert stored[best]["model_version"] == lead["model_version"]
        assert list(stored[best]["features"]) == list(FEATURES)
        published = {p["feature"]: p["value"] for p in lead["candidates"][0]["explanation"]}
        assert stored[best]["features"] == published

    def test_features_are_those_of_routing_time_not_of_today(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=2)
        lead = post_lead(client)
        before = examples(client, lead["id"])[partner]["features"]["required_skills"]
        skills = [{"name": "AWS", "level": 5, "verified": True}]
        assert client.patch(f"/v1/partners/{partner}", json={"skills": skills}).status_code == 200
        assert examples(client, lead["id"])[partner]["features"]["required_skills"] == before

    def test_responses_and_outcomes_are_the_labels(self, client: TestClient, clock: Clock) -> None:
        first, second, third = (skilled_partner(client, aws_level=n) for n in (5, 4, 3))
        lead = post_lead(client, params=BEST)
        decline(client, lead["id"], reason="no SAP team")
        clock.advance(hours=49)
        assert sweep_now(client) == 1  # the second lets the offer lapse
        accept(client, lead["id"])
        closed = {"outcome": "won", "value": 250_000}
        assert client.post(f"/v1/leads/{lead['id']}/close", json=closed).status_code == 200
        stored = examples(client, lead["id"])
        assert (stored[first]["response"], stored[first]["decline_reason"]) == (
            "declined",
            "no SAP team",
        )
        assert stored[second]["response"] == "expired"
        assert (stored[third]["response"], stored[third]["outcome"]) == ("accepted", "won")
        assert stored[third]["deal_value"] == 250_000
        assert all(stored[p]["offered"] for p in (first, second, third))
