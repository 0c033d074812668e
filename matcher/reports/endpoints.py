"""HTTP route of the routing report (managers and admins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.access.deps import Role, allow
from api.deps import NowDep, SessionDep
from matcher.reports import service
from matcher.reports.schemas import RoutingReport

router = APIRouter(prefix="/v1/reports", tags=["reports"])

DEFAULT_WINDOW = timedelta(days=30)


@router.get(
    "/routing",
    response_model=RoutingReport,
    dependencies=[allow(Role.ADMIN, Role.MANAGER)],
)
def routing_report(
    session: SessionDep,
    now: NowDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="Default: 30 days before `to`")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Default: now")] = None,
) -> RoutingReport:
    """Leads per status, acceptance, time to accept, reassignments and fairness (Gini)."""
    end = _utc(end) if end else now
    start = _utc(start) if start else end - DEFAULT_WINDOW
    return service.routing_report(session, start=start, end=end)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
