"""HTTP routes of scoring: the lead preview and the stale-profile listing (managers only).

`stale_router` shares the /v1/partners prefix and must be mounted before the partners
router, whose /v1/partners/{id} would otherwise capture "stale".
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from api.access.deps import Role, allow
from api.deps import FreshnessPolicyDep, GeocoderDep, NowDep, SessionDep, SettingsDep
from indexing.endpoints import IndexDep
from scoring import service
from scoring.schemas import LeadIn, LeadPreview, StalePage

MANAGERS = allow(Role.ADMIN, Role.MANAGER)

leads_router = APIRouter(prefix="/v1/leads", tags=["leads"])
stale_router = APIRouter(prefix="/v1/partners", tags=["partners"])


@leads_router.post("/preview", response_model=LeadPreview, dependencies=[MANAGERS])
def preview_lead(
    lead: LeadIn,
    session: SessionDep,
    index: IndexDep,
    geocoder: GeocoderDep,
    now: NowDep,
    settings: SettingsDep,
    limit: int = Query(default=20, ge=1, le=200, description="How many candidates to return"),
) -> LeadPreview:
    """The ranking the lead would get now, with explanations; nothing is stored or assigned."""
    return service.preview_lead(
        session,
        lead,
        index=index,
        geocoder=geocoder,
        now=now,
        limit=limit,
        tolerance_km=settings.lead_radius_tolerance_km,
    )


@stale_router.get("/stale", response_model=StalePage, dependencies=[MANAGERS])
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
