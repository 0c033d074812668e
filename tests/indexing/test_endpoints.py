"""GET /v1/partners/search over HTTP, on a small world whose right answers are obvious.

Munich (50 km service radius), Augsburg (30 km, 57 km from Munich), a Berlin + Hamburg
partner (100 km and 400 km), and a stale Munich partner not updated for 400 days.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.access.models import Role
from core.database import transaction
from indexing.service import SearchParams, build_query, search_directory
from profiles.schemas import PartnerPublic
from profiles.taxonomy import canonical_skill
from tests.conftest import ClientAs
from tests.factories import create_partner, location

CKA = "Certified Kubernetes Administrator (CKA)"  # what the profile's "CKA" resolves to

AUGSBURG = "48.3705,10.8978"
LEIPZIG = "51.34,12.37"
TODAY = datetime.now(UTC).date()
AWS, K8S = canonical_skill("AWS"), canonical_skill("Kubernetes")


def cert(name: str, *, expires_in_days: int | None) -> dict[str, Any]:
    expires = None if expires_in_days is None else TODAY + timedelta(days=expires_in_days)
    return {
        "name": name,
        "issuer": "Vendor",
        "earned_at": "2024-01-01",
        "expires_at": expires.isoformat() if expires else None,
    }


@pytest.fixture
def world(client: TestClient, clock: Any) -> dict[str, int]:
    munich = location(city="Munich", lat=48.137, lon=11.575, service_radius_km=50)
    augsburg = location(city="Augsburg", lat=48.3705, lon=10.8978, service_radius_km=30)
    berlin = location(city="Berlin", lat=52.52, lon=13.405, service_radius_km=100)
    hamburg = location(city="Hamburg", lat=53.5511, lon=9.9937, service_radius_km=400)
    aws, k8s = {"name": "AWS", "level": 4}, {"name": "Kubernetes", "level": 2}
    clock.advance(days=-400)
    stale = create_partner(
        client,
        name="Forgotten Cloud",
        tier="registered",
        locations=[munich],
        skills=[aws],
        certifications=[],
        description="",
    )["id"]
    clock.advance(days=400)
    ids = {
        "munich": create_partner(
            client, name="Isar Cloud Consulting", tier="gold", locations=[munich],
            skills=[aws, k8s], certifications=[cert("AWS SA", expires_in_days=365)],
            industries=["Manufacturing"], languages=["de", "en"], description="",
        )["id"],
        "augsburg": create_partner(
            client, name="Lech Data Services", tier="silver", locations=[augsburg],
            skills=[{**aws, "level": 2}],
            certifications=[
                cert("AWS SA", expires_in_days=-365), cert("CKA", expires_in_days=None)
            ],
            industries=["Retail"], languages=["de"], description="Kubernetes on premises",
        )["id"],
        "multi": create_partner(
            client, name="Spree Elbe Digital", tier="platinum", locations=[berlin, hamburg],
            skills=[k8s, {"name": "Azure", "level": 5}], certifications=[],
            industries=["Manufacturing"], languages=["en"], description="",
        )["id"],
        "stale": stale,
    }  # fmt: skip
    client.app.state.index.catch_up()  # type: ignore[attr-defined]
    return ids


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/partners/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ids_of(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


class TestNear:
    def test_radius_with_distance_sort(self, client: TestClient, world: dict[str, int]) -> None:
        page = search(client, near=AUGSBURG, radius_km=100, sort="distance")
        assert ids_of(page) == [world["augsburg"], world["munich"]]
        assert [round(item["distance_km"]) for item in page["items"]] == [0, 57]

    def test_a_place_name_is_geocoded(self, client: TestClient, world: dict[str, int]) -> None:
        page = search(client, near="Munich, DE", radius_km=20)
        assert ids_of(page) == [world["munich"]]

    def test_without_radius_an_office_must_serve_the_point(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        # Munich's 50 km do not reach Augsburg (57 km); Augsburg's own office does.
        assert ids_of(search(client, near=AUGSBURG)) == [world["augsburg"]]

    def test_a_multi_office_partner_is_served_by_its_far_office(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        # Leipzig: Berlin's office (150 km) has a 100 km radius, Hamburg's (295 km) 400 km.
        page = search(client, near=LEIPZIG)
        assert ids_of(page) == [world["multi"]]
        assert page["items"][0]["distance_km"] == pytest.approx(295, abs=5)
        # With an explicit radius the nearest office counts, whatever its service radius.
        page = search(client, near=LEIPZIG, radius_km=200)
        assert ids_of(page) == [world["multi"]]
        assert page["items"][0]["distance_km"] == pytest.approx(149, abs=3)


class TestFilters:
    def test_certifications_count_only_while_active(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        assert ids_of(search(client, certifications="AWS SA")) == [world["munich"]]
        assert ids_of(search(client, certifications="CKA")) == [world["augsburg"]]

    def test_repeated_and_comma_separated_values_are_the_same(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        repeated = client.get("/v1/partners/search?skills=AWS&skills=Kubernetes").json()
        assert ids_of(repeated) == ids_of(search(client, skills="AWS,Kubernetes"))
        assert ids_of(repeated) == [world["munich"]]
        assert set(ids_of(search(client, any_skills="Azure,AWS"))) == {
            world["munich"], world["augsburg"], world["multi"]
        }  # fmt: skip

    def test_text_needs_every_term(self, client: TestClient, world: dict[str, int]) -> None:
        assert ids_of(search(client, q="kubernetes premises")) == [world["augsburg"]]
        everyone = {world["munich"], world["augsburg"], world["multi"]}
        assert set(ids_of(search(client, q="kubernetes"))) == everyone

    def test_tier_language_industry_and_country(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        assert ids_of(search(client, tier="platinum,silver", language="de")) == [world["augsburg"]]
        assert set(ids_of(search(client, industry="Manufacturing", country="Germany"))) == {
            world["munich"], world["multi"]
        }  # fmt: skip


class TestFreshness:
    def test_stale_partners_are_hidden_unless_asked_for(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        assert world["stale"] not in ids_of(search(client, limit=50))
        page = search(client, include_stale="true", limit=50)
        assert page["total"] == 4
        stale = next(item for item in page["items"] if item["id"] == world["stale"])
        assert stale["freshness"]["status"] == "stale"
        fresh = next(item for item in page["items"] if item["id"] == world["munich"])
        assert fresh["freshness"] == {"status": "fresh", "reasons": []}

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
    def test_staff_may_ask_for_stale_partners(
        self, client_as: ClientAs, world: dict[str, int], role: Role
    ) -> None:
        page = search(client_as(role), include_stale="true", limit=50)
        assert world["stale"] in ids_of(page)

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
    def test_anyone_else_asking_for_stale_partners_is_ignored(
        self, client_as: ClientAs, world: dict[str, int], role: Role
    ) -> None:
        partner_id = world["munich"] if role is Role.PARTNER else None
        caller = client_as(role, partner_id=partner_id)
        page = search(caller, include_stale="true", limit=50)
        assert world["stale"] not in ids_of(page)
        assert page["total"] == 3
        assert page == search(caller, limit=50)


class TestFacetsAndPaging:
    def test_facets_count_the_whole_result_set(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        page = search(client, skills="AWS", limit=1)
        assert page["total"] == 2 and len(page["items"]) == 1
        assert page["facets"]["skill"] == {AWS: 2, K8S: 1}
        assert page["facets"]["certification"] == {"AWS SA": 1, CKA: 1}  # active only
        assert page["facets"]["tier"] == {"gold": 1, "silver": 1}
        assert page["facets"]["country"] == {"DE": 2}
        assert page["facets"]["industry"] == {"Manufacturing": 1, "Retail": 1}
        assert page["facets"]["language"] == {"de": 2, "en": 1}

    def test_pages_neither_repeat_nor_skip(self, client: TestClient, world: dict[str, int]) -> None:
        everything = ids_of(search(client, include_stale="true", limit=50))
        seen: list[int] = []
        params: dict[str, Any] = {"include_stale": "true", "limit": 1}
        while True:
            page = search(client, **params)
            seen += ids_of(page)
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == everything
        assert sorted(seen) == sorted(world.values())

    def test_items_carry_the_directory_fields(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        item = search(client, near="48.137,11.575", radius_km=10)["items"][0]
        assert item["name"] == "Isar Cloud Consulting"
        assert item["tier"] == "gold"
        assert item["locations"][0]["city"] == "Munich"
        assert {skill["name"] for skill in item["skills"]} == {AWS, K8S}
        assert 0 < item["score"] <= 1
        assert item["distance_km"] == pytest.approx(0, abs=0.01)

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.PARTNER, Role.MANAGER, Role.ADMIN])
    def test_items_show_the_public_profile_to_every_caller(
        self, client_as: ClientAs, world: dict[str, int], role: Role
    ) -> None:
        caller = client_as(role, partner_id=world["augsburg"] if role is Role.PARTNER else None)
        item = search(caller, near="48.3705,10.8978", radius_km=10)["items"][0]
        assert item["id"] == world["augsburg"]
        staff = {"freshness"} if role in (Role.MANAGER, Role.ADMIN) else set()
        assert set(item) == set(PartnerPublic.model_fields) | {"score", "distance_km"} | staff
        # No capacity, external id, version or timestamps; only active certifications.
        assert item["certifications"] == [{"name": CKA, "issuer": "Vendor", "expires_at": None}]


class TestPageJson:
    @pytest.mark.parametrize(
        "params",
        [
            {"near": AUGSBURG, "radius_km": 100, "sort": "distance", "limit": 2},
            {"skills": ["AWS"], "include_stale": True},
            {"q": "cloud", "near": "Munich"},
        ],
    )
    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.MANAGER])
    def test_the_api_page_is_the_service_page(
        self, client_as: ClientAs, world: dict[str, int], params: dict[str, Any], role: Role
    ) -> None:
        """The API writes its pages from the views' stored JSON; they must say what the
        service's page models say (the CLI's and the web directory's), freshness for staff."""
        caller = client_as(role)
        answered = search(caller, **params)
        app = caller.app
        staff = role is Role.MANAGER
        wanted = SearchParams(**{**params, "include_stale": params.get("include_stale", False)})
        with transaction(app.state.sessionmaker) as session:  # type: ignore[attr-defined]
            query = build_query(
                session,
                wanted if staff else dataclasses.replace(wanted, include_stale=False),
                geocoder=app.state.geocoder,  # type: ignore[attr-defined]
                now=app.state.clock(),  # type: ignore[attr-defined]
            )
            page = search_directory(session, app.state.index, query)  # type: ignore[attr-defined]
        expected = page.model_dump(
            mode="json", exclude=None if staff else {"items": {"__all__": {"freshness"}}}
        )
        assert answered["items"] and answered == expected


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


class TestBadParameters:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"near": "Atlantis Nowhere"}, "near"),
            ({"near": "91,200"}, "near"),
            ({"near": "48.1,11.5", "radius_km": -5}, "radius_km"),
            ({"radius_km": 10}, "radius_km"),
            ({"sort": "name"}, "sort"),
            ({"sort": "distance"}, "sort"),
            ({"tier": "diamond"}, "tier"),
            ({"limit": 0}, "limit"),
            ({"country": "Narnia"}, "country"),
            ({"language": "klingon"}, "language"),
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"cursor": _b64("[" * 3_000 + "]" * 3_000)}, "cursor"),  # forged, deep
            ({"cursor": _b64('[1.0, 2, "' + "f" * 10_000 + '"]')}, "cursor"),  # forged, long
        ],
    )
    def test_a_bad_value_is_a_4xx_naming_the_parameter(
        self, client: TestClient, params: dict[str, Any], field: str
    ) -> None:
        response = client.get("/v1/partners/search", params=params)
        assert response.status_code == 422, response.text
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]

    def test_a_cursor_of_another_search_is_refused(
        self, client: TestClient, world: dict[str, int]
    ) -> None:
        cursor = search(client, limit=1)["next_cursor"]
        response = client.get("/v1/partners/search", params={"q": "cloud", "cursor": cursor})
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"] == "cursor"
