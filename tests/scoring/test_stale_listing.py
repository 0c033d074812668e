"""GET /v1/partners/stale with a controllable clock: who is flagged, why, since when."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.access.models import Role
from core.settings import Settings
from tests.conftest import ClientAs, Clock
from tests.factories import create_partner


def stale_listing(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/partners/stale", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def listed(client: TestClient, **params: Any) -> dict[int, dict[str, Any]]:
    return {item["partner_id"]: item for item in stale_listing(client, **params)["items"]}


class TestAgeing:
    def test_a_fresh_profile_is_not_listed(self, client: TestClient) -> None:
        create_partner(client)
        assert stale_listing(client) == {"items": [], "next_cursor": None}

    def test_due_after_150_days_with_weekly_reminders(
        self, client: TestClient, clock: Clock
    ) -> None:
        partner = create_partner(client)
        created = clock.now.date()
        clock.advance(days=160)
        item = listed(client)[partner["id"]]
        assert item["status"] == "due"
        assert item["reasons"] == ["profile_not_updated", "not_attested"]
        assert date.fromisoformat(item["since"]) == created + timedelta(days=150)
        assert item["days_overdue"] == 10
        assert date.fromisoformat(item["reminder_due_on"]) == created + timedelta(days=164)

    def test_stale_after_180_days_since_that_day(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)
        created = clock.now.date()
        clock.advance(days=180)
        item = listed(client)[partner["id"]]
        assert (item["status"], item["days_overdue"]) == ("stale", 0)
        assert date.fromisoformat(item["since"]) == created + timedelta(days=180)
        assert item["reminder_due_on"] == item["since"]

    def test_attesting_takes_a_profile_off_the_list(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)
        clock.advance(days=200)
        assert partner["id"] in listed(client)
        client.post(f"/v1/partners/{partner['id']}/attest").raise_for_status()
        assert partner["id"] not in listed(client)
        clock.advance(days=151)
        assert listed(client)[partner["id"]]["status"] == "due"


class TestBlockingReasons:
    def test_expired_certifications_stale_since_the_day_after_the_last_expired(
        self, client: TestClient, clock: Clock
    ) -> None:
        today = clock.now.date()
        certifications = [
            {"name": name, "earned_at": "2020-01-01", "expires_at": str(today - timedelta(days))}
            for name, days in (("CKA", 9), ("CKS", 30))
        ]
        partner = create_partner(client, certifications=certifications)
        item = listed(client)[partner["id"]]
        assert (item["status"], item["reasons"]) == ("stale", ["all_certifications_expired"])
        assert date.fromisoformat(item["since"]) == today - timedelta(days=8)
        assert item["days_overdue"] == 8
        assert date.fromisoformat(item["reminder_due_on"]) == today + timedelta(days=6)

    def test_one_active_certification_keeps_a_profile_fresh(self, client: TestClient) -> None:
        certifications = [
            {"name": "CKA", "earned_at": "2020-01-01", "expires_at": "2021-01-01"},
            {"name": "CKS", "earned_at": "2020-01-01", "expires_at": None},
        ]
        create_partner(client, certifications=certifications)
        assert listed(client) == {}

    def test_no_skills_is_stale_since_the_last_update(
        self, client: TestClient, clock: Clock
    ) -> None:
        partner = create_partner(client, skills=[])
        clock.advance(days=3)
        item = listed(client)[partner["id"]]
        assert (item["status"], item["reasons"]) == ("stale", ["no_skills"])
        assert (date.fromisoformat(item["since"]), item["days_overdue"]) == (
            clock.now.date() - timedelta(days=3),
            3,
        )


class TestFiltersAndPaging:
    def test_status_filter(self, client: TestClient, clock: Clock) -> None:
        ageing = create_partner(client)
        clock.advance(days=155)
        skill_less = create_partner(client, skills=[])
        assert list(listed(client)) == [ageing["id"], skill_less["id"]]
        assert list(listed(client, status="due")) == [ageing["id"]]
        assert list(listed(client, status="stale")) == [skill_less["id"]]

    def test_cursor_walks_every_flagged_profile_once(
        self, client: TestClient, clock: Clock
    ) -> None:
        ids = [create_partner(client, skills=[])["id"] for _ in range(5)]
        create_partner(client)  # fresh: never listed
        seen: list[int] = []
        page = stale_listing(client, limit=2)
        while True:
            seen += [item["partner_id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            page = stale_listing(client, limit=2, cursor=page["next_cursor"])
        assert seen == ids

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"cursor": "abc"}, "cursor"),
            ({"cursor": "99999999999999999999999"}, "cursor"),
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"status": "fresh"}, "status"),
        ],
    )
    def test_bad_parameters_are_named(
        self, client: TestClient, params: dict[str, Any], field: str
    ) -> None:
        response = client.get("/v1/partners/stale", params=params)
        assert response.status_code == 422
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]


class TestThresholdsFromSettings:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"due_after_days": 10, "stale_after_days": 20})

    def test_the_configured_days_apply(self, client: TestClient, clock: Clock) -> None:
        partner = create_partner(client)
        clock.advance(days=9)
        assert listed(client) == {}
        clock.advance(days=1)
        assert listed(client)[partner["id"]]["status"] == "due"
        clock.advance(days=10)
        assert listed(client)[partner["id"]]["status"] == "stale"


class TestAccess:
    @pytest.mark.parametrize(
        ("role", "status"), [(Role.MANAGER, 200), (Role.PARTNER, 403), (Role.PUBLIC, 401)]
    )
    def test_managers_and_admins_only(
        self, client: TestClient, client_as: ClientAs, role: Role, status: int
    ) -> None:
        partner = create_partner(client)
        caller = client_as(role, partner_id=partner["id"] if role is Role.PARTNER else None)
        assert caller.get("/v1/partners/stale").status_code == status
