"""The worker's first step: turn committed events into one pending delivery per recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.settings import Settings
from matcher.notifications import repository
from matcher.notifications.recipients import targets_of


def dispatch(
    sessions: sessionmaker[Session], *, settings: Settings, now: datetime, limit: int
) -> int:
    """Deliveries for up to `limit` undispatched events; how many events were dispatched.
    Several processes may run it: a delivery exists once per (event, channel, target)."""
    with transaction(sessions) as session:
        events = repository.undispatched(session, limit=limit)
        recipients = targets_of(
            events,
            contacts=repository.contacts_of(
                session, {e.partner_id for e in events if e.partner_id is not None}
            ),
            subscriptions=repository.active_subscriptions(session) if events else [],
            settings=settings,
        )
        rows: list[dict[str, object]] = [
            {
                "event_id": event.id,
                "channel": target.channel,
                "target": target.target,
                "subscription_id": target.subscription_id,
            }
            for event in events
            for target in recipients[event.id]
        ]
        repository.add_deliveries(session, rows, now=now)
        repository.mark_dispatched(session, [event.id for event in events], now=now)
    return len(events)
