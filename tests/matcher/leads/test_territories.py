"""Territories through a real `partnermatch serve`: a lead is never offered to a partner beyond
its office's service radius (plus the configured tolerance or the lead's own widening), and a
lead nobody serves goes back to the channel manager."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from geopy.distance import geodesic
from sqlalchemy import Engine

from tests.factories import create_partner, location, partner_payload
from tests.matcher.factories import lead_payload
from tests.matcher.served import served, wait_indexed

pytestmark = pytest.mark.e2e

MUNICH = (48.137, 11.575)
RADIUS_KM = 100.0


def east_of_munich(km: float) -> dict[str, float]:
    """A point `km` (geodesic) due east of the Munich office."""
    point = geodesic(kilometers=km).destination(MUNICH, bearing=90)
    return {"lat": point.latitude, "lon": point.longitude}


def lead_at(km: float, **fields: Any) -> dict[str, Any]:
    customer = {"name": f"Customer {km} km out", **east_of_munich(km)}
    return lead_payload(customer=customer, **fields)


def munich_partner(client: httpx.Client, **overrides: Any) -> int:
    """A partner whose one office, in Munich, serves RADIUS_KM around it."""
    office = location(service_radius_km=RADIUS_KM)
    return int(create_partner(client, locations=[office], **overrides)["id"])


def route(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    wait_indexed(client)
    response = client.post("/v1/leads", json=body, params={"policy": "best"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def server(database_url: str, clean_db: Engine, tmp_path: Path) -> Iterator[httpx.Client]:
    with served(clean_db, database_url=database_url, index_dir=tmp_path / "index") as client:
        yield client


class TestAtTheEdge:
    def test_just_inside_the_radius_the_partner_gets_the_offer(self, server: httpx.Client) -> None:
        edge = munich_partner(server)
        lead = route(server, lead_at(RADIUS_KM - 1))
        assert (lead["status"], lead["assigned_partner_id"]) == ("offered", edge)
        assert lead["max_km_beyond_radius"] == 0

    def test_just_outside_the_radius_nobody_is_offered_the_lead(self, server: httpx.Client) -> None:
        edge = munich_partner(server)
        lead = route(server, lead_at(RADIUS_KM + 1))
        assert (lead["status"], lead["reason"]) == ("unassigned", "no_partner_in_range")
        assert lead["candidates"] == []
        assert lead["excluded"] == [{"partner_id": edge, "reason": "out_of_range"}]

    def test_a_decline_never_moves_the_lead_outside_a_territory(self, server: httpx.Client) -> None:
        near = munich_partner(server, name="Near")
        skills = [{"name": "AWS", "level": 5, "verified": True}]
        office = location(lat=48.137, lon=10.2, service_radius_km=RADIUS_KM)  # ~102 km west
        far = server.post(
            "/v1/partners",
            json=partner_payload(name="Far", locations=[office], skills=skills),
        ).json()["id"]
        lead = route(server, lead_at(5))
        assert lead["assigned_partner_id"] == near
        assert {"partner_id": far, "reason": "out_of_range"} in lead["excluded"]
        declined = server.post(f"/v1/leads/{lead['id']}/decline", json={"reason": "busy"}).json()
        assert (declined["status"], declined["reason"]) == ("unassigned", "no_eligible_partner")
        offered_to = {e["partner_id"] for e in declined["history"] if e["kind"] == "offered"}
        assert offered_to == {near}


class TestWidening:
    def test_a_lead_may_widen_the_search_and_it_is_in_its_history(
        self, server: httpx.Client
    ) -> None:
        edge = munich_partner(server)
        lead = route(server, lead_at(RADIUS_KM + 1, max_km_beyond_radius=5))
        assert (lead["status"], lead["assigned_partner_id"]) == ("offered", edge)
        history = server.get(f"/v1/leads/{lead['id']}").json()["history"]
        widened = [event for event in history if event["kind"] == "widened"]
        assert [event["reason"] for event in widened] == ["5 km beyond service radius"]

    def test_a_widening_too_small_still_excludes(self, server: httpx.Client) -> None:
        munich_partner(server)
        lead = route(server, lead_at(RADIUS_KM + 3, max_km_beyond_radius=1))
        assert lead["reason"] == "no_partner_in_range"


def test_a_configured_tolerance_admits_partners_just_beyond_their_radius(
    database_url: str, clean_db: Engine, tmp_path: Path
) -> None:
    with served(
        clean_db, database_url=database_url, index_dir=tmp_path / "i", lead_radius_tolerance_km=5
    ) as client:
        edge = munich_partner(client)
        lead = route(client, lead_at(RADIUS_KM + 3))
        assert lead["assigned_partner_id"] == edge, lead
        assert route(client, lead_at(RADIUS_KM + 8))["reason"] == "no_partner_in_range"
