"""The store reads this backend needs besides the change log: partners by id, all partners."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from profiles.models import ChangeLogEntry, Partner


def partners_by_id(session: Session, ids: Sequence[int]) -> list[Partner]:
    """The current rows of the given partners (with offices, skills, certifications)."""
    if not ids:
        return []
    return list(session.scalars(select(Partner).where(Partner.id.in_(list(ids)))))


@dataclass(frozen=True)
class Settled:
    """The store split at a change-log seq, read in one statement (one snapshot): partners
    with no change after the seq, and the ids changed after it (live or deleted since)."""

    partners: int
    changed_ids: list[int]


def settled_since(session: Session, *, seq: int) -> Settled:
    """Partners untouched after `seq` and the ids touched after it, from one snapshot: a
    compound statement, so concurrent writes cannot fall between the two halves."""
    changed = select(ChangeLogEntry.partner_id).where(ChangeLogEntry.seq > seq)
    untouched = select(func.count()).select_from(Partner).where(Partner.id.not_in(changed))
    rows = session.execute(
        union_all(
            select(literal(0).label("is_id"), untouched.scalar_subquery()),
            select(literal(1), changed.distinct().subquery().c.partner_id),
        )
    )
    partners, changed_ids = 0, []
    for is_id, value in rows:
        if is_id:
            changed_ids.append(int(value))
        else:
            partners = int(value)
    return Settled(partners, changed_ids)


def iter_partner_batches(session: Session, *, size: int) -> Iterator[list[Partner]]:
    """Every partner in id order, `size` at a time (keyset pagination, no OFFSET)."""
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(Partner).where(Partner.id > after).order_by(Partner.id).limit(size)
            )
        )
        if not batch:
            return
        yield batch
        after = batch[-1].id
        session.expunge_all()
