"""Typed factories for accounts and reservations sent through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from matcher.leads.sweep import sweep
from tests.factories import create_partner


def create_account(client: TestClient, *, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/accounts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def reserve(
    client: TestClient, account_id: int, *, partner_id: int, until: datetime
) -> dict[str, Any]:
    response = client.post(
        f"/v1/accounts/{account_id}/reservations",
        json={"partner_id": partner_id, "until": until.isoformat()},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def in_days(now: datetime, days: float) -> datetime:
    return now + timedelta(days=days)


def error_fields(response: Any) -> set[str]:
    """The fields named by an error envelope."""
    return {detail["field"] for detail in response.json()["error"]["details"]}


def lead_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/leads body (a customer in Munich needing AWS); keywords replace fields."""
    payload: dict[str, Any] = {
        "title": "Cloud migration for a machine builder",
        "customer": {"name": "Brandt Maschinenbau", "lat": 48.14, "lon": 11.58},
        "required_skills": ["AWS"],
    }
    payload.update(overrides)
    return payload


def skilled_partner(client: TestClient, *, aws_level: int, **overrides: Any) -> int:
    """A partner in Munich whose AWS level sets its rank (5 best); returns its id."""
    skills = [{"name": "AWS", "level": aws_level, "verified": True}]
    return create_partner(client, skills=skills, **overrides)["id"]


def post_lead(
    client: TestClient, *, params: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """Routes a lead after the index has caught up with the partners written so far."""
    client.app.state.index.catch_up()  # type: ignore[attr-defined]
    response = client.post("/v1/leads", json=lead_payload(**fields), params=params or {})
    assert response.status_code == 201, response.text
    return response.json()


def decline(client: TestClient, lead_id: int, *, reason: str = "no capacity") -> dict[str, Any]:
    response = client.post(f"/v1/leads/{lead_id}/decline", json={"reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def accept(client: TestClient, lead_id: int) -> dict[str, Any]:
    response = client.post(f"/v1/leads/{lead_id}/accept")
    assert response.status_code == 200, response.text
    return response.json()


def kinds(lead: dict[str, Any]) -> list[tuple[str, int | None]]:
    """The lead's history as (kind, partner_id) pairs."""
    return [(event["kind"], event["partner_id"]) for event in lead["history"]]


def sweep_now(client: TestClient) -> int:
    """Runs the SLA sweep at the app's clock, as `partnermatch sweep` does; offers expired."""
    app = client.app
    report = sweep(app.state.sessionmaker, settings=app.state.settings, now=app.state.clock())  # type: ignore[attr-defined]
    return report.expired


def reserved_lead(client: TestClient, *, now: datetime) -> tuple[int, int, dict[str, Any]]:
    """A lead whose customer is reserved by a weaker partner while a stronger one exists:
    (holder, other, lead); routing offers it to the holder."""
    holder = skilled_partner(client, aws_level=2)
    other = skilled_partner(client, aws_level=5)
    account = create_account(client, name="Initech", domain="initech.com")
    reserve(client, account["id"], partner_id=holder, until=in_days(now, 30))
    lead = post_lead(client, customer={"name": "Initech", "lat": 48.1, "lon": 11.6})
    assert lead["assigned_partner_id"] == holder
    return holder, other, lead
