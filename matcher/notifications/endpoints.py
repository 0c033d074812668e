"""HTTP routes of notifications: the outbox for managers, redelivery and webhook
subscriptions for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.access.deps import Role, allow
from core.deps import CommittingRoute, IdCursor, NowDep, SessionDep
from matcher.notifications import service
from matcher.notifications.schemas import (
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    EventKind,
    EventPage,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
    delivery_read,
    subscription_read,
)

router = APIRouter(prefix="/v1/notifications", tags=["notifications"], route_class=CommittingRoute)
webhooks_router = APIRouter(
    route_class=CommittingRoute,
    prefix="/v1/webhooks",
    tags=["notifications"],
    dependencies=[allow(Role.ADMIN)],
)

MANAGERS = allow(Role.ADMIN, Role.MANAGER)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
OptionalId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/events", response_model=EventPage, dependencies=[MANAGERS])
def list_events(
    session: SessionDep,
    kind: Annotated[EventKind | None, Query(description="Only this kind")] = None,
    lead_id: OptionalId = None,
    partner_id: OptionalId = None,
    limit: Limit = 50,
    cursor: IdCursor = None,
) -> EventPage:
    """Events newest first, each with its deliveries' status and attempts."""
    return service.list_events(
        session, kind=kind, lead_id=lead_id, partner_id=partner_id, cursor=cursor, limit=limit
    )


@router.get("/deliveries", response_model=DeliveryPage, dependencies=[MANAGERS])
def list_deliveries(
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="pending, sent or dead")] = None,
    channel: Annotated[str | None, Query(pattern=r"^(email|webhook)$")] = None,
    limit: Limit = 50,
    cursor: IdCursor = None,
) -> DeliveryPage:
    """Deliveries newest first: status, attempts, next attempt, last error."""
    rows, next_cursor = service.list_deliveries(
        session, status=status, channel=channel, cursor=cursor, limit=limit
    )
    return DeliveryPage(items=[delivery_read(row) for row in rows], next_cursor=next_cursor)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    dependencies=[allow(Role.ADMIN)],
)
def redeliver(session: SessionDep, now: NowDep, delivery_id: Id) -> DeliveryRead:
    """Queue a dead letter again (409 for one that is not dead)."""
    return delivery_read(service.redeliver(session, delivery_id, now=now))


@webhooks_router.post("", status_code=201, response_model=SubscriptionCreated)
def create_subscription(
    data: SubscriptionCreate, session: SessionDep, now: NowDep
) -> SubscriptionCreated:
    """Subscribe a URL to event kinds; the response holds the signing secret."""
    row = service.create_subscription(session, data, now=now)
    return SubscriptionCreated(**subscription_read(row).model_dump(), secret=row.secret)


@webhooks_router.get("", response_model=list[SubscriptionRead])
def list_subscriptions(session: SessionDep) -> list[SubscriptionRead]:
    return [subscription_read(row) for row in service.list_subscriptions(session)]


@webhooks_router.get("/{subscription_id}", response_model=SubscriptionRead)
def get_subscription(session: SessionDep, subscription_id: Id) -> SubscriptionRead:
    return subscription_read(service.get_subscription(session, subscription_id))


@webhooks_router.patch("/{subscription_id}", response_model=SubscriptionRead)
def update_subscription(
    data: SubscriptionUpdate, session: SessionDep, subscription_id: Id
) -> SubscriptionRead:
    """Change the URL, secret, kinds, or pause it (`active: false`)."""
    return subscription_read(service.update_subscription(session, subscription_id, data))


@webhooks_router.delete("/{subscription_id}", status_code=204)
def delete_subscription(session: SessionDep, subscription_id: Id) -> Response:
    """Remove it; its pending deliveries go with it."""
    service.delete_subscription(session, subscription_id)
    return Response(status_code=204)
