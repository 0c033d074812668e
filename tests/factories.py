"""The one partner factory of the tests: `partner_payload` describes a partner in the words of
the v1 contract, and every way of storing one starts from it: `create_partner` sends it through
the API, `tests.indexing.writes.create` through the profile service, and
`tests.indexing.factories.add_partner` straight into the store (with the past timestamps and
raw names the API would not accept)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypedDict

import httpx


class Place(TypedDict, total=False):
    label: str | None
    city: str | None
    country: str
    lat: float
    lon: float
    service_radius_km: float


class SkillFields(TypedDict, total=False):
    name: str
    level: int
    verified: bool


class CertificationFields(TypedDict, total=False):
    name: str
    issuer: str | None
    earned_at: str
    expires_at: str | None


class PartnerFields(TypedDict, total=False):
    """A POST /v1/partners body."""

    external_id: str | None
    name: str
    description: str
    website: str | None
    tier: str
    locations: list[Place]
    skills: list[SkillFields]
    certifications: list[CertificationFields]
    industries: list[str]
    products: list[str]
    languages: list[str]
    capacity: dict[str, int]
    contacts: list[dict[str, str]]


def location(
    *,
    city: str | None = "Munich",
    country: str = "DE",
    lat: float | None = 48.137,
    lon: float | None = 11.575,
    service_radius_km: float = 100.0,
    label: str | None = "HQ",
) -> Place:
    """An office; without lat and lon the service geocodes its city."""
    place: Place = {
        "label": label,
        "city": city,
        "country": country,
        "service_radius_km": service_radius_km,
    }
    if lat is not None and lon is not None:
        place.update(lat=lat, lon=lon)
    return place


def office(
    lat: float,
    lon: float,
    *,
    country: str = "DE",
    city: str | None = None,
    service_radius_km: float = 100.0,
) -> Place:
    """An office at these coordinates."""
    return location(
        lat=lat, lon=lon, country=country, city=city, service_radius_km=service_radius_km
    )


MUNICH = office(48.137, 11.575, city="Munich")
AUGSBURG = office(48.371, 10.898, city="Augsburg", service_radius_km=30.0)
BERLIN = office(52.520, 13.405, city="Berlin")
VIENNA = office(48.208, 16.373, country="AT", city="Vienna")


def skill_levels(levels: Mapping[str, int], *, verified: Iterable[str] = ()) -> list[SkillFields]:
    """`skill_levels({"AWS": 4}, verified=["AWS"])`: skills by name with their levels."""
    confirmed = set(verified)
    return [
        {"name": name, "level": level, "verified": name in confirmed}
        for name, level in levels.items()
    ]


def certification(
    name: str,
    *,
    expires_at: date | None = None,
    earned_at: date = date(2020, 1, 1),
    issuer: str | None = None,
) -> CertificationFields:
    return {
        "name": name,
        "issuer": issuer,
        "earned_at": earned_at.isoformat(),
        "expires_at": None if expires_at is None else expires_at.isoformat(),
    }


def partner_payload(**overrides: Any) -> PartnerFields:
    """A valid POST /v1/partners body; keyword arguments (PartnerFields, or what a test means
    to be refused) replace its fields."""
    payload: PartnerFields = {
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
            certification(
                "AWS Certified Solutions Architect - Professional",
                issuer="Amazon Web Services",
                earned_at=date(2025, 3, 1),
                expires_at=date(2028, 3, 1),
            )
        ],
        "industries": ["Manufacturing"],
        "products": ["Cloud Platform"],
        "languages": ["de", "en"],
        "capacity": {"max_open_leads": 10},
    }
    payload.update(overrides)  # type: ignore[typeddict-item] # bad input is for tests to send
    return payload


def create_partner(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """Created through the API: the app's TestClient or an httpx client of a real server."""
    response = client.post("/v1/partners", json=partner_payload(**overrides))
    assert response.status_code == 201, response.text
    return response.json()
