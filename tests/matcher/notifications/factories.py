"""Partners with contacts and helpers to read the outbox through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.matcher.factories import skilled_partner


def contacts_of(slug: str) -> list[dict[str, str]]:
    return [
        {"name": "Lea Leads", "email": f"leads@{slug}.example", "role": "leads"},
        {"name": "Paul Profile", "email": f"profile@{slug}.example", "role": "profile"},
    ]


def partner_with_contacts(client: TestClient, *, slug: str, aws_level: int = 4) -> int:
    return skilled_partner(client, aws_level=aws_level, contacts=contacts_of(slug))


def events(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/notifications/events", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def kinds_of(client: TestClient, **params: Any) -> list[str]:
    return sorted(event["kind"] for event in events(client, **params))
