"""Every query of the profiles domain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from core.database import table_of
from profiles import changelog
from profiles.models import Certification, Location, Partner, PartnerSkill
from profiles.rows import NewPartner


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


@dataclass(frozen=True)
class Known:
    """A stored partner as an import line that names it needs it."""

    id: int
    version: int
    attested_at: datetime | None


def known_by_external_id(session: Session, external_ids: Iterable[str]) -> dict[str, Known]:
    """The stored partners with these external ids (their rows are not loaded)."""
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    query = select(Partner.external_id, Partner.id, Partner.version, Partner.attested_at)
    rows = session.execute(query.where(Partner.external_id.in_(wanted)))
    return {
        str(external_id): Known(id=pid, version=version, attested_at=attested)
        for external_id, pid, version, attested in rows
    }


def external_id_taken(session: Session, external_id: str, *, except_id: int | None) -> bool:
    query = select(Partner.id).where(Partner.external_id == external_id)
    if except_id is not None:
        query = query.where(Partner.id != except_id)
    return session.scalar(query.limit(1)) is not None


def count_partners(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Partner)) or 0


def most_recently_updated_partner(session: Session) -> int | None:
    """The id of the partner whose profile changed last (a fresh one, for demos)."""
    query = select(Partner.id).order_by(Partner.profile_updated_at.desc(), Partner.id).limit(1)
    return session.scalar(query)


def insert_partners(session: Session, partners: list[NewPartner]) -> list[int]:
    """Bulk insert (one executemany per table); returns the new ids in input order."""
    if not partners:
        return []
    changelog.lock_for_writes(session)
    table = table_of(Partner)
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [partner.columns for partner in partners],
        ).scalars()
    )
    _insert_children(session, ids, partners)
    return ids


def _insert_children(session: Session, ids: list[int], partners: list[NewPartner]) -> None:
    for child, attribute in (
        (Location, "locations"),
        (PartnerSkill, "skills"),
        (Certification, "certifications"),
    ):
        rows = [
            {**row, "partner_id": partner_id}
            for partner_id, partner in zip(ids, partners, strict=True)
            for row in getattr(partner, attribute)
        ]
        if rows:
            session.execute(insert(table_of(child)), rows)


def replace_partners(session: Session, replacements: list[tuple[Known, NewPartner]]) -> None:
    """Bulk replace stored partners (one executemany per table): every column but the
    creation time, and every child row. Each `NewPartner` carries the new version; a partner
    whose version is no longer the one read is a StaleDataError."""
    if not replacements:
        return
    changelog.lock_for_writes(session)
    table = table_of(Partner)
    columns = [name for name in replacements[0][1].columns if name != "created_at"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("known_id"), table.c.version == bindparam("known_version"))
        .values({name: bindparam(name) for name in columns})
    )
    rows = [
        {name: record.columns[name] for name in columns}
        | {"known_id": known.id, "known_version": known.version}
        for known, record in replacements
    ]
    if session.execute(statement, rows).rowcount != len(rows):  # type: ignore[attr-defined]
        raise StaleDataError("a partner changed while the import replaced it")
    ids = [known.id for known, _ in replacements]
    for child in (Location, PartnerSkill, Certification):
        session.execute(delete(table_of(child)).where(table_of(child).c.partner_id.in_(ids)))
    _insert_children(session, ids, [record for _, record in replacements])


def names_on_profiles(
    session: Session, column: InstrumentedAttribute[str], names: list[str]
) -> set[str]:
    """Which of `names` some profile lists in `column` (skill or certification names), compared
    case-insensitively; exact spellings are found through the column's index first."""
    found = set(session.scalars(select(column).where(column.in_(names)).distinct()))
    rest = {name.casefold(): name for name in names if name not in found}
    if rest:
        folded = select(func.lower(column)).where(func.lower(column).in_(list(rest))).distinct()
        found |= {rest[key] for key in session.scalars(folded) if key in rest}
    return {name for name in names if name in found}


def distinct_names(
    session: Session, column: InstrumentedAttribute[str], *, limit: int
) -> list[str]:
    """Up to `limit` distinct names listed in `column` (suggestions for an unknown name)."""
    return list(session.scalars(select(column).distinct().limit(limit)))
