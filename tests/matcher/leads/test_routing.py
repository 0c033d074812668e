"""Lead routing through HTTP: routed at once, decline chain, SLA expiry, policies, conflicts."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from tests.conftest import Clock
from tests.matcher.factories import (
    accept,
    create_account,
    decline,
    in_days,
    kinds,
    post_lead,
    reserve,
    skilled_partner,
    sweep_now,
)

BEST = {"policy": "best"}


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TestRoutedAtOnce:
    def test_the_best_partner_gets_the_offer_with_a_deadline(
        self, client: TestClient, clock: Clock
    ) -> None:
        weaker, best = skilled_partner(client, aws_level=3), skilled_partner(client, aws_level=5)
        lead = post_lead(client, params=BEST)
        assert lead["status"] == "offered"
        assert lead["assigned_partner_id"] == best
        assert at(lead["accept_by"]) == clock.now + timedelta(hours=48)
        assert [c["partner_id"] for c in lead["candidates"]] == [best, weaker]
        top = lead["candidates"][0]
        assert sum(item["contribution"] for item in top["explanation"]) == pytest.approx(
            top["score"]
        )

    def test_get_returns_the_lead_with_its_history(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        detail = client.get(f"/v1/leads/{lead['id']}").json()
        assert kinds(detail) == [("created", None), ("offered", partner)]
        assert detail["history"][0]["actor"]["role"] == "admin"
        assert detail["history"][1]["actor"]["role"] == "system"

    def test_without_a_partner_in_range_the_lead_is_unassigned(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5, locations=[_far_away()])
        lead = post_lead(client)
        assert (lead["status"], lead["reason"]) == ("unassigned", "no_partner_in_range")
        assert lead["candidates"] == []

    def test_a_missing_certification_excludes(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client, required_certifications=["CISSP"])
        assert lead["status"] == "unassigned"
        assert {e["reason"] for e in lead["excluded"]} == {"missing_certification"}


class TestDeclineChain:
    def test_declines_move_down_the_ranking_until_the_offer_limit(self, client: TestClient) -> None:
        first, second, third, _fourth = (
            skilled_partner(client, aws_level=level) for level in (5, 4, 3, 2)
        )
        lead = post_lead(client, params=BEST)
        assert lead["assigned_partner_id"] == first
        assert decline(client, lead["id"])["assigned_partner_id"] == second
        assert decline(client, lead["id"])["assigned_partner_id"] == third
        final = decline(client, lead["id"], reason="not our field")
        assert (final["status"], final["reason"]) == ("unassigned", "max_offers_reached")
        assert final["offers"] == 3 and final["assigned_partner_id"] is None
        assert kinds(final)[1:] == [
            ("offered", first),
            ("declined", first),
            ("offered", second),
            ("declined", second),
            ("offered", third),
            ("declined", third),
            ("unassigned", None),
        ]
        assert final["history"][-2]["reason"] == "not our field"

    def test_a_lead_never_goes_back_to_a_partner_that_had_it(self, client: TestClient) -> None:
        first, second = skilled_partner(client, aws_level=5), skilled_partner(client, aws_level=4)
        lead = post_lead(client, params=BEST)
        assert decline(client, lead["id"])["assigned_partner_id"] == second
        final = decline(client, lead["id"])
        assert (final["status"], final["reason"]) == ("unassigned", "no_eligible_partner")
        assert [p for kind, p in kinds(final) if kind == "offered"] == [first, second]

    def test_accepting_ends_the_chain(self, client: TestClient, clock: Clock) -> None:
        partner = skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        clock.advance(hours=2)
        accepted = accept(client, lead["id"])
        assert accepted["status"] == "accepted"
        assert at(accepted["accepted_at"]) == clock.now
        assert accepted["assigned_partner_id"] == partner
        assert client.post(f"/v1/leads/{lead['id']}/accept").status_code == 409
        again = client.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "oops"})
        assert again.status_code == 409


class TestSlaExpiry:
    def test_an_expired_offer_moves_to_the_next_candidate(
        self, client: TestClient, clock: Clock
    ) -> None:
        first, second = skilled_partner(client, aws_level=5), skilled_partner(client, aws_level=4)
        lead = post_lead(client, params=BEST)
        clock.advance(hours=47)
        assert sweep_now(client) == 0
        clock.advance(hours=1)
        assert sweep_now(client) == 1
        moved = client.get(f"/v1/leads/{lead['id']}").json()
        assert moved["assigned_partner_id"] == second
        assert at(moved["accept_by"]) == clock.now + timedelta(hours=48)
        expiry = moved["history"][2]
        assert (expiry["kind"], expiry["partner_id"], expiry["reason"]) == (
            "expired",
            first,
            "sla_timeout",
        )
        assert expiry["actor"]["role"] == "system"

    def test_a_lapsed_offer_cannot_be_accepted(self, client: TestClient, clock: Clock) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        clock.advance(hours=49)
        assert client.post(f"/v1/leads/{lead['id']}/accept").status_code == 409

    def test_the_last_expiry_leaves_the_lead_unassigned(
        self, client: TestClient, clock: Clock
    ) -> None:
        skilled_partner(client, aws_level=5)
        lead = post_lead(client)
        clock.advance(hours=49)
        sweep_now(client)
        final = client.get(f"/v1/leads/{lead['id']}").json()
        assert (final["status"], final["reason"]) == ("unassigned", "no_eligible_partner")


class TestBackgroundSweep:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"sweep_interval_seconds": 0.05})

    def test_the_service_expires_offers_by_itself(self, client: TestClient, clock: Clock) -> None:
        skilled_partner(client, aws_level=5)
        second = skilled_partner(client, aws_level=4)
        lead = post_lead(client, params=BEST)
        clock.advance(hours=49)
        deadline = datetime.now() + timedelta(seconds=10)
        while datetime.now() < deadline:
            current = client.get(f"/v1/leads/{lead['id']}").json()
            if current["assigned_partner_id"] == second:
                break
            time.sleep(0.02)
        assert current["assigned_partner_id"] == second


class TestPolicies:
    @staticmethod
    def _two_close_partners(client: TestClient) -> tuple[int, int]:
        """Equal but for the tier: scores within the default balance margin (0.05)."""
        capacity = {"max_open_leads": 100}
        gold = skilled_partner(client, aws_level=5, tier="gold", capacity=capacity)
        silver = skilled_partner(client, aws_level=5, tier="silver", capacity=capacity)
        return gold, silver

    def test_best_always_picks_the_top_score(self, client: TestClient) -> None:
        gold, _ = self._two_close_partners(client)
        leads = [post_lead(client, params=BEST) for _ in range(3)]
        assert [lead["assigned_partner_id"] for lead in leads] == [gold, gold, gold]

    def test_balanced_spreads_leads_among_close_scores(self, client: TestClient) -> None:
        gold, silver = self._two_close_partners(client)
        leads = [post_lead(client) for _ in range(3)]
        assert [lead["policy"] for lead in leads] == ["balanced"] * 3
        assert [lead["assigned_partner_id"] for lead in leads] == [gold, silver, gold]

    def test_balanced_keeps_clearly_better_partners_first(self, client: TestClient) -> None:
        best = skilled_partner(client, aws_level=5)
        skilled_partner(client, aws_level=2)
        leads = [post_lead(client) for _ in range(3)]
        assert {lead["assigned_partner_id"] for lead in leads} == {best}


class TestAccountConflicts:
    def test_a_direct_customer_gets_no_partner(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        account = create_account(client, name="Globex", owner="direct")
        lead = post_lead(client, customer={"name": "GLOBEX Corp.", "city": "Munich"})
        assert (lead["status"], lead["reason"]) == ("direct", "direct_account")
        assert lead["assigned_partner_id"] is None
        assert lead["account"]["account_id"] == account["id"]

    def test_a_reserved_customer_goes_to_the_reserving_partner(
        self, client: TestClient, clock: Clock
    ) -> None:
        best = skilled_partner(client, aws_level=5)
        holder = skilled_partner(client, aws_level=2)
        account = create_account(client, name="Müller GmbH", domain="mueller.de")
        reserve(client, account["id"], partner_id=holder, until=in_days(clock.now, 30))
        lead = post_lead(client, customer={"name": "Mueller", "lat": 48.1, "lon": 11.6})
        assert lead["assigned_partner_id"] == holder
        assert [c["partner_id"] for c in lead["candidates"]] == [holder]
        assert {"partner_id": best, "reason": "account_conflict"} in lead["excluded"]
        by_domain = post_lead(
            client, customer={"name": "Other", "domain": "shop.mueller.de", "city": "Munich"}
        )
        assert by_domain["assigned_partner_id"] == holder

    def test_a_parent_reservation_routes_a_subsidiary(
        self, client: TestClient, clock: Clock
    ) -> None:
        skilled_partner(client, aws_level=5)
        holder = skilled_partner(client, aws_level=3)
        parent = create_account(client, name="Umbrella Holding AG")
        create_account(client, name="Umbrella Pharma GmbH", parent_id=parent["id"])
        reserve(client, parent["id"], partner_id=holder, until=in_days(clock.now, 30))
        lead = post_lead(client, customer={"name": "Umbrella Pharma", "city": "Munich"})
        assert lead["assigned_partner_id"] == holder

    def test_an_ineligible_holder_leaves_the_lead_unassigned(
        self, client: TestClient, clock: Clock
    ) -> None:
        holder = skilled_partner(client, aws_level=5)
        account = create_account(client, name="Initech")
        reserve(client, account["id"], partner_id=holder, until=in_days(clock.now, 400))
        clock.advance(days=200)  # the holder's profile is now stale
        other = skilled_partner(client, aws_level=5)
        lead = post_lead(client, customer={"name": "Initech Inc.", "city": "Munich"})
        assert (lead["status"], lead["reason"]) == ("unassigned", "reserved_partner_ineligible")
        assert {"partner_id": holder, "reason": "stale_profile"} in lead["excluded"]
        assert {"partner_id": other, "reason": "account_conflict"} in lead["excluded"]

    def test_the_holder_declining_leaves_the_lead_unassigned(
        self, client: TestClient, clock: Clock
    ) -> None:
        skilled_partner(client, aws_level=5)
        holder = skilled_partner(client, aws_level=3)
        account = create_account(client, name="Initech")
        reserve(client, account["id"], partner_id=holder, until=in_days(clock.now, 30))
        lead = post_lead(client, customer={"name": "Initech", "city": "Munich"})
        final = decline(client, lead["id"])
        assert (final["status"], final["reason"]) == ("unassigned", "no_eligible_partner")


def _far_away() -> dict[str, object]:
    return {
        "city": "Sydney",
        "country": "AU",
        "lat": -33.87,
        "lon": 151.21,
        "service_radius_km": 50,
    }


class TestHistoryFeedsScoring:
    def test_open_leads_and_acceptance_history_reach_the_scorer(self, client: TestClient) -> None:
        decliner = skilled_partner(client, aws_level=5)
        acceptor = skilled_partner(client, aws_level=5, tier="silver")
        first = post_lead(client, params=BEST)
        decline(client, first["id"])
        accept(client, first["id"])  # the acceptor now holds one open lead
        explained = {
            c["partner_id"]: {part["feature"]: part["value"] for part in c["explanation"]}
            for c in post_lead(client, params=BEST)["candidates"]
        }
        assert explained[acceptor]["performance"] > explained[decliner]["performance"]
        assert explained[acceptor]["capacity"] < explained[decliner]["capacity"] == 1.0
