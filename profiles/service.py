"""Partner profile behaviour: create, update, attest, delete, import. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from geopy.geocoders.base import Geocoder
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PartnerMatchError,
    PreconditionFailed,
    invalid_input,
)
from profiles import repository
from profiles.geocoding import geocode_place
from profiles.models import Certification, Location, Partner, PartnerSkill
from profiles.schemas import (
    ImportLineError,
    ImportReport,
    LocationIn,
    PartnerCreate,
    PartnerImport,
    PartnerUpdate,
    Skill,
)
from scoring.freshness import Freshness, FreshnessPolicy, assess

# Fields a create or import always sets (their defaults count as given).
_ALWAYS_SET = frozenset({"tier", "capacity", "description"})


def get_partner(session: Session, partner_id: int) -> Partner:
    partner = repository.get_partner(session, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found")
    return partner


def create_partner(
    session: Session, data: PartnerCreate, *, geocoder: Geocoder, now: datetime
) -> Partner:
    if data.external_id and repository.external_id_taken(session, data.external_id, except_id=None):
        raise _external_id_conflict(data.external_id)
    partner = _new_partner(data, geocoder=geocoder, now=now)
    session.add(partner)
    _flush(session)
    _log(session, [partner], now=now)
    return partner


def update_partner(
    session: Session,
    partner_id: int,
    *,
    data: PartnerUpdate,
    expected_version: int | None,
    geocoder: Geocoder,
    now: datetime,
) -> Partner:
    partner = get_partner(session, partner_id)
    _check_version(partner, expected_version)
    if data.external_id and repository.external_id_taken(
        session, data.external_id, except_id=partner.id
    ):
        raise _external_id_conflict(data.external_id)
    _apply(partner, data, fields=data.model_fields_set, geocoder=geocoder)
    partner.profile_updated_at = partner.updated_at = now
    _flush(session)
    _log(session, [partner], now=now)
    return partner


def attest_partner(session: Session, partner_id: int, *, now: datetime) -> Partner:
    """The partner confirms its profile is current: freshness restarts from now."""
    partner = get_partner(session, partner_id)
    partner.attested_at = partner.updated_at = now
    _flush(session)
    _log(session, [partner], now=now)
    return partner


def delete_partner(
    session: Session, partner_id: int, *, expected_version: int | None, now: datetime
) -> None:
    partner = get_partner(session, partner_id)
    _check_version(partner, expected_version)
    version = partner.version
    session.delete(partner)
    _flush(session)
    # A delete is newer than every write before it: indexes order deliveries by version.
    repository.record_change(
        session, partner_id=partner_id, op="delete", version=version + 1, at=now
    )


def import_partners(
    session: Session,
    lines: Iterable[tuple[int, str]],
    *,
    geocoder: Geocoder,
    now: datetime,
    batch_size: int,
    report: ImportReport | None = None,
) -> ImportReport:
    """Upsert NDJSON lines (number, text) by external_id; bad lines are reported, not imported.

    Lines without an external_id always create a partner. Pass `report` to accumulate
    figures over several calls (the CLI commits between batches).
    """
    report = report or ImportReport()
    for batch in batches(lines, batch_size):
        _import_batch(session, batch, geocoder=geocoder, now=now, report=report)
    report.failed = len(report.errors)
    return report


def _import_batch(
    session: Session,
    batch: list[tuple[int, str]],
    *,
    geocoder: Geocoder,
    now: datetime,
    report: ImportReport,
) -> None:
    parsed: list[tuple[int, PartnerImport]] = []
    for number, text in batch:
        try:
            parsed.append((number, PartnerImport.model_validate_json(text)))
        except ValidationError as exc:
            report.errors.append(_line_error(number, invalid_input(exc.errors())))
    known = repository.partners_by_external_id(
        session, (data.external_id for _, data in parsed if data.external_id)
    )
    touched: dict[int, Partner] = {}
    for number, data in parsed:
        try:
            partner = _upsert(session, data, known=known, geocoder=geocoder, now=now)
        except PartnerMatchError as exc:
            report.errors.append(_line_error(number, exc, external_id=data.external_id))
            continue
        touched[id(partner)] = partner
    report.created += sum(1 for p in touched.values() if p.id is None)
    report.updated += sum(1 for p in touched.values() if p.id is not None)
    _flush(session)
    _log(session, list(touched.values()), now=now)


def _upsert(
    session: Session,
    data: PartnerImport,
    *,
    known: dict[str, Partner],
    geocoder: Geocoder,
    now: datetime,
) -> Partner:
    partner = known.get(data.external_id or "")
    if partner is None:
        partner = _new_partner(data, geocoder=geocoder, now=now)
        session.add(partner)
        if data.external_id:
            known[data.external_id] = partner
        return partner
    # An import line is the whole record: every field is replaced.
    _apply(partner, data, fields=set(PartnerCreate.model_fields), geocoder=geocoder)
    partner.profile_updated_at = data.profile_updated_at or now
    partner.attested_at = data.attested_at or partner.attested_at
    partner.updated_at = now
    return partner


def _new_partner(data: PartnerCreate, *, geocoder: Geocoder, now: datetime) -> Partner:
    partner = Partner(created_at=now, updated_at=now)
    _apply(partner, data, fields=data.model_fields_set | _ALWAYS_SET, geocoder=geocoder)
    if isinstance(data, PartnerImport):
        partner.profile_updated_at = data.profile_updated_at or now
        partner.attested_at = data.attested_at
    else:
        partner.profile_updated_at = now
    return partner


def _apply(partner: Partner, data: BaseModel, *, fields: set[str], geocoder: Geocoder) -> None:
    """Copy the given fields onto the ORM partner; geocodes first so a failure changes nothing."""
    values = {name: getattr(data, name) for name in fields}
    if "locations" in values:
        values["locations"] = _resolve_locations(values["locations"], geocoder=geocoder)
    for name, value in values.items():
        if name == "capacity":
            partner.max_open_leads = value.max_open_leads
        elif name == "skills":
            _replace_skills(partner, value)
        elif name == "certifications":
            partner.certifications = [
                Certification(position=i, **cert.model_dump()) for i, cert in enumerate(value)
            ]
        elif name == "website":
            partner.website = str(value) if value is not None else None
        elif name == "description":
            partner.description = value or ""
        else:
            setattr(partner, name, value)


def _replace_skills(partner: Partner, skills: list[Skill]) -> None:
    """Reconcile by name: rows are updated in place, since a flush inserts before it deletes
    and a re-added skill would otherwise collide with its own old row."""
    current = {row.name: row for row in partner.skills}
    rows = []
    for skill in skills:
        row = current.get(skill.name) or PartnerSkill(name=skill.name)
        row.level, row.verified = skill.level, skill.verified
        rows.append(row)
    partner.skills = rows


def _resolve_locations(locations: list[LocationIn], *, geocoder: Geocoder) -> list[Location]:
    resolved = []
    for position, location in enumerate(locations):
        lat, lon = location.lat, location.lon
        if lat is None or lon is None:
            found = geocode_place(geocoder, city=location.city, country=location.country)
            if found is None:
                place = ", ".join(p for p in (location.city, location.country) if p)
                field = f"locations.{position}.{'city' if location.city else 'country'}"
                raise InvalidInput.field(field, f"could not geocode {place!r}")
            lat, lon = found.latitude, found.longitude
        resolved.append(
            Location(
                position=position,
                label=location.label,
                lat=lat,
                lon=lon,
                city=location.city,
                country=location.country,
                service_radius_km=location.service_radius_km,
            )
        )
    return resolved


def _check_version(partner: Partner, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != partner.version:
        raise PreconditionFailed(
            f"partner {partner.id} is at version {partner.version}, not {expected_version}",
            details=[{"field": "If-Match", "message": f"current version is {partner.version}"}],
        )


def _flush(session: Session) -> None:
    """Flush, turning concurrency and uniqueness races into the contract's errors."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed("the partner was changed concurrently; reload it") from exc
    except IntegrityError as exc:
        raise Conflict("a concurrent write conflicts with this one (external_id taken?)") from exc


def _log(session: Session, partners: list[Partner], *, now: datetime) -> None:
    for partner in partners:
        repository.record_change(
            session, partner_id=partner.id, op="upsert", version=partner.version, at=now
        )


def _external_id_conflict(external_id: str) -> Conflict:
    return Conflict(
        f"external_id {external_id!r} is already used by another partner",
        details=[{"field": "external_id", "message": "already used"}],
    )


def _line_error(
    number: int, error: PartnerMatchError, *, external_id: str | None = None
) -> ImportLineError:
    return ImportLineError(
        line=number,
        external_id=external_id,
        code=error.code,
        message=error.message,
        details=error.details,
    )


def batches(lines: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    """Consecutive lists of at most `size` numbered lines."""
    iterator = iter(lines)
    while batch := list(islice(iterator, size)):
        yield batch


def freshness_of(partner: Partner, *, now: datetime, policy: FreshnessPolicy) -> Freshness:
    return assess(
        profile_updated_at=partner.profile_updated_at,
        attested_at=partner.attested_at,
        skill_count=len(partner.skills),
        certification_expiries=[cert.expires_at for cert in partner.certifications],
        now=now,
        policy=policy,
    )
