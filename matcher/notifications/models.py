"""ORM classes of the outbox: events, their deliveries (one per recipient) and webhook
subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK, UTCDateTime

PENDING, SENT, DEAD = "pending", "sent", "dead"
EMAIL, WEBHOOK = "email", "webhook"


class NotificationEvent(Base):
    """Something a person or a system must hear about, written in the transaction that caused
    it. `occurrence` names the happening once (a scheduler running in several processes
    inserts it once)."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    occurrence: Mapped[str] = mapped_column(String(200), unique=True)
    lead_id: Mapped[int | None] = mapped_column(BigIntPK, index=True)
    partner_id: Mapped[int | None] = mapped_column(BigIntPK, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once its deliveries exist (the worker resolves recipients after the commit).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Read with the event where a listing asks for them (selectinload); never loaded by accident.
    deliveries: Mapped[list[Delivery]] = relationship(
        order_by="Delivery.id", viewonly=True, lazy="raise"
    )


class Delivery(Base):
    """One event to one recipient (an e-mail address or a webhook subscription). A worker
    claims it by setting `claimed_until` (a lease); it ends `sent` or, after the retry
    window, `dead`."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", "target", name="uq_deliveries_event_target"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("notification_events.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    target: Mapped[str] = mapped_column(String(320))  # the address, or the subscription id
    subscription_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by the first failure
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookSubscription(Base):
    """A receiver of signed event POSTs; `event_types` empty means every kind."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulePass(Base):
    """When a process last began the time-based events' pass (`schedule`): one pass per
    `notify_schedule_seconds` for the whole store, however many processes serve it and however
    often they restart."""

    __tablename__ = "notification_schedule_passes"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    began_at: Mapped[datetime] = mapped_column(UTCDateTime)
