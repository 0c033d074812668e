"""Partners written straight into the store, as another process would: the rows of a
`tests.factories.partner_payload`, with the past timestamps and raw names the API does not
accept, and the change-log entry through the log's one writer (profiles.changelog), as the
profile service does (one transaction per write)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from profiles import changelog
from profiles.models import Certification, Location, Partner, PartnerSkill
from tests.factories import CertificationFields, Place, SkillFields, partner_payload


def add_partner(
    engine: Engine,
    *,
    now: datetime,
    updated_days_ago: float = 1.0,
    attested_days_ago: float | None = None,
    **fields: Any,
) -> int:
    """Insert one partner of `partner_payload(**fields)`, last updated and attested that many
    days before `now`; returns its id."""
    body = partner_payload(**fields)
    updated = now - timedelta(days=updated_days_ago)
    partner = Partner(
        external_id=body.get("external_id"),
        name=body["name"],
        description=body["description"],
        website=body["website"],
        tier=body["tier"],
        industries=body["industries"],
        products=body["products"],
        languages=body["languages"],
        contacts=body.get("contacts", []),
        max_open_leads=body["capacity"]["max_open_leads"],
        profile_updated_at=updated,
        attested_at=None if attested_days_ago is None else now - timedelta(days=attested_days_ago),
        created_at=updated,
        updated_at=updated,
        locations=_locations(body["locations"]),
        skills=_skills(body["skills"]),
        certifications=[_certification(i, cert) for i, cert in enumerate(body["certifications"])],
    )
    with Session(engine) as session, session.begin():
        session.add(partner)
        session.flush()
        _log(session, partner.id, op="upsert", version=partner.version)
        return partner.id


def update_partner(
    engine: Engine,
    partner_id: int,
    *,
    name: str | None = None,
    locations: list[Place] | None = None,
    skills: list[SkillFields] | None = None,
) -> None:
    """Change some fields of a stored partner; lists given replace the stored ones."""
    with Session(engine) as session, session.begin():
        partner = session.get_one(Partner, partner_id)
        partner.name = name or partner.name
        if locations is not None:
            partner.locations = _locations(locations)
        if skills is not None:
            session.query(PartnerSkill).filter_by(partner_id=partner_id).delete()
            session.add_all(_skills(skills, partner_id=partner_id))
        session.flush()
        _log(session, partner_id, op="upsert", version=partner.version)


def delete_partner(engine: Engine, partner_id: int) -> None:
    with Session(engine) as session, session.begin():
        partner = session.get_one(Partner, partner_id)
        version = partner.version
        session.delete(partner)
        _log(session, partner_id, op="delete", version=version)


def _locations(places: list[Place]) -> list[Location]:
    """Offices at their coordinates (nothing is geocoded here)."""
    return [
        Location(
            position=position,
            label=place.get("label"),
            lat=place["lat"],
            lon=place["lon"],
            city=place.get("city"),
            country=place.get("country"),
            service_radius_km=place.get("service_radius_km", 100.0),
        )
        for position, place in enumerate(places)
    ]


def _skills(skills: list[SkillFields], *, partner_id: int | None = None) -> list[PartnerSkill]:
    extra = {} if partner_id is None else {"partner_id": partner_id}
    return [
        PartnerSkill(
            name=skill["name"],
            level=skill.get("level", 3),
            verified=skill.get("verified", False),
            **extra,
        )
        for skill in skills
    ]


def _certification(position: int, cert: CertificationFields) -> Certification:
    expires_at = cert.get("expires_at")
    return Certification(
        position=position,
        name=cert["name"],
        issuer=cert.get("issuer"),
        earned_at=date.fromisoformat(cert["earned_at"]),
        expires_at=None if expires_at is None else date.fromisoformat(expires_at),
    )


def _log(session: Session, partner_id: int, *, op: str, version: int) -> None:
    changelog.append(
        session, [{"partner_id": partner_id, "op": op, "version": version, "at": datetime.now(UTC)}]
    )
