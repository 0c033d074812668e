"""The outbox: an event row added to the caller's session, so it commits (or rolls back)
with the change that caused it. Recipients are resolved later by the worker's dispatch step.

Kinds: lead.offered, lead.reminder, lead.expired, lead.moved_on, lead.unassigned,
lead.accepted, lead.closed, profile.due, profile.stale, reservation.expiring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.database import PerDialect, table_of
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
_EVENTS = table_of(NotificationEvent)


def _insert_event(insert: Callable[[Table], Any]) -> Any:
    """No row back when the occurrence was already there."""
    statement = insert(_EVENTS).on_conflict_do_nothing(index_elements=["occurrence"])
    return statement.returning(_EVENTS.c.id)


_INSERT_EVENT = PerDialect(_insert_event)


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
    values = {
        "kind": kind,
        "occurrence": occurrence,
        "lead_id": lead_id,
        "partner_id": partner_id,
        "payload": payload,
        "created_at": now,
    }
    inserted = session.execute(_INSERT_EVENT(session), values).first() is not None
    session.info[WRITTEN] = True  # a worker in this process is woken when this commits
    return inserted
