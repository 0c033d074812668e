"""HTTP route of the routing report (managers and admins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from core.access.deps import Role, allow
from core.deps import CommittingRoute, NowDep, SessionDep
from matcher.reports import service
from matcher.reports.schemas import RoutingReport
from profiles.schemas import UtcDateTime

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=CommittingRoute)

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
        UtcDateTime | None, Query(alias="from", description="Default: 30 days before `to`")
    ] = None,
    end: Annotated[UtcDateTime | None, Query(alias="to", description="Default: now")] = None,
) -> RoutingReport:
    """Leads per status, acceptance, time to accept, reassignments and fairness (Gini)."""
    end = end or now
    start = start or max(end, datetime.min.replace(tzinfo=UTC) + DEFAULT_WINDOW) - DEFAULT_WINDOW
    return service.routing_report(session, start=start, end=end)
