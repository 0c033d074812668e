"""Events, deliveries and webhook subscriptions of the v1 contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, HttpUrl

from core.schemas import Strict
from matcher.notifications.models import Delivery, WebhookSubscription
from matcher.notifications.outbox import KINDS, EventKind

DeliveryStatus = Literal["pending", "sent", "dead"]


class DeliveryRead(BaseModel):
    id: int
    event_id: int
    channel: Literal["email", "webhook"]
    target: str = Field(description="The e-mail address, or the webhook subscription's id")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    give_up_at: datetime | None = Field(description="Set by the first failure; dead after it")
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class EventRead(BaseModel):
    id: int
    kind: EventKind
    lead_id: int | None
    partner_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    dispatched_at: datetime | None = Field(description="When its deliveries were made")
    deliveries: list[DeliveryRead]


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


def _unique(kinds: list[EventKind]) -> list[EventKind]:
    return list(dict.fromkeys(kinds))


EventTypes = Annotated[list[EventKind], Field(max_length=len(KINDS)), AfterValidator(_unique)]
Secret = Annotated[str, Field(min_length=16, max_length=200)]


class SubscriptionCreate(Strict):
    url: Annotated[HttpUrl, Field(max_length=2000)]
    secret: Secret | None = Field(default=None, description="Default: a random one, shown once")
    event_types: EventTypes = Field(default=[], description="Empty: every kind")


class SubscriptionUpdate(Strict):
    url: Annotated[HttpUrl, Field(max_length=2000)] | None = None
    secret: Secret | None = None
    event_types: EventTypes | None = None
    active: bool | None = None


class SubscriptionRead(BaseModel):
    id: int
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="Signs every POST; shown only here")


def delivery_read(row: Delivery) -> DeliveryRead:
    return DeliveryRead.model_validate(row, from_attributes=True)


def subscription_read(row: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate(row, from_attributes=True)
