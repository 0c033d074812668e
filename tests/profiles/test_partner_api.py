"""Partner profiles over HTTP: create, read, update, attest, delete, with the contract's errors."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from profiles.models import ChangeLogEntry, Partner
from tests.factories import create_partner, location, partner_payload


def stored_partners(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Partner.__table__)) or 0


def change_log(engine: Engine) -> list[tuple[int, str, int]]:
    table = ChangeLogEntry.__table__
    query = select(table.c.partner_id, table.c.op, table.c.version).order_by(table.c.seq)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def error_fields(response: Any) -> list[str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return [detail["field"] for detail in body["error"]["details"]]


class TestCreate:
    def test_created_partner_is_served_back(self, client: TestClient) -> None:
        created = create_partner(client)
        fetched = client.get(f"/v1/partners/{created['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == created
        assert fetched.headers["ETag"] == '"1"'
        assert created["version"] == 1
        assert created["freshness"] == {"status": "fresh", "reasons": []}

    def test_skill_synonyms_become_one_canonical_skill(self, client: TestClient) -> None:
        created = create_partner(client, skills=[{"name": "aws", "level": 2}])
        assert [s["name"] for s in created["skills"]] == ["Amazon Web Services"]

    def test_city_and_country_alone_are_geocoded(self, client: TestClient) -> None:
        created = create_partner(client, locations=[location(city="Augsburg", lat=None, lon=None)])
        office = created["locations"][0]
        assert office["lat"] == pytest.approx(48.37, abs=0.05)
        assert office["lon"] == pytest.approx(10.89, abs=0.05)

    def test_country_alone_is_geocoded_to_its_centroid(self, client: TestClient) -> None:
        place = {"country": "de", "service_radius_km": 500}
        office = create_partner(client, locations=[place])["locations"][0]
        assert office["country"] == "DE"
        assert 47 < office["lat"] < 55 and 6 < office["lon"] < 15

    def test_expired_certification_is_shown_inactive(self, client: TestClient) -> None:
        cert = {
            "name": "CISSP",
            "issuer": "ISC2",
            "earned_at": "2019-01-01",
            "expires_at": "2022-01-01",
        }
        created = create_partner(client, certifications=[cert])
        assert created["certifications"][0]["active"] is False
        assert created["freshness"] == {
            "status": "stale",
            "reasons": ["all_certifications_expired"],
        }

    def test_each_write_logs_one_change_in_the_same_transaction(
        self, client: TestClient, clean_db: Engine
    ) -> None:
        partner_id = create_partner(client)["id"]
        client.patch(f"/v1/partners/{partner_id}", json={"tier": "platinum"})
        client.delete(f"/v1/partners/{partner_id}")
        assert change_log(clean_db) == [
            (partner_id, "upsert", 1),
            (partner_id, "upsert", 2),
            (partner_id, "delete", 3),
        ]

    def test_duplicate_external_id_is_a_conflict(self, client: TestClient) -> None:
        create_partner(client, external_id="CRM-1")
        response = client.post("/v1/partners", json=partner_payload(external_id="CRM-1"))
        assert response.status_code == 409
        assert error_fields(response) == ["external_id"]


BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("latitude out of range", {"locations": [location(lat=91.0)]}, "locations.0.lat"),
    ("longitude out of range", {"locations": [location(lon=-181.0)]}, "locations.0.lon"),
    ("lat without lon", {"locations": [{"lat": 48.1, "country": "DE"}]}, "locations.0"),
    ("no place at all", {"locations": [{"label": "HQ"}]}, "locations.0"),
    ("unknown country", {"locations": [location(country="XX")]}, "locations.0.country"),
    ("country name, not code", {"locations": [location(country="Germany")]}, "locations.0.country"),
    (
        "city that cannot be geocoded",
        {"locations": [location(city="Atlantis", lat=None, lon=None)]},
        "locations.0.city",
    ),
    ("no location", {"locations": []}, "locations"),
    (
        "radius not positive",
        {"locations": [location(service_radius_km=0)]},
        "locations.0.service_radius_km",
    ),
    ("unknown tier", {"tier": "diamond"}, "tier"),
    ("negative capacity", {"capacity": {"max_open_leads": -1}}, "capacity.max_open_leads"),
    ("empty name", {"name": ""}, "name"),
    ("name too long", {"name": "x" * 201}, "name"),
    ("skill level too low", {"skills": [{"name": "AWS", "level": 0}]}, "skills.0.level"),
    ("skill level too high", {"skills": [{"name": "AWS", "level": 6}]}, "skills.0.level"),
    (
        "duplicate skill by synonym",
        {"skills": [{"name": "AWS"}, {"name": "Amazon Web Services"}]},
        "skills",
    ),
    (
        "certification expires before it was earned",
        {
            "certifications": [
                {"name": "CISSP", "earned_at": "2024-01-01", "expires_at": "2023-01-01"}
            ]
        },
        "certifications.0",
    ),
    (
        "certification earned in the future",
        {"certifications": [{"name": "CISSP", "earned_at": "2999-01-01"}]},
        "certifications.0.earned_at",
    ),
    ("unknown language", {"languages": ["xx"]}, "languages.0"),
    ("website not a URL", {"website": "not a url"}, "website"),
    ("external id with spaces", {"external_id": "a b"}, "external_id"),
    ("unknown field", {"colour": "blue"}, "colour"),
    ("description too long", {"description": "x" * 5001}, "description"),
    ("NUL character in the name", {"name": "Acme\x00 GmbH"}, "name"),
    ("NUL character in an industry", {"industries": ["Retail", "Bank\x00ing"]}, "industries"),
    ("NUL character in a skill", {"skills": [{"name": "Ku\x00bernetes"}]}, "skills.0.name"),
]


class TestCreateValidation:
    @pytest.mark.parametrize(
        ("overrides", "field"), [case[1:] for case in BAD_CREATES], ids=[c[0] for c in BAD_CREATES]
    )
    def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
        self, client: TestClient, clean_db: Engine, overrides: dict[str, Any], field: str
    ) -> None:
        response = client.post("/v1/partners", json=partner_payload(**overrides))
        assert response.status_code == 422, response.text
        assert field in error_fields(response)
        assert stored_partners(clean_db) == 0
        assert change_log(clean_db) == []

    def test_missing_name_is_named(self, client: TestClient) -> None:
        payload = partner_payload()
        del payload["name"]
        response = client.post("/v1/partners", json=payload)
        assert response.status_code == 422
        assert error_fields(response) == ["name"]

    def test_malformed_json_is_a_400_in_the_envelope(self, client: TestClient) -> None:
        response = client.post(
            "/v1/partners", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_json"

    def test_non_numeric_id_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/partners/abc")
        assert response.status_code == 422
        assert error_fields(response) == ["partner_id"]


class TestUpdate:
    def test_patch_replaces_given_fields_and_bumps_the_version(self, client: TestClient) -> None:
        partner = create_partner(client)
        response = client.patch(
            f"/v1/partners/{partner['id']}",
            json={"tier": "platinum", "skills": [{"name": "GCP", "level": 5}]},
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["tier"] == "platinum"
        assert [s["name"] for s in updated["skills"]] == ["Google Cloud"]
        assert updated["version"] == 2
        assert updated["name"] == partner["name"]
        assert response.headers["ETag"] == '"2"'

    def test_stale_if_match_is_412_and_changes_nothing(self, client: TestClient) -> None:
        partner = create_partner(client)
        client.patch(f"/v1/partners/{partner['id']}", json={"tier": "silver"})
        response = client.patch(
            f"/v1/partners/{partner['id']}", json={"tier": "platinum"}, headers={"If-Match": "1"}
        )
        assert response.status_code == 412
        assert client.get(f"/v1/partners/{partner['id']}").json()["tier"] == "silver"

    @pytest.mark.parametrize("header", ["abc", '"1.5"', "-1"])
    def test_unreadable_if_match_is_named(self, client: TestClient, header: str) -> None:
        partner = create_partner(client)
        response = client.patch(
            f"/v1/partners/{partner['id']}", json={"tier": "silver"}, headers={"If-Match": header}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["If-Match"]

    @pytest.mark.parametrize("field", ["name", "tier", "locations", "capacity"])
    def test_required_fields_cannot_be_nulled(self, client: TestClient, field: str) -> None:
        partner = create_partner(client)
        response = client.patch(f"/v1/partners/{partner['id']}", json={field: None})
        assert response.status_code == 422
        assert client.get(f"/v1/partners/{partner['id']}").json()["version"] == 1

    def test_unknown_partner_is_404(self, client: TestClient) -> None:
        response = client.patch("/v1/partners/999999", json={"tier": "silver"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_taking_another_partners_external_id_is_409(self, client: TestClient) -> None:
        create_partner(client, external_id="CRM-1")
        other = create_partner(client, external_id="CRM-2")
        response = client.patch(f"/v1/partners/{other['id']}", json={"external_id": "CRM-1"})
        assert response.status_code == 409


class TestConcurrentUpdates:
    def test_two_patches_with_the_same_if_match_one_wins_nothing_lost(
        self, client: TestClient
    ) -> None:
        partner = create_partner(client)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def patch(name: str) -> None:
            barrier.wait()
            results[name] = client.patch(
                f"/v1/partners/{partner['id']}", json={"name": name}, headers={"If-Match": '"1"'}
            )

        threads = [threading.Thread(target=patch, args=(n,)) for n in ("First", "Second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 412]
        winner = next(n for n, r in results.items() if r.status_code == 200)
        final = client.get(f"/v1/partners/{partner['id']}").json()
        assert (final["name"], final["version"]) == (winner, 2)


class TestDelete:
    def test_deleted_partner_is_gone(self, client: TestClient) -> None:
        partner = create_partner(client)
        assert client.delete(f"/v1/partners/{partner['id']}").status_code == 204
        assert client.get(f"/v1/partners/{partner['id']}").status_code == 404

    def test_delete_with_stale_version_keeps_the_partner(self, client: TestClient) -> None:
        partner = create_partner(client)
        response = client.delete(f"/v1/partners/{partner['id']}", headers={"If-Match": '"7"'})
        assert response.status_code == 412
        assert client.get(f"/v1/partners/{partner['id']}").status_code == 200


class TestErrors:
    def test_unknown_route_is_404_in_the_envelope(self, client: TestClient) -> None:
        response = client.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_wrong_method_is_405_in_the_envelope(self, client: TestClient) -> None:
        response = client.put("/v1/partners/1", json={})
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"
