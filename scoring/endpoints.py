"""HTTP route of scoring: the stale-profile listing (managers only)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from core.access.deps import Role, allow
from core.deps import CommittingRoute, NowDep, SessionDep
from profiles.deps import FreshnessPolicyDep
from scoring import service
from scoring.schemas import StalePage

MANAGERS = allow(Role.ADMIN, Role.MANAGER)

router = APIRouter(prefix="/v1/partners", tags=["partners"], route_class=CommittingRoute)


@router.get("/stale", response_model=StalePage, dependencies=[MANAGERS])
def list_stale_partners(
    session: SessionDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    status: Literal["due", "stale"] | None = Query(default=None, description="Only this status"),
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = Query(default=None, pattern=r"^[1-9][0-9]{0,17}$"),
) -> StalePage:
    """Due and stale profiles with their reasons, since when, and the next reminder day."""
    return service.list_flagged(
        session, now=now, policy=policy, status=status, limit=limit, cursor=cursor
    )
