"""Over real HTTP against `partnermatch serve`: forms without the session's CSRF token are
refused, and a partner's session never reaches another partner's lead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import partner_payload
from tests.pages.forms import csrf_token, sign_in
from tests.pages.server import Server, wait_indexed


@pytest.fixture
def browser_like(server: Server) -> Any:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def offered_lead(server: Server, *, skill: str) -> tuple[int, int]:
    """A partner with a skill nobody else has, and a lead offered to it: (partner, lead)."""
    partner = server.post(
        "/v1/partners", partner_payload(name=f"{skill} shop", skills=[{"name": skill}])
    )
    wait_indexed(server)
    lead = server.post(
        "/v1/leads",
        {
            "title": f"{skill} project",
            "customer": {"name": f"{skill} customer", "lat": 48.14, "lon": 11.58},
            "required_skills": [skill],
        },
    )
    assert lead["assigned_partner_id"] == partner["id"], lead
    return partner["id"], lead["id"]


def lead_status(server: Server, lead_id: int) -> str:
    with server.api() as api:
        return str(api.get(f"/v1/leads/{lead_id}").json()["status"])


class TestCsrf:
    def test_a_form_post_without_the_token_is_refused(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        partner_id, lead_id = offered_lead(server, skill="Tableau")
        token = sign_in(browser_like, "/portal", server.partner_key(partner_id))
        missing = browser_like.post(f"/portal/leads/{lead_id}/accept", data={})
        forged = browser_like.post(f"/portal/leads/{lead_id}/accept", data={"csrf_token": "x"})
        assert (missing.status_code, forged.status_code) == (403, 403)
        assert "Form refused" in missing.text
        assert lead_status(server, lead_id) == "offered"
        accepted = browser_like.post(
            f"/portal/leads/{lead_id}/accept", data={"csrf_token": token}, follow_redirects=False
        )
        assert accepted.status_code == 303
        assert lead_status(server, lead_id) == "accepted"

    def test_sign_in_itself_needs_the_token(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        browser_like.get("/console/sign-in")  # the session cookie, but no token sent
        response = browser_like.post(
            "/console/sign-in", data={"api_key": server.manager_key(), "next": "/console"}
        )
        assert response.status_code == 403
        assert browser_like.get("/console", follow_redirects=False).status_code == 303

    def test_a_token_from_another_session_is_refused(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        with httpx.Client(base_url=server.url) as attacker:
            foreign = csrf_token(attacker.get("/portal/sign-in").text)
        browser_like.get("/portal/sign-in")
        response = browser_like.post(
            "/portal/sign-in", data={"csrf_token": foreign, "api_key": "pm_x", "next": "/portal"}
        )
        assert response.status_code == 403


class TestPartnerIsolation:
    def test_a_partner_session_cannot_open_or_act_on_another_partners_lead(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        mine, _ = offered_lead(server, skill="Looker")
        _, theirs = offered_lead(server, skill="Qlik Sense")
        token = sign_in(browser_like, "/portal", server.partner_key(mine))
        opened = browser_like.get(f"/portal/leads/{theirs}")
        assert opened.status_code == 404
        assert "Qlik Sense project" not in opened.text
        acted = browser_like.post(f"/portal/leads/{theirs}/accept", data={"csrf_token": token})
        assert acted.status_code == 404
        assert lead_status(server, theirs) == "offered"
        assert "Qlik Sense project" not in browser_like.get("/portal").text


class TestSessionCookie:
    def test_the_cookie_is_http_only_and_same_site_and_not_secure_over_plain_http(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        cookie = browser_like.get("/portal/sign-in").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie.replace("httponly", "")

    def test_a_console_page_without_a_session_sends_the_browser_to_sign_in(
        self, browser_like: httpx.Client
    ) -> None:
        response = browser_like.get("/console/report", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/sign-in?next=/console/report"

    def test_a_partner_key_does_not_open_the_console(
        self, server: Server, browser_like: httpx.Client
    ) -> None:
        partner = server.post("/v1/partners", partner_payload(name="Not a manager"))
        token = csrf_token(browser_like.get("/console/sign-in").text)
        response = browser_like.post(
            "/console/sign-in",
            data={"csrf_token": token, "api_key": server.partner_key(partner["id"])},
        )
        assert response.status_code == 401
        assert "needs a manager key" in response.text
