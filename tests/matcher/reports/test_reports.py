"""GET /v1/reports/routing on a known history: every figure checked by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.matcher.factories import (
    accept,
    create_account,
    decline,
    error_fields,
    post_lead,
    skilled_partner,
    sweep_now,
)

BEST = {"policy": "best"}


class TestRoutingReport:
    def test_figures_of_a_known_history(self, client: TestClient, clock: Clock) -> None:
        first, second, third = (skilled_partner(client, aws_level=level) for level in (5, 4, 3))
        create_account(client, name="Globex", owner="direct")
        start = clock.now
        a, b, c = (post_lead(client, params=BEST)["id"] for _ in range(3))
        post_lead(client, customer={"name": "Globex", "city": "Munich"})  # direct
        post_lead(client, params=BEST)  # stays offered
        clock.advance(hours=1)
        accept(client, a)  # 1 h to accept
        decline(client, b)  # to the second partner
        decline(client, c)
        clock.advance(hours=2)
        accept(client, b)  # 3 h to accept, after one reassignment
        decline(client, c)
        decline(client, c)  # third decline: unassigned
        clock.advance(days=1)
        post_lead(client)  # outside the window

        window = {"from": start.isoformat(), "to": (start + timedelta(hours=12)).isoformat()}
        report = client.get("/v1/reports/routing", params=window).json()

        assert report["leads"] == 5
        assert report["by_status"] == {"offered": 1, "accepted": 2, "unassigned": 1, "direct": 1}
        assert report["acceptance_rate"] == pytest.approx(2 / 6)  # per answered offer
        assert report["offers"] == {
            "offers": 7,
            "accepted": 2,
            "declined": 4,
            "expired": 0,
            "withdrawn": 0,
            "open": 1,
            "acceptance_rate": pytest.approx(2 / 6),
        }
        by_partner = {p["partner_id"]: p for p in report["partners"]}
        assert [p["partner_id"] for p in report["partners"]] == [first, second, third]
        assert by_partner[first]["acceptance_rate"] == pytest.approx(1 / 3)
        assert by_partner[first]["median_response_seconds"] == 3600.0
        assert by_partner[second]["median_response_seconds"] == 7200.0
        assert (by_partner[third]["declined"], by_partner[third]["acceptance_rate"]) == (1, 0.0)
        assert report["time_to_accept_seconds"] == {"median": 7200.0, "p90": 10080.0}
        assert report["reassignments"] == 3
        assert report["leads_per_partner"] == [
            {"partner_id": first, "leads": 4},
            {"partner_id": second, "leads": 2},
            {"partner_id": third, "leads": 1},
        ]
        assert report["gini"] == pytest.approx(6 / 21)
        assert report["unassigned_reasons"] == {"max_offers_reached": 1}

    def test_won_and_lost_deals_with_their_values(self, client: TestClient, clock: Clock) -> None:
        skilled_partner(client, aws_level=5)
        window = {"from": clock.now.isoformat(), "to": (clock.now + timedelta(1)).isoformat()}
        won, lost, open_ = (post_lead(client)["id"] for _ in range(3))
        for lead in (won, lost, open_):
            accept(client, lead)
        for lead, outcome, value in ((won, "won", 120_000), (lost, "lost", 40_000)):
            closed = client.post(
                f"/v1/leads/{lead}/close", json={"outcome": outcome, "value": value}
            )
            assert closed.json()["deal_value"] == value
        report = client.get("/v1/reports/routing", params=window).json()
        assert report["outcomes"] == {
            "won": 1,
            "lost": 1,
            "win_rate": 0.5,
            "won_value": 120_000,
            "lost_value": 40_000,
        }

    def test_declines_and_expiries_lower_the_acceptance_rate(
        self, client: TestClient, clock: Clock
    ) -> None:
        first, second = (skilled_partner(client, aws_level=level) for level in (5, 4))
        window = {"from": clock.now.isoformat(), "to": (clock.now + timedelta(1)).isoformat()}
        lead = post_lead(client, params=BEST)["id"]
        decline(client, lead)  # first declines, the lead moves on to second
        accept(client, lead)
        post_lead(client, params=BEST)
        clock.advance(hours=49)
        sweep_now(client)  # first let it expire
        report = client.get("/v1/reports/routing", params=window).json()
        assert report["acceptance_rate"] == pytest.approx(1 / 3)
        assert (report["offers"]["declined"], report["offers"]["expired"]) == (1, 1)
        by_partner = {p["partner_id"]: p for p in report["partners"]}
        assert by_partner[first]["acceptance_rate"] == 0.0
        assert by_partner[second]["accepted"] == 1

    def test_won_and_lost_per_partner(self, client: TestClient, clock: Clock) -> None:
        partner = skilled_partner(client, aws_level=5)
        window = {"from": clock.now.isoformat(), "to": (clock.now + timedelta(1)).isoformat()}
        won, lost = (post_lead(client)["id"] for _ in range(2))
        for lead, outcome in ((won, "won"), (lost, "lost")):
            accept(client, lead)
            client.post(f"/v1/leads/{lead}/close", json={"outcome": outcome}).raise_for_status()
        (figures,) = client.get("/v1/reports/routing", params=window).json()["partners"]
        assert (figures["partner_id"], figures["won"], figures["lost"]) == (partner, 1, 1)

    def test_an_empty_window(self, client: TestClient) -> None:
        report = client.get("/v1/reports/routing").json()
        assert report["leads"] == 0
        assert report["acceptance_rate"] is None and report["gini"] is None
        assert report["unassigned_reasons"] == {}

    def test_a_reversed_window_is_refused(self, client: TestClient, clock: Clock) -> None:
        params = {"from": clock.now.isoformat(), "to": (clock.now - timedelta(days=1)).isoformat()}
        response = client.get("/v1/reports/routing", params=params)
        assert (response.status_code, error_fields(response)) == (422, {"from"})

    @pytest.mark.parametrize("value", ["0.5", "1700000000", "yesterday", "26.11.2026"])
    def test_a_date_that_is_not_iso_8601_is_refused(self, client: TestClient, value: str) -> None:
        response = client.get("/v1/reports/routing", params={"to": value})
        assert (response.status_code, error_fields(response)) == (422, {"to"})

    def test_dates_at_the_ends_of_the_calendar(self, client: TestClient) -> None:
        early = client.get("/v1/reports/routing", params={"to": "0001-01-02T00:00:00Z"})
        assert early.status_code == 200 and early.json()["leads"] == 0
        late = {"from": "9999-12-31T23:00:00-05:00"}
        response = client.get("/v1/reports/routing", params=late)
        assert (response.status_code, error_fields(response)) == (422, {"from"})

    def test_malformed_dates_are_named(self, client: TestClient) -> None:
        response = client.get("/v1/reports/routing", params={"from": "yesterday", "to": "x"})
        assert (response.status_code, error_fields(response)) == (422, {"from", "to"})
