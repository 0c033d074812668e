"""Portal and console forms through the app: decline with a reason, close won, the profile
form's validation, the pipeline's filters, and conflicts explained on the assignment form."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.access.models import Role
from tests.conftest import Clock
from tests.core.access.factories import make_key
from tests.matcher.factories import post_lead, reserved_lead, skilled_partner
from tests.pages.forms import sign_in


def portal_for(client: TestClient, partner_id: int) -> tuple[TestClient, str]:
    app: FastAPI = client.app  # type: ignore[assignment]
    browser = TestClient(app)
    key = make_key(app, role=Role.PARTNER, partner_id=partner_id).secret
    return browser, sign_in(browser, "/portal", key)


def console_for(client: TestClient) -> tuple[TestClient, str]:
    app: FastAPI = client.app  # type: ignore[assignment]
    browser = TestClient(app)
    return browser, sign_in(browser, "/console", make_key(app, role=Role.MANAGER).secret)


def lead(client: TestClient, lead_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/leads/{lead_id}").json()
    return body


class TestPortal:
    def test_decline_with_a_reason_moves_the_lead_on(self, client: TestClient) -> None:
        first = skilled_partner(client, aws_level=5)
        second = skilled_partner(client, aws_level=4)
        offered = post_lead(client, params={"policy": "best"})
        browser, token = portal_for(client, first)
        assert offered["title"] in browser.get("/portal").text
        browser.post(
            f"/portal/leads/{offered['id']}/decline",
            data={"csrf_token": token, "reason": "no capacity in May"},
        )
        moved = lead(client, offered["id"])
        assert moved["assigned_partner_id"] == second
        declined = [e for e in moved["history"] if e["kind"] == "declined"]
        assert [(e["partner_id"], e["reason"]) for e in declined] == [(first, "no capacity in May")]
        assert offered["title"] not in browser.get("/portal").text

    def test_an_accepted_lead_is_closed_won(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=5)
        offered = post_lead(client)
        browser, token = portal_for(client, partner)
        browser.post(f"/portal/leads/{offered['id']}/accept", data={"csrf_token": token})
        inbox = browser.get("/portal").text
        assert "Accepted, to close (1)" in inbox
        browser.post(
            f"/portal/leads/{offered['id']}/close", data={"csrf_token": token, "outcome": "won"}
        )
        assert lead(client, offered["id"])["outcome"] == "won"

    def test_an_unknown_skill_level_and_language_are_named_and_nothing_is_saved(
        self, client: TestClient
    ) -> None:
        partner = skilled_partner(client, aws_level=5)
        browser, token = portal_for(client, partner)
        form = {
            "csrf_token": token,
            "skills.0.name": "AWS",
            "skills.0.level": "7",
            "locations.0.city": "Munich",
            "locations.0.country": "DE",
            "languages": "de, klingon",
        }
        response = browser.post("/portal/profile", data=form)
        assert response.status_code == 422
        assert re.search(r'id="skills-0-level-error" class="field-error">[^<]*5', response.text)
        assert "languages.1" in response.text
        stored = client.get(f"/v1/partners/{partner}").json()
        assert stored["skills"][0]["level"] == 5 and stored["languages"] == ["de", "en"]

    def test_a_valid_edit_is_saved_through_the_api_rules(self, client: TestClient) -> None:
        partner = skilled_partner(client, aws_level=5)
        browser, token = portal_for(client, partner)
        form = {
            "csrf_token": token,
            "skills.0.name": "Amazon Web Services",
            "skills.0.level": "5",
            "skills.1.name": "k8s",
            "skills.1.level": "2",
            "locations.0.label": "Office",
            "locations.0.city": "Hamburg",
            "locations.0.country": "DE",
            "languages": "de",
        }
        response = browser.post("/portal/profile", data=form, follow_redirects=False)
        assert response.status_code == 303
        stored = client.get(f"/v1/partners/{partner}").json()
        assert [(s["name"], s["level"]) for s in stored["skills"]] == [
            ("Amazon Web Services", 5),
            ("Kubernetes", 2),
        ]
        assert stored["locations"][0]["city"] == "Hamburg"
        assert round(stored["locations"][0]["lat"]) == 54  # geocoded, as the API does


class TestConsole:
    def test_the_pipeline_filters_by_status_and_names_a_bad_date(self, client: TestClient) -> None:
        skilled_partner(client, aws_level=5)
        offered = post_lead(client, title="Offered one")
        unassigned = post_lead(client, title="Nobody can", required_certifications=["CISSP"])
        browser, _ = console_for(client)
        page = browser.get("/console", params={"status": "unassigned"}).text
        assert unassigned["title"] in page and offered["title"] not in page
        bad = browser.get("/console", params={"from": "yesterday"}).text
        assert 'id="from-error" class="field-error">must be a date' in bad

    def test_a_conflict_is_explained_on_the_assignment_form(
        self, client: TestClient, clock: Clock
    ) -> None:
        holder, other, held = reserved_lead(client, now=clock.now)
        browser, token = console_for(client)
        form = {"csrf_token": token, "partner_id": str(other), "reason": "customer asked"}
        refused = browser.post(f"/console/leads/{held['id']}/assign", data=form)
        assert refused.status_code == 422
        assert 'id="override_conflict-error"' in refused.text
        assert lead(client, held["id"])["assigned_partner_id"] == holder
        form["override_reason"] = "holder agreed"
        done = browser.post(f"/console/leads/{held['id']}/assign", data=form)
        assert "Assigned: the partner has been offered the lead" in done.text
        assert lead(client, held["id"])["assigned_partner_id"] == other
