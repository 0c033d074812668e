"""The three users' journeys in headless Chromium against a real `partnermatch serve`: each
saves a screenshot and runs axe-core on every page it visits."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.factories import location, partner_payload
from tests.pages.conftest import assert_accessible, screenshot
from tests.pages.server import Server, wait_indexed

pytestmark = pytest.mark.browser


def make_partner(server: Server, **fields: Any) -> dict[str, Any]:
    partner: dict[str, Any] = server.post("/v1/partners", partner_payload(**fields))
    return partner


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


class TestVisitor:
    def test_finds_a_partner_near_munich_by_skill_and_opens_its_profile(
        self, page: Any, server: Server
    ) -> None:
        name = unique("Isarwolke Cloud")
        make_partner(server, name=name, skills=[{"name": "AWS", "level": 5}])
        make_partner(
            server,
            name=unique("Hamburg Data"),
            locations=[location(city="Hamburg", lat=53.55, lon=9.99)],
        )
        make_partner(
            server, name=unique("Munich Security"), skills=[{"name": "Cisco Meraki", "level": 4}]
        )
        wait_indexed(server)

        page.goto("/")
        page.get_by_label("Near").fill("Munich")
        page.get_by_label("Radius (km)").fill("50")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"near=Munich"))
        page.get_by_role("checkbox", name=re.compile(r"^Amazon Web Services \(\d+\)$")).check()
        page.wait_for_url(re.compile(r"skills=Amazon"))
        results = page.locator(".cards")
        results.get_by_role("link", name=name).wait_for()
        assert "Hamburg Data" not in results.inner_text()
        assert "Munich Security" not in results.inner_text()
        assert "near=Munich" in page.url and "radius_km=50" in page.url
        assert_accessible(page, "directory")
        screenshot(page, "directory")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        screenshot(page, "directory-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        results.get_by_role("link", name=name).click()
        page.get_by_role("heading", level=1, name=re.compile(name)).wait_for()
        assert_accessible(page, "partner-profile")
        screenshot(page, "partner-profile")

    def test_the_keyboard_reaches_the_search_with_a_visible_focus_ring(self, page: Any) -> None:
        page.goto("/")
        for _ in range(8):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "q":
                break
        assert page.evaluate("document.activeElement.id") == "q"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
        page.keyboard.type("cloud")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=cloud"))

    def test_the_shared_url_renders_the_results_without_javascript(
        self, browser: Any, server: Server
    ) -> None:
        name = unique("Schwabing Cloud")
        make_partner(server, name=name, skills=[{"name": "Azure", "level": 5}])
        wait_indexed(server)
        context = browser.new_context(base_url=server.url, java_script_enabled=False)
        try:
            page = context.new_page()
            page.goto("/?near=Munich&radius_km=50&skills=azure")
            assert page.get_by_role("link", name=name).is_visible()
        finally:
            context.close()


class TestPartner:
    def test_sees_an_offer_with_its_deadline_accepts_it_and_attests(
        self, page: Any, server: Server
    ) -> None:
        skill = {"name": "SAP S/4HANA", "level": 5}
        partner = make_partner(server, name=unique("Lechtal SAP"), skills=[skill])
        wait_indexed(server)
        title = unique("S/4HANA rollout")
        lead = server.post(
            "/v1/leads?policy=best",
            {
                "title": title,
                "customer": {"name": unique("Kunde"), "lat": 48.14, "lon": 11.58},
                "required_skills": ["SAP S/4HANA"],
            },
        )
        assert lead["assigned_partner_id"] == partner["id"], lead

        page.goto("/portal")
        page.wait_for_url(re.compile(r"/portal/sign-in"))
        assert_accessible(page, "portal-sign-in")
        page.get_by_label("Your partner API key").fill(server.partner_key(partner["id"]))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/portal$"))
        offer = page.locator(f"#lead-{lead['id']}")
        assert title in offer.inner_text()
        assert re.search(r"\d+ d \d+ h left|\d+ h \d+ min left", offer.inner_text())
        assert_accessible(page, "portal-inbox")
        screenshot(page, "portal-inbox")

        offer.get_by_role("button", name="Accept").click()
        page.wait_for_url(re.compile(rf"/portal/leads/{lead['id']}$"))
        assert page.locator(".status").first.inner_text().startswith("accepted")

        page.get_by_role("link", name="My profile").click()
        page.get_by_role("button", name="My profile is current").click()
        page.get_by_text("your profile is confirmed as current").wait_for()
        assert page.locator("#fresh_heading .status").inner_text() == "fresh"
        assert_accessible(page, "portal-profile")
        screenshot(page, "portal-profile")
        with server.api() as api:
            stored = api.get(f"/v1/partners/{partner['id']}").json()
        assert stored["attested_at"] is not None

    def test_a_bad_level_is_shown_next_to_its_field_and_nothing_is_saved(
        self, page: Any, server: Server
    ) -> None:
        partner = make_partner(server, name=unique("Validation"))
        page.goto("/portal/sign-in")
        page.get_by_label("Your partner API key").fill(server.partner_key(partner["id"]))
        page.get_by_role("button", name="Sign in").click()
        page.goto("/portal/profile")
        page.locator("#skills-0-level").fill("9")
        page.get_by_role("button", name="Save profile").click()
        error = page.locator("#skills-0-level-error")
        assert "less than or equal to 5" in error.inner_text()
        assert page.locator("#skills-0-level").get_attribute("aria-invalid") == "true"
        with server.api() as api:
            stored = api.get(f"/v1/partners/{partner['id']}").json()
        assert [s["level"] for s in stored["skills"]] == [4, 3]


class TestManager:
    def test_assigns_an_unassigned_lead_and_sees_it_in_the_report(
        self, page: Any, server: Server
    ) -> None:
        skill = "Snowflake"
        title = unique("Data platform")
        lead = server.post(
            "/v1/leads",
            {
                "title": title,
                "customer": {"name": unique("Brauerei"), "lat": 48.14, "lon": 11.58},
                "required_skills": [skill],
            },
        )
        assert lead["status"] == "unassigned"
        name = unique("Snowflake Experts")
        partner = make_partner(server, name=name, skills=[{"name": skill, "level": 5}])
        wait_indexed(server)

        page.goto("/console")
        page.get_by_label("Your manager API key").fill(server.manager_key())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/console$"))
        assert_accessible(page, "console-pipeline")
        screenshot(page, "console-pipeline")

        page.get_by_role("link", name="Unassigned").click()
        page.get_by_role("link", name=title).click()
        page.get_by_label(re.compile(name)).check()
        page.get_by_label("Reason for this assignment").fill("customer asked for them")
        assert_accessible(page, "console-lead")
        screenshot(page, "console-lead")
        page.get_by_role("button", name="Assign").click()
        page.get_by_text("Assigned: the partner has been offered the lead").wait_for()
        assert "assigned" in page.locator(".history").inner_text()

        page.get_by_role("link", name="Report").click()
        assert name in page.locator("#per-partner").inner_text()
        assert int(page.locator("#report-offered").inner_text()) >= 1
        assert page.locator("svg[role=img]").count() == 4
        assert_accessible(page, "console-report")
        screenshot(page, "console-report")
        with server.api() as api:
            history = api.get(f"/v1/leads/{lead['id']}").json()["history"]
        assigned = [e for e in history if e["kind"] == "assigned"]
        assert [(e["partner_id"], e["reason"]) for e in assigned] == [
            (partner["id"], "customer asked for them")
        ]

    def test_other_console_pages_pass_the_accessibility_check(
        self, page: Any, server: Server
    ) -> None:
        page.goto("/console/sign-in")
        page.get_by_label("Your manager API key").fill(server.manager_key())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/console$"))
        for path, name in (
            ("/console/partners", "console-partners"),
            ("/console/accounts", "console-accounts"),
        ):
            page.goto(path)
            assert_accessible(page, name)
            screenshot(page, name)
