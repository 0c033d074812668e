"""Every query of the outbox: events, deliveries (claimed under a lease) and subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session, selectinload

from core.database import PerDialect, table_of
from matcher.accounts.models import ACTIVE, Account, Reservation
from matcher.notifications.models import (
    PENDING,
    Delivery,
    NotificationEvent,
    SchedulePass,
    WebhookSubscription,
)
from profiles.models import Partner


def undispatched(session: Session, *, limit: int) -> list[Undispatched]:
    """Events whose deliveries are not yet made, oldest first, as rows of what choosing the
    recipients needs (id, kind, partner_id); rows another process holds are skipped
    (PostgreSQL), SQLite's single writer serialises the rest."""
    return list(session.execute(_UNDISPATCHED, {"limit": limit}))


def mark_dispatched(session: Session, event_ids: Collection[int], *, now: datetime) -> None:
    """One UPDATE for the batch (the ORM wrote one per event)."""
    if event_ids:
        session.execute(_MARK_DISPATCHED, {"ids": list(event_ids), "now": now})


_EVENTS = table_of(NotificationEvent)
Undispatched = Row[int, str, int | None]
# The delivery worker runs these a few times a second: built once.
_UNDISPATCHED = (
    select(_EVENTS.c.id, _EVENTS.c.kind, _EVENTS.c.partner_id)
    .where(_EVENTS.c.dispatched_at.is_(None))
    .order_by(_EVENTS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_DISPATCHED = (
    update(_EVENTS)
    .where(_EVENTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(dispatched_at=bindparam("now"))
)


def add_deliveries(session: Session, rows: list[dict[str, object]], *, now: datetime) -> None:
    """Pending deliveries ({event_id, channel, target, subscription_id} each), skipping the
    ones an event already has for its target (another worker dispatched it too)."""
    if not rows:
        return
    due = {"status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
    session.execute(_ADD_DELIVERIES(session), [{**row, **due} for row in rows])


def _add_deliveries(insert: Callable[[Table], Any]) -> Any:
    index = ["event_id", "channel", "target"]
    return insert(table_of(Delivery)).on_conflict_do_nothing(index_elements=index)


_ADD_DELIVERIES = PerDialect(_add_deliveries)


def claim(
    session: Session,
    *,
    token: str,
    channels: Collection[str],
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Delivery]:
    """Take up to `limit` due deliveries for `lease`. The due rows are read first (locked
    with SKIP LOCKED on PostgreSQL), so a round with nothing due writes nothing (on SQLite a
    write would queue behind every other writer); the UPDATE checks again that each is still
    unclaimed, and the lease (`claimed_until`) keeps others off on every backend and frees
    the rows of a worker that died."""
    unclaimed = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now)
    due = list(
        session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status == PENDING,
                Delivery.channel.in_(channels),
                Delivery.next_attempt_at <= now,
                unclaimed,
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due), Delivery.status == PENDING, unclaimed)
        .values(claimed_until=now + lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(Delivery).where(Delivery.claim_token == token)))


def finish(session: Session, delivery_id: int, *, token: str, values: dict[str, object]) -> bool:
    """Write an attempt's result if this worker still holds the claim; False when not."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def events_by_id(session: Session, ids: Collection[int]) -> dict[int, NotificationEvent]:
    rows = session.scalars(select(NotificationEvent).where(NotificationEvent.id.in_(ids)))
    return {row.id: row for row in rows}


def subscriptions_by_id(session: Session, ids: Collection[int]) -> dict[int, WebhookSubscription]:
    rows = session.scalars(select(WebhookSubscription).where(WebhookSubscription.id.in_(ids)))
    return {row.id: row for row in rows}


def active_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
    return session.scalars(query.order_by(WebhookSubscription.id)).all()


def contacts_of(session: Session, partner_ids: Collection[int]) -> dict[int, list[dict[str, str]]]:
    """Partner id -> its contacts (only that column: no profile children are loaded)."""
    query = select(Partner.id, Partner.contacts).where(Partner.id.in_(partner_ids))
    return {partner_id: contacts or [] for partner_id, contacts in session.execute(query)}


def list_events(
    session: Session,
    *,
    kind: str | None,
    lead_id: int | None,
    partner_id: int | None,
    before_id: int | None,
    limit: int,
) -> Sequence[NotificationEvent]:
    query = (
        select(NotificationEvent)
        .options(selectinload(NotificationEvent.deliveries))
        .order_by(NotificationEvent.id.desc())
        .limit(limit)
    )
    filters = {"kind": kind, "lead_id": lead_id, "partner_id": partner_id}
    query = query.filter_by(**{name: value for name, value in filters.items() if value is not None})
    if before_id is not None:
        query = query.where(NotificationEvent.id < before_id)
    return session.scalars(query).all()


def list_deliveries(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    before_id: int | None = None,
    limit: int = 1000,
) -> Sequence[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    filters = {"status": status, "channel": channel}
    query = query.filter_by(**{name: value for name, value in filters.items() if value is not None})
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return session.scalars(query).all()


def reservations_ending(
    session: Session, *, now: datetime, until: datetime
) -> list[tuple[Reservation, Account]]:
    """Active reservations ending in (now, until], with their accounts."""
    query = (
        select(Reservation, Account)
        .join(Account, Account.id == Reservation.account_id)
        .where(Reservation.status == ACTIVE, Reservation.until > now, Reservation.until <= until)
        .order_by(Reservation.until, Reservation.id)
    )
    return [(reservation, account) for reservation, account in session.execute(query)]


def begin_pass(session: Session, name: str, *, now: datetime, every: timedelta) -> bool:
    """Whether this process may run the pass `name` now: true for one caller per `every`
    (the row's time moves to `now` in the same statement), and again at once if the clock went
    back behind the last pass."""
    values = {"name": name, "began_at": now, "due_before": now - every}
    return session.execute(_BEGIN_PASS(session), values).first() is not None


def _begin_pass(insert: Callable[[Table], Any]) -> Any:
    passes = table_of(SchedulePass)
    statement = insert(passes)
    statement = statement.on_conflict_do_update(
        index_elements=[passes.c.name],
        set_={"began_at": statement.excluded.began_at},
        where=or_(
            passes.c.began_at <= bindparam("due_before"),
            passes.c.began_at > statement.excluded.began_at,
        ),
    )
    # a row comes back when one was inserted or updated (psycopg's rowcount here is -1)
    return statement.returning(passes.c.name)


_BEGIN_PASS = PerDialect(_begin_pass)


def all_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
