"""Typed factories for test data sent through the API."""

from __future__ import annotations

from typing import Any

import httpx


def location(
    *,
    city: str = "Munich",
    country: str = "DE",
    lat: float | None = 48.137,
    lon: float | None = 11.575,
    service_radius_km: float = 100.0,
    label: str | None = "HQ",
) -> dict[str, Any]:
    place: dict[str, Any] = {
        "label": label,
        "city": city,
        "country": country,
        "service_radius_km": service_radius_km,
    }
    if lat is not None and lon is not None:
        place.update(lat=lat, lon=lon)
    return place


def partner_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/partners body; keyword arguments replace top-level fields."""
    payload: dict[str, Any] = {
        "name": "Alpenwolke Cloud Consulting GmbH",
        "description": "Cloud migrations and managed Kubernetes for the Mittelstand.",
        "website": "https://alpenwolke.example",
        "tier": "gold",
        "locations": [location()],
        "skills": [
            {"name": "AWS", "level": 4, "verified": True},
            {"name": "Kubernetes", "level": 3},
        ],
        "certifications": [
            {
                "name": "AWS Certified Solutions Architect - Professional",
                "issuer": "Amazon Web Services",
                "earned_at": "2025-03-01",
                "expires_at": "2028-03-01",
            }
        ],
        "industries": ["Manufacturing"],
        "products": ["Cloud Platform"],
        "languages": ["de", "en"],
        "capacity": {"max_open_leads": 10},
    }
    payload.update(overrides)
    return payload


def create_partner(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """Created through the API: the app's TestClient or an httpx client of a real server."""
    response = client.post("/v1/partners", json=partner_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.json()
