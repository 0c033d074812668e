"""Every query of the profiles domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from profiles.models import ChangeLogEntry, Partner


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def partners_by_external_id(session: Session, external_ids: Iterable[str]) -> dict[str, Partner]:
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    rows = session.scalars(select(Partner).where(Partner.external_id.in_(wanted)))
    return {partner.external_id: partner for partner in rows if partner.external_id}


def external_id_taken(session: Session, external_id: str, *, except_id: int | None) -> bool:
    query = select(Partner.id).where(Partner.external_id == external_id)
    if except_id is not None:
        query = query.where(Partner.id != except_id)
    return session.scalar(query.limit(1)) is not None


def count_partners(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Partner)) or 0


def record_change(
    session: Session, *, partner_id: int, op: str, version: int, at: datetime
) -> None:
    """Adds the change-log row in the caller's transaction (the outbox)."""
    session.add(ChangeLogEntry(partner_id=partner_id, op=op, version=version, at=at))


def last_change_seq(session: Session) -> int:
    return session.scalar(select(func.max(ChangeLogEntry.seq))) or 0
