"""Directory search: an unknown skill or certification filter is a 422 with suggestions, not an
empty page; `near` answers with the place it resolved to."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import create_partner


def search(client: TestClient, **params: str) -> dict:  # type: ignore[type-arg]
    client.app.state.index.catch_up()  # type: ignore[attr-defined]
    response = client.get("/v1/partners/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestUnknownFilters:
    def test_a_misspelt_skill_filter_is_a_422_with_suggestions(self, client: TestClient) -> None:
        response = client.get("/v1/partners/search", params={"skills": "AWS,Terrafrom"})
        assert response.status_code == 422
        [detail] = response.json()["error"]["details"]
        assert detail["field"] == "skills.1"
        assert detail["suggestions"] == ["Terraform"]

    def test_any_skills_and_certifications_are_checked_too(self, client: TestClient) -> None:
        params = {"any_skills": "Salesfroce", "certifications": "CKAAD"}
        response = client.get("/v1/partners/search", params=params)
        fields = {d["field"] for d in response.json()["error"]["details"]}
        assert (response.status_code, fields) == (422, {"any_skills.0", "certifications.0"})

    def test_an_acronym_filter_finds_the_certified_partner(self, client: TestClient) -> None:
        cert = {"name": "Certified Kubernetes Administrator (CKA)", "earned_at": "2025-01-01"}
        partner = create_partner(client, certifications=[cert])["id"]
        assert [item["id"] for item in search(client, certifications="cka")["items"]] == [partner]


class TestNearPlace:
    def test_a_place_name_answers_with_the_place_chosen(self, client: TestClient) -> None:
        near = search(client, near="Springfield")["near"]
        assert near["name"] == "Springfield" and near["country"] == "US"
        assert isinstance(near["lat"], float) and isinstance(near["lon"], float)

    def test_coordinates_answer_with_themselves(self, client: TestClient) -> None:
        assert search(client, near="48.1,11.5")["near"] == {
            "name": None,
            "country": None,
            "lat": 48.1,
            "lon": 11.5,
        }

    def test_without_near_there_is_no_place(self, client: TestClient) -> None:
        assert search(client)["near"] is None
