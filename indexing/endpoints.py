"""HTTP route of the partner directory search: parse, call the service, return."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from core.access.deps import CurrentPrincipal, Role, allow
from core.database import transaction
from core.deps import CommittingRoute, GeocoderDep, NowDep, in_process_or_thread
from indexing import service
from indexing.protocol import PartnerIndex
from indexing.schemas import SearchPage

router = APIRouter(prefix="/v1/partners", tags=["search"], route_class=CommittingRoute)


async def get_index(request: Request) -> PartnerIndex:
    index: PartnerIndex = request.app.state.index
    return index


IndexDep = Annotated[PartnerIndex, Depends(get_index)]
ManyValues = Annotated[list[str], Query(description="repeat the parameter or separate with commas")]
# Who may see stale profiles and freshness in the directory; for anyone else `include_stale`
# is ignored and items are the public view.
STALE_READERS = frozenset({Role.ADMIN, Role.MANAGER})


@router.get(
    "/search",
    response_model=SearchPage,
    dependencies=[allow(Role.ADMIN, Role.MANAGER, Role.PARTNER, Role.PUBLIC)],
)
async def search_partners(
    request: Request,
    index: IndexDep,
    geocoder: GeocoderDep,
    now: NowDep,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=500, description="every term must match")] = None,
    skills: ManyValues = [],  # noqa: B006 - FastAPI copies defaults per request
    any_skills: ManyValues = [],  # noqa: B006
    certifications: ManyValues = [],  # noqa: B006
    industry: str | None = None,
    language: str | None = None,
    tier: ManyValues = [],  # noqa: B006
    country: str | None = None,
    near: Annotated[str | None, Query(description="'lat,lon' or a place name")] = None,
    radius_km: Annotated[
        float | None, Query(description="km from `near`; omitted: offices serving `near`")
    ] = None,
    include_stale: Annotated[
        bool,
        Query(
            description="also list stale partners; manager and admin keys only, "
            "ignored for partner keys and callers without a key"
        ),
    ] = False,
    sort: Annotated[Literal["relevance", "distance"], Query()] = "relevance",
    limit: int = 20,
    cursor: str | None = None,
) -> Response:
    """Directory search. Staff (manager and admin keys) also see each partner's freshness;
    for everyone else results are the public view, which leaves it out."""
    params = service.SearchParams(
        q=q,
        skills=skills,
        any_skills=any_skills,
        certifications=certifications,
        industry=industry,
        language=language,
        tier=tier,
        country=country,
        near=near,
        radius_km=radius_km,
        include_stale=include_stale and principal.role in STALE_READERS,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )

    def answer() -> bytes:
        with transaction(request.app.state.sessionmaker) as session:  # reads only
            search = service.build_query(session, params, geocoder=geocoder, now=now)
            views = request.app.state.public_views
            staff = principal.role in STALE_READERS
            return service.search_directory_json(session, index, search, views=views, staff=staff)

    return Response(await in_process_or_thread(request, answer), media_type="application/json")
