"""No silent nobody: a lead requiring a skill or certification no one knows is a 422 with
suggestions; acronyms and exam codes resolve; names only partners use stay valid."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_partner
from tests.matcher.factories import lead_payload, post_lead, skilled_partner


def details(response: Any) -> dict[str, dict[str, Any]]:
    return {detail["field"]: detail for detail in response.json()["error"]["details"]}


class TestUnknownNames:
    @pytest.mark.parametrize("path", ["/v1/leads", "/v1/leads/preview"])
    def test_a_typo_in_a_required_skill_is_a_422_with_suggestions(
        self, client: TestClient, path: str
    ) -> None:
        body = lead_payload(required_skills=["AWS", "Kubernets"])
        response = client.post(path, json=body)
        assert response.status_code == 422
        detail = details(response)["required_skills.1"]
        assert detail["suggestions"][0] == "Kubernetes"
        assert "did you mean Kubernetes" in detail["message"]

    def test_an_unknown_certification_is_named_too(self, client: TestClient) -> None:
        body = lead_payload(required_certifications=["CISP"])
        response = client.post("/v1/leads", json=body)
        assert response.status_code == 422
        assert "CISSP" in details(response)["required_certifications.0"]["suggestions"]

    def test_nothing_is_stored_for_a_refused_lead(self, client: TestClient) -> None:
        client.post("/v1/leads", json=lead_payload(required_skills=["Kubernets"]))
        assert client.get("/v1/leads").json()["items"] == []


class TestKnownNames:
    @pytest.mark.parametrize(
        ("asked", "held"),
        [
            ("CKAD", "Certified Kubernetes Application Developer (CKAD)"),
            ("AZ-104", "Microsoft Certified: Azure Administrator Associate"),
            ("AWS SAA", "AWS Certified Solutions Architect - Associate"),  # any dash
            ("PMP", "Project Management Professional (PMP)"),
            ("cissp", "CISSP"),
        ],
    )
    def test_acronyms_and_exam_codes_find_the_certified_partner(
        self, client: TestClient, asked: str, held: str
    ) -> None:
        cert = {"name": held, "earned_at": "2025-01-01", "expires_at": "2029-01-01"}
        partner = skilled_partner(client, aws_level=4, certifications=[cert])
        lead = post_lead(client, required_certifications=[asked])
        assert lead["assigned_partner_id"] == partner

    def test_a_skill_only_partners_list_stays_valid(self, client: TestClient) -> None:
        skills = [{"name": "AWS", "level": 4}, {"name": "Mainframe COBOL migration", "level": 5}]
        partner = create_partner(client, skills=skills)["id"]
        lead = post_lead(client, required_skills=["mainframe cobol migration"])
        assert lead["assigned_partner_id"] == partner

    @pytest.mark.parametrize("name", ["sap", "oracle", "networking", "Cisco"])
    def test_common_broad_skills_are_in_the_taxonomy(self, client: TestClient, name: str) -> None:
        response = client.post("/v1/leads/preview", json=lead_payload(required_skills=[name]))
        assert response.status_code == 200, response.text
