"""The public partner directory at `/` and its profile pages: the API's search and public view.

The query lives in the URL under the search API's own parameter names, so a search can be
shared; the first page is rendered on the server (no JavaScript needed); htmx swaps only the
results when the form changes. `back` (the cursors of earlier pages) is the page's own, for
"previous": the API's cursors only go forward.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from geopy.distance import great_circle

from api.pages.rendering import render
from api.pages.session import page_rule
from core.access.deps import PUBLIC
from core.deps import CommittingRoute, GeocoderDep, NowDep, SessionDep
from core.errors import InvalidInput, PartnerMatchError
from indexing import service as search
from indexing.endpoints import IndexDep
from indexing.schemas import SearchItem, SearchPage
from profiles import service as profiles
from profiles.deps import FreshnessPolicyDep
from profiles.schemas import TIERS

router = APIRouter(include_in_schema=False, dependencies=[page_rule()], route_class=CommittingRoute)

Many = Annotated[list[str], Query()]
PAGE_SIZE = 20
# Filters the search takes one value of (radio buttons); the others take several (checkboxes).
SINGLE_VALUED = frozenset({"industry", "language"})


@router.get("/", response_class=HTMLResponse)
def directory(
    request: Request,
    session: SessionDep,
    index: IndexDep,
    geocoder: GeocoderDep,
    now: NowDep,
    q: str | None = None,
    near: str | None = None,
    radius_km: str | None = None,
    skills: Many = [],  # noqa: B006 - FastAPI copies defaults per request
    certifications: Many = [],  # noqa: B006
    industry: str | None = None,
    language: str | None = None,
    tier: Many = [],  # noqa: B006
    cursor: str | None = None,
    back: str | None = None,
) -> HTMLResponse:
    form: dict[str, Any] = {
        "q": q or "",
        "near": near or "",
        "radius_km": radius_km or "",
        "skills": _values(skills),
        "certifications": _values(certifications),
        "industry": industry or "",
        "language": language or "",
        "tier": _values(tier),
    }
    page: SearchPage | None = None
    errors: dict[str, str] = {}
    near_point: tuple[float, float] | None = None
    try:
        params = search.SearchParams(
            q=q,
            skills=skills,
            certifications=certifications,
            industry=industry or None,
            language=language or None,
            tier=tier,
            near=near or None,
            radius_km=_radius(radius_km),
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        found = search.build_query(session, params, geocoder=geocoder, now=now)
        query = found.query
        near_point = query.near
        # the filters as the search understood them, so facet values match ("aws" -> its name)
        form.update(skills=list(query.skills), tier=list(query.tier))
        form["industry"] = query.industry or ""
        form["language"] = query.language or ""
        page = search.search_directory(session, index, found, views=request.app.state.public_views)
    except PartnerMatchError as error:
        errors = {d["field"]: d["message"] for d in error.details} or {"q": error.message}
    shared = {key: value for key, value in form.items() if value}
    context = {
        "form": form,
        "page": page,
        "errors": errors,
        "cards": [_card(item, near_point) for item in page.items] if page else [],
        "tiers": TIERS,
        "next_url": _page_url(shared, cursor=page.next_cursor, back=_push(back, cursor))
        if page and page.next_cursor
        else None,
        "previous_url": _previous_url(shared, back) if cursor else None,
        "facet_links": _facet_links(page, shared) if page else {},
        "single_valued": SINGLE_VALUED,
    }
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "directory_results.html" if partial else "directory.html", context)


@router.get("/partners/{partner_id}", response_class=HTMLResponse)
def partner_profile(
    request: Request,
    session: SessionDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    partner_id: int,
) -> HTMLResponse:
    """The public profile; a stale or unknown partner is a 404 page, as in the API."""
    partner = profiles.public_view(session, partner_id, now=now, policy=policy)
    return render(request, "partner.html", {"partner": partner, "viewer": PUBLIC})


def _values(values: list[str]) -> list[str]:
    parts = (part.strip() for value in values for part in value.split(","))
    return list(dict.fromkeys(part for part in parts if part))


def _radius(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInput.field("radius_km", "must be a number of km") from exc


def _card(item: SearchItem, near: tuple[float, float] | None) -> dict[str, Any]:
    """A result card: the partner and its office nearest to `near` (or its first office)."""
    office = item.locations[0] if item.locations else None
    if near is not None and item.locations:
        # the card shows the search's geodesic distance; picking its office needs no ellipsoid
        office = min(item.locations, key=lambda loc: great_circle(near, (loc.lat, loc.lon)).km)
    return {"item": item, "office": office}


def _page_url(shared: dict[str, Any], *, cursor: str | None, back: str | None) -> str:
    extra = {"cursor": cursor, "back": back}
    params = {**shared, **{key: value for key, value in extra.items() if value}}
    return "/?" + urlencode(params, doseq=True)


def _chain(back: str | None) -> list[str]:
    return [cursor for cursor in (back or "").split(",") if cursor]


def _push(back: str | None, cursor: str | None) -> str:
    """The earlier pages' cursors after moving on from the page at `cursor` ("-": the first)."""
    return ",".join([*_chain(back), cursor or "-"])


def _previous_url(shared: dict[str, Any], back: str | None) -> str:
    chain = _chain(back)
    previous = chain[-1] if chain else "-"
    cursor = None if previous == "-" else previous
    return _page_url(shared, cursor=cursor, back=",".join(chain[:-1]) or None)


def _facet_links(page: SearchPage, shared: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per filter: each facet value, its count, and the URL that toggles it (first page)."""
    names = {
        "skill": "skills",
        "certification": "certifications",
        "industry": "industry",
        "language": "language",
        "tier": "tier",
    }
    links: dict[str, list[dict[str, Any]]] = {}
    for facet, param in names.items():
        counts = sorted(page.facets.get(facet, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:12]
        links[param] = [_toggle(shared, param, value, count) for value, count in counts]
    return links


def _toggle(shared: dict[str, Any], param: str, value: str, count: int) -> dict[str, Any]:
    params = dict(shared)
    if param in SINGLE_VALUED:
        chosen = params.get(param) == value
        params[param] = None if chosen else value
    else:
        current = list(params.get(param, []))
        chosen = value in current
        params[param] = [v for v in current if v != value] if chosen else [*current, value]
    params = {key: val for key, val in params.items() if val}
    url = _page_url(params, cursor=None, back=None)
    return {"value": value, "count": count, "chosen": chosen, "url": url}
