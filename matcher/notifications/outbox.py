"""The outbox: an event row added to the caller's session, so it commits (or rolls back)
with the change that caused it. Recipients are resolved later by the worker's dispatch step.

Kinds: lead.offered, lead.reminder, lead.expired, lead.moved_on, lead.unassigned,
lead.accepted, lead.closed, profile.due, profile.stale, reservation.expiring.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.database import insert_on_conflict
from matcher.notifications.models import NotificationEvent

WRITTEN = "outbox_written"  # session.info flag: this transaction wrote an event
EventKind = Literal[
    "lead.offered",
    "lead.reminder",
    "lead.expired",
    "lead.moved_on",
    "lead.unassigned",
    "lead.accepted",
    "lead.closed",
    "profile.due",
    "profile.stale",
    "reservation.expiring",
]
KINDS: tuple[str, ...] = get_args(EventKind)


def recorded(session: Session, occurrences: Iterable[str]) -> set[str]:
    """Which of these occurrences already have their event (to skip writing them again)."""
    keys = list(occurrences)
    if not keys:
        return set()
    found = select(NotificationEvent.occurrence).where(NotificationEvent.occurrence.in_(keys))
    return set(session.scalars(found))


def emit(
    session: Session,
    *,
    kind: str,
    occurrence: str,
    now: datetime,
    payload: dict[str, Any],
    lead_id: int | None = None,
    partner_id: int | None = None,
) -> bool:
    """Write the event in the session's transaction; False when `occurrence` was already
    recorded (by this or another process), so a happening is one event however often it is
    noticed."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    statement = (
        insert_on_conflict(session, NotificationEvent)
        .values(
            kind=kind,
            occurrence=occurrence,
            lead_id=lead_id,
            partner_id=partner_id,
            payload=payload,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["occurrence"])
        .returning(NotificationEvent.id)  # no row back: the occurrence was already there
    )
    inserted = session.execute(statement).first() is not None
    session.info[WRITTEN] = True  # a worker in this process is woken when this commits
    return inserted
