"""Typed factories writing partners straight into the store, change-log entry included
through the log's one writer (profiles.changelog), as the profile service does (one
transaction per write)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from profiles import changelog
from profiles.models import Certification, Location, Partner, PartnerSkill


@dataclass(frozen=True)
class Office:
    lat: float
    lon: float
    country: str = "DE"
    service_radius_km: float = 100.0
    city: str | None = None


MUNICH = Office(48.137, 11.575, city="Munich")
AUGSBURG = Office(48.371, 10.898, city="Augsburg", service_radius_km=30.0)
BERLIN = Office(52.520, 13.405, city="Berlin")
VIENNA = Office(48.208, 16.373, country="AT", city="Vienna")


@dataclass(frozen=True)
class Cert:
    name: str
    expires_at: date | None = None
    earned_at: date = date(2020, 1, 1)


def add_partner(
    engine: Engine,
    *,
    name: str,
    now: datetime,
    description: str = "",
    tier: str = "gold",
    offices: Sequence[Office] = (MUNICH,),
    skills: Mapping[str, int] | None = None,
    verified: Sequence[str] = (),
    certifications: Sequence[Cert] = (),
    industries: Sequence[str] = (),
    products: Sequence[str] = (),
    languages: Sequence[str] = ("en",),
    updated_days_ago: float = 1.0,
    attested_days_ago: float | None = None,
) -> int:
    """Insert one partner (skills default to Kubernetes level 3); returns its id."""
    updated = now - timedelta(days=updated_days_ago)
    partner = Partner(
        name=name,
        description=description,
        tier=tier,
        industries=list(industries),
        products=list(products),
        languages=list(languages),
        max_open_leads=10,
        profile_updated_at=updated,
        attested_at=None if attested_days_ago is None else now - timedelta(days=attested_days_ago),
        created_at=updated,
        updated_at=updated,
    )
    _fill(partner, offices=offices, skills=skills, verified=verified, certs=certifications)
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
    tier: str | None = None,
    offices: Sequence[Office] | None = None,
    skills: Mapping[str, int] | None = None,
) -> None:
    """Change some fields of a stored partner; lists given replace the stored ones."""
    with Session(engine) as session, session.begin():
        partner = session.get_one(Partner, partner_id)
        partner.name = name or partner.name
        partner.tier = tier or partner.tier
        if offices is not None:
            partner.locations = [_location(i, office) for i, office in enumerate(offices)]
        if skills is not None:
            session.query(PartnerSkill).filter_by(partner_id=partner_id).delete()
            session.add_all(_skills(skills, verified=(), partner_id=partner_id))
        session.flush()
        _log(session, partner_id, op="upsert", version=partner.version)


def delete_partner(engine: Engine, partner_id: int) -> None:
    with Session(engine) as session, session.begin():
        partner = session.get_one(Partner, partner_id)
        version = partner.version
        session.delete(partner)
        _log(session, partner_id, op="delete", version=version)


def _fill(
    partner: Partner,
    *,
    offices: Sequence[Office],
    skills: Mapping[str, int] | None,
    verified: Sequence[str],
    certs: Sequence[Cert],
) -> None:
    partner.locations = [_location(i, office) for i, office in enumerate(offices)]
    partner.skills = _skills({"Kubernetes": 3} if skills is None else skills, verified=verified)
    partner.certifications = [
        Certification(position=i, name=c.name, earned_at=c.earned_at, expires_at=c.expires_at)
        for i, c in enumerate(certs)
    ]


def _location(position: int, office: Office) -> Location:
    return Location(
        position=position,
        lat=office.lat,
        lon=office.lon,
        city=office.city,
        country=office.country,
        service_radius_km=office.service_radius_km,
    )


def _skills(
    skills: Mapping[str, int], *, verified: Sequence[str], partner_id: int | None = None
) -> list[PartnerSkill]:
    extra = {} if partner_id is None else {"partner_id": partner_id}
    return [
        PartnerSkill(name=name, level=level, verified=name in verified, **extra)
        for name, level in skills.items()
    ]


def _log(session: Session, partner_id: int, *, op: str, version: int) -> None:
    changelog.append(
        session, [{"partner_id": partner_id, "op": op, "version": version, "at": datetime.now(UTC)}]
    )
