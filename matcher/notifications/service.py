"""Listing the outbox, redelivering dead letters, managing webhook subscriptions.
Never commits."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from core.database import get_or_not_found
from core.errors import Conflict
from matcher.notifications import repository
from matcher.notifications.models import DEAD, PENDING, Delivery, WebhookSubscription
from matcher.notifications.schemas import (
    EventPage,
    EventRead,
    SubscriptionCreate,
    SubscriptionUpdate,
)


def list_events(
    session: Session,
    *,
    kind: str | None,
    lead_id: int | None,
    partner_id: int | None,
    cursor: str | None,
    limit: int,
) -> EventPage:
    """Events newest first, each with its deliveries."""
    rows = repository.list_events(
        session,
        kind=kind,
        lead_id=lead_id,
        partner_id=partner_id,
        before_id=int(cursor) if cursor else None,
        limit=limit,
    )
    items = [EventRead.model_validate(row, from_attributes=True) for row in rows]
    next_cursor = str(rows[-1].id) if len(rows) == limit else None
    return EventPage(items=items, next_cursor=next_cursor)


def list_deliveries(
    session: Session,
    *,
    status: str | None,
    channel: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Delivery], str | None]:
    rows = repository.list_deliveries(
        session,
        status=status,
        channel=channel,
        before_id=int(cursor) if cursor else None,
        limit=limit,
    )
    return rows, (str(rows[-1].id) if len(rows) == limit else None)


def redeliver(session: Session, delivery_id: int, *, now: datetime) -> Delivery:
    """A dead letter goes back to the queue, due now, with a fresh retry window."""
    delivery = get_or_not_found(session, Delivery, delivery_id, what="delivery")
    if delivery.status != DEAD:
        raise Conflict(f"delivery {delivery_id} is {delivery.status}; only a dead one is redone")
    delivery.status, delivery.next_attempt_at, delivery.give_up_at = PENDING, now, None
    delivery.claimed_until = delivery.claim_token = None
    session.flush()
    return delivery


def create_subscription(
    session: Session, data: SubscriptionCreate, *, now: datetime
) -> WebhookSubscription:
    row = WebhookSubscription(
        url=str(data.url),
        secret=data.secret or secrets.token_urlsafe(32),
        event_types=list(data.event_types),
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    return get_or_not_found(
        session, WebhookSubscription, subscription_id, what="webhook subscription"
    )


def update_subscription(
    session: Session, subscription_id: int, data: SubscriptionUpdate
) -> WebhookSubscription:
    row = get_subscription(session, subscription_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None:
            continue
        setattr(row, name, str(value) if name == "url" else value)
    session.flush()
    return row


def delete_subscription(session: Session, subscription_id: int) -> None:
    session.delete(get_subscription(session, subscription_id))
    session.flush()


def list_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    return repository.all_subscriptions(session)
