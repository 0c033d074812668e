"""Partner profile behaviour: create, update, attest, delete, import. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from geopy.geocoders.base import Geocoder
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.database import get_or_not_found
from core.errors import (
    Conflict,
    NotFound,
    PartnerMatchError,
    PreconditionFailed,
    invalid_input,
)
from core.schemas import nul_free
from profiles import changelog, repository
from profiles.freshness import Freshness, FreshnessPolicy, assess
from profiles.models import Certification, Location, Partner, PartnerSkill
from profiles.repository import Known
from profiles.rows import (
    NewPartner,
    certification_rows,
    column_values,
    location_rows,
    new_partner,
    skill_rows,
)
from profiles.schemas import (
    FreshnessRead,
    ImportLineError,
    ImportReport,
    PartnerCreate,
    PartnerImport,
    PartnerPublic,
    PartnerRead,
    PartnerUpdate,
    Skill,
    partner_public,
    partner_read,
)


def get_partner(session: Session, partner_id: int) -> Partner:
    return get_or_not_found(session, Partner, partner_id, what="partner")


def get_public_partner(
    session: Session, partner_id: int, *, now: datetime, policy: FreshnessPolicy
) -> Partner:
    """A partner as the public may see it: a stale profile answers like an unknown id."""
    partner = get_partner(session, partner_id)
    if freshness_of(partner, now=now, policy=policy).status == "stale":
        raise NotFound(f"partner {partner_id} not found")
    return partner


def full_view(partner: Partner, *, now: datetime, policy: FreshnessPolicy) -> PartnerRead:
    """The full profile with its freshness assessed at `now` (staff and the partner itself)."""
    assessed = freshness_of(partner, now=now, policy=policy)
    freshness = FreshnessRead.model_validate(assessed.as_dict())
    return partner_read(partner, freshness=freshness, today=now.date())


def public_view(
    session: Session, partner_id: int, *, now: datetime, policy: FreshnessPolicy
) -> PartnerPublic:
    """What anyone may see of a partner (API and directory pages alike); stale is 404."""
    partner = get_public_partner(session, partner_id, now=now, policy=policy)
    return partner_public(full_view(partner, now=now, policy=policy))


def create_partner(
    session: Session, data: PartnerCreate, *, geocoder: Geocoder, now: datetime
) -> Partner:
    if data.external_id and repository.external_id_taken(session, data.external_id, except_id=None):
        raise _external_id_conflict(data.external_id)
    row = new_partner(data, geocoder=geocoder, now=now)
    (partner_id,) = _insert(session, [row], now=now)
    return get_partner(session, partner_id)


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
    _flush_and_log(session, [partner], now=now)
    return partner


def attest_partner(session: Session, partner_id: int, *, now: datetime) -> Partner:
    """The partner confirms its profile is current: freshness restarts from now."""
    partner = get_partner(session, partner_id)
    partner.attested_at = partner.updated_at = now
    _flush_and_log(session, [partner], now=now)
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
    _log(session, op="delete", versions=[(partner_id, version + 1)], now=now)


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

    Pass `report` to accumulate figures over several calls (callers commit between batches).
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
    """New partners go in with bulk inserts, known ones are replaced in bulk."""
    parsed: list[tuple[int, PartnerImport]] = []
    for number, text in batch:
        try:
            parsed.append((number, PartnerImport.model_validate_json(text, context=nul_free(text))))
        except ValidationError as exc:
            report.errors.append(_line_error(number, invalid_input(exc.errors())))
    known = repository.known_by_external_id(session, (data.external_id for _, data in parsed))
    # A repeated external_id within the batch: the last line is the record.
    latest = {data.external_id: (number, data) for number, data in parsed}
    created: list[NewPartner] = []
    replaced: list[tuple[Known, NewPartner]] = []
    for number, data in latest.values():
        try:
            record = new_partner(data, geocoder=geocoder, now=now)
        except PartnerMatchError as exc:
            report.errors.append(_line_error(number, exc, external_id=data.external_id))
            continue
        stored = known.get(data.external_id)
        if stored is None:
            created.append(record)
        else:  # an import line is the whole record; an attestation it omits stands
            attested_at = record.columns["attested_at"] or stored.attested_at
            record.columns.update(version=stored.version + 1, attested_at=attested_at)
            replaced.append((stored, record))
    _replace(session, replaced, now=now)
    _insert(session, created, now=now)
    report.created += len(created)
    report.updated += len(replaced)


def _replace(session: Session, replaced: list[tuple[Known, NewPartner]], *, now: datetime) -> None:
    try:
        repository.replace_partners(session, replaced)
    except StaleDataError as exc:
        raise Conflict("a concurrent change conflicts with this import; retry it") from exc
    versions = [(known.id, record.columns["version"]) for known, record in replaced]
    _log(session, op="upsert", versions=versions, now=now)


def _apply(
    partner: Partner,
    data: PartnerCreate | PartnerUpdate,
    *,
    fields: set[str] | frozenset[str],
    geocoder: Geocoder,
) -> None:
    """Copy the given fields onto the ORM partner; geocodes first so a failure changes nothing."""
    locations = (
        location_rows(data.locations, geocoder=geocoder)
        if "locations" in fields and data.locations is not None
        else None
    )
    for name, value in column_values(data, fields=fields).items():
        setattr(partner, name, value)
    if locations is not None:
        partner.locations = [Location(**row) for row in locations]
    if "skills" in fields and data.skills is not None:
        _replace_skills(partner, data.skills)
    if "certifications" in fields and data.certifications is not None:
        partner.certifications = [
            Certification(**row) for row in certification_rows(data.certifications)
        ]


def _replace_skills(partner: Partner, skills: list[Skill]) -> None:
    """Reconcile by name: rows are updated in place, since a flush inserts before it deletes
    and a re-added skill would otherwise collide with its own old row."""
    current = {row.name: row for row in partner.skills}
    rows = []
    for values in skill_rows(skills):
        row = current.get(values["name"]) or PartnerSkill(name=values["name"])
        row.level, row.verified = values["level"], values["verified"]
        rows.append(row)
    partner.skills = rows


def _insert(session: Session, partners: list[NewPartner], *, now: datetime) -> list[int]:
    try:
        ids = repository.insert_partners(session, partners)
    except IntegrityError as exc:
        raise Conflict("a concurrent write conflicts with this one (external_id taken?)") from exc
    _log(session, op="upsert", versions=[(pid, 1) for pid in ids], now=now)
    return ids


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


def _flush_and_log(session: Session, partners: list[Partner], *, now: datetime) -> None:
    """Write the changes, then their change-log rows with the versions the flush gave them."""
    _flush(session)
    _log(session, op="upsert", versions=[(p.id, p.version) for p in partners], now=now)


def _log(session: Session, *, op: str, versions: list[tuple[int, int]], now: datetime) -> None:
    """The change-log rows of this transaction's writes: (partner id, version written)."""
    changelog.append(
        session,
        [{"partner_id": pid, "op": op, "version": version, "at": now} for pid, version in versions],
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
