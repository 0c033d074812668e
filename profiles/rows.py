"""Contract models to table rows: the one mapping used by bulk inserts and ORM updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geopy.geocoders.base import Geocoder
from pydantic import BaseModel

from core.errors import InvalidInput
from profiles.geocoding import geocode_place
from profiles.schemas import CertificationIn, LocationIn, PartnerCreate, PartnerImport, Skill

CREATE_FIELDS = frozenset(PartnerCreate.model_fields)
CHILD_FIELDS = frozenset({"locations", "skills", "certifications"})


@dataclass
class NewPartner:
    """A partner ready for insertion: its own columns and its child rows (without partner_id)."""

    columns: dict[str, Any]
    locations: list[dict[str, Any]]
    skills: list[dict[str, Any]]
    certifications: list[dict[str, Any]]


def column_values(data: BaseModel, *, fields: set[str] | frozenset[str]) -> dict[str, Any]:
    """The partners-table columns for the given (non-child) fields of a create or update."""
    values: dict[str, Any] = {}
    for name in fields - CHILD_FIELDS:
        value = getattr(data, name)
        if name == "capacity":
            values["max_open_leads"] = value.max_open_leads
        elif name == "website":
            values["website"] = str(value) if value is not None else None
        elif name == "contacts":
            values["contacts"] = [contact.model_dump(mode="json") for contact in value]
        elif name == "description":
            values["description"] = value or ""
        else:
            values[name] = value
    return values


def location_rows(locations: list[LocationIn], *, geocoder: Geocoder) -> list[dict[str, Any]]:
    """Office rows with coordinates; places given only by city/country are geocoded."""
    rows = []
    for position, location in enumerate(locations):
        lat, lon = location.lat, location.lon
        if lat is None or lon is None:
            found = geocode_place(geocoder, city=location.city, country=location.country)
            if found is None:
                place = ", ".join(p for p in (location.city, location.country) if p)
                field = f"locations.{position}.{'city' if location.city else 'country'}"
                raise InvalidInput.field(field, f"could not geocode {place!r}")
            lat, lon = found.latitude, found.longitude
        rows.append(
            {
                "position": position,
                "label": location.label,
                "lat": lat,
                "lon": lon,
                "city": location.city,
                "country": location.country,
                "service_radius_km": location.service_radius_km,
            }
        )
    return rows


def skill_rows(skills: list[Skill]) -> list[dict[str, Any]]:
    return [{"name": s.name, "level": s.level, "verified": s.verified} for s in skills]


def certification_rows(certifications: list[CertificationIn]) -> list[dict[str, Any]]:
    return [{"position": i, **cert.model_dump()} for i, cert in enumerate(certifications)]


def new_partner(data: PartnerCreate, *, geocoder: Geocoder, now: datetime) -> NewPartner:
    """Everything to insert for a create or an import line; source timestamps are kept."""
    columns = column_values(data, fields=CREATE_FIELDS)
    source = data if isinstance(data, PartnerImport) else None
    columns.update(
        profile_updated_at=(source and source.profile_updated_at) or now,
        attested_at=source.attested_at if source else None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    return NewPartner(
        columns=columns,
        locations=location_rows(data.locations, geocoder=geocoder),
        skills=skill_rows(data.skills),
        certifications=certification_rows(data.certifications),
    )
