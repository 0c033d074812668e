"""Directory search behaviour: turn raw parameters into a SearchQuery, run it, hydrate a page.

Shared by the HTTP endpoint and the CLI, so both validate and answer alike. Every bad value
raises InvalidInput naming its parameter.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from geopy.exc import GeopyError
from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from core.errors import InvalidInput, Unavailable
from indexing import repository
from indexing.protocol import PartnerIndex, SearchHit, SearchQuery, SearchResult
from indexing.public_views import PublicView, PublicViews
from indexing.schemas import NearPlace, SearchItem, SearchPage
from profiles.freshness import STATUS_NAMES, reason_names
from profiles.geocoding import ResolvedPlace, country_code, resolve_place
from profiles.known_names import require_known
from profiles.models import Partner
from profiles.schemas import TIERS, FreshnessRead, PartnerPublic, partner_public, partner_read
from profiles.taxonomy import (
    canonical_certification,
    canonical_industry,
    canonical_skill,
    is_language_code,
)

MAX_LIMIT = 100
MAX_RADIUS_KM = 20_000.0
SORTS = ("relevance", "distance")


@dataclass(frozen=True)
class SearchParams:
    """Search parameters as received; list values may also be comma-separated."""

    q: str | None = None
    skills: list[str] = field(default_factory=list)
    any_skills: list[str] = field(default_factory=list)
    certifications: list[str] = field(default_factory=list)
    industry: str | None = None
    language: str | None = None
    tier: list[str] = field(default_factory=list)
    country: str | None = None
    near: str | None = None
    radius_km: float | None = None
    include_stale: bool = False
    sort: str = "relevance"
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class DirectorySearch:
    """A validated search and the place `near` resolved to (shown with the results)."""

    query: SearchQuery
    near: ResolvedPlace | None


def build_query(
    session: Session, params: SearchParams, *, geocoder: Geocoder, now: datetime
) -> DirectorySearch:
    """Validate and normalise parameters (canonical skills and certifications, known to the
    taxonomy or some profile, ISO codes, geocoded `near`)."""
    if params.sort not in SORTS:
        raise InvalidInput.field("sort", f"must be one of {', '.join(SORTS)}")
    if not 1 <= params.limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIMIT}")
    if params.radius_km is not None and not 0 < params.radius_km <= MAX_RADIUS_KM:
        raise InvalidInput.field("radius_km", f"must be > 0 and <= {MAX_RADIUS_KM:g} km")
    place = _near(params.near, geocoder=geocoder)
    near = (place.lat, place.lon) if place else None
    if params.radius_km is not None and near is None:
        raise InvalidInput.field("radius_km", "needs `near`")
    if params.sort == "distance" and near is None:
        raise InvalidInput.field("sort", "sort=distance needs `near`")
    skills = tuple(canonical_skill(s) for s in _split(params.skills))
    any_skills = tuple(canonical_skill(s) for s in _split(params.any_skills))
    certifications = tuple(canonical_certification(c) for c in _split(params.certifications))
    require_known(
        session,
        skills={"skills": skills, "any_skills": any_skills},
        certifications={"certifications": certifications},
    )
    query = SearchQuery(
        on_date=now.date(),
        now=now,
        q=(params.q or "").strip() or None,
        skills=skills,
        any_skills=any_skills,
        certifications=certifications,
        industry=canonical_industry(params.industry) if params.industry else None,
        language=_language(params.language),
        tier=_tiers(params.tier),
        country=_country(params.country),
        near=near,
        radius_km=params.radius_km,
        include_stale=params.include_stale,
        sort="distance" if params.sort == "distance" else "relevance",
        limit=params.limit,
        cursor=params.cursor or None,
    )
    return DirectorySearch(query=query, near=place)


def _split(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated and comma-separated values alike, blanks dropped, order kept, no repeats."""
    parts = (part.strip() for value in values for part in value.split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


def _near(text: str | None, *, geocoder: Geocoder) -> ResolvedPlace | None:
    if text is None or not text.strip():
        return None
    try:
        point = resolve_place(geocoder, text)
    except GeopyError as exc:
        raise Unavailable(f"the geocoder failed: {exc}") from exc
    if point is None:
        raise InvalidInput.field("near", "must be 'lat,lon' or a known place such as 'Munich, DE'")
    return point


def _tiers(values: list[str]) -> tuple[str, ...]:
    tiers = tuple(tier.lower() for tier in _split(values))
    unknown = [tier for tier in tiers if tier not in TIERS]
    if unknown:
        raise InvalidInput.field("tier", f"unknown {', '.join(unknown)}; use {', '.join(TIERS)}")
    return tiers


def _country(text: str | None) -> str | None:
    if not text:
        return None
    code = country_code(text.strip())
    if code is None:
        raise InvalidInput.field("country", "must be an ISO 3166-1 code or a country name")
    return code


def _language(text: str | None) -> str | None:
    if not text:
        return None
    code = text.strip().lower()
    if not is_language_code(code):
        raise InvalidInput.field("language", "must be an ISO 639-1 code such as en or de")
    return code


def search_directory(
    session: Session,
    index: PartnerIndex,
    search: DirectorySearch,
    *,
    views: PublicViews | None = None,
) -> SearchPage:
    """One page of the directory, each hit with the partner's public profile: from `views`
    where the index's version of it is there, from the store otherwise."""
    result, found = _hits_and_views(session, index, search, views=views)
    items = [
        _item(found[hit.partner_id].profile, hit)
        for hit in result.items
        if hit.partner_id in found  # deleted since the index answered
    ]
    return SearchPage(
        items=items,
        total=result.total,
        facets=result.facets,
        next_cursor=result.next_cursor,
        near=_near_place(search),
    )


def search_directory_json(
    session: Session,
    index: PartnerIndex,
    search: DirectorySearch,
    *,
    views: PublicViews,
    staff: bool,
) -> bytes:
    """`search_directory`'s page as JSON, written from each view's JSON instead of item models
    (building and serialising them was ~15% of a search's CPU); without `staff`, the items
    leave out freshness, as the public view does."""
    result, found = _hits_and_views(session, index, search, views=views)
    items = b",".join(
        _item_json(found[hit.partner_id], hit, staff=staff)
        for hit in result.items
        if hit.partner_id in found
    )
    near = _near_place(search)
    rest = {
        "total": result.total,
        "facets": result.facets,
        "next_cursor": result.next_cursor,
        "near": None if near is None else near.model_dump(),
    }
    return b'{"items":[' + items + b"]," + _json(rest)[1:]


def _hits_and_views(
    session: Session, index: PartnerIndex, search: DirectorySearch, *, views: PublicViews | None
) -> tuple[SearchResult, dict[int, PublicView]]:
    """The index's answer, and the public view of each hit still in the store."""
    query = search.query
    result = index.search(query)
    views = views or PublicViews(capacity=1)
    day = query.on_date
    found = {
        hit.partner_id: view
        for hit in result.items
        if (view := views.get(hit.partner_id, version=hit.version, day=day)) is not None
    }
    missing = [hit.partner_id for hit in result.items if hit.partner_id not in found]
    for partner in repository.partners_by_id(session, missing).values():
        found[partner.id] = view = PublicView.of(_public(partner, today=day))
        views.put(view, version=partner.version, day=day)
    return result, found


def _near_place(search: DirectorySearch) -> NearPlace | None:
    return None if search.near is None else NearPlace(**dataclasses.asdict(search.near))


def _public(partner: Partner, *, today: date) -> PartnerPublic:
    placeholder = FreshnessRead(status="fresh", reasons=[])  # not part of the public view
    return partner_public(partner_read(partner, freshness=placeholder, today=today))


def _item(profile: PartnerPublic, hit: SearchHit) -> SearchItem:
    """Assembled without validating again what the view and the index already hold (a page's
    twenty validations were a tenth of a search's time)."""
    return SearchItem.model_construct(
        **dict(profile),
        **_hit_fields(hit),
        freshness=FreshnessRead.model_construct(**_freshness(hit.freshness, hit.freshness_reasons)),
    )


def _item_json(view: PublicView, hit: SearchHit, *, staff: bool) -> bytes:
    """`_item` as JSON: the view's fields, then the hit's in `SearchItem`'s order (a float's
    repr is its JSON)."""
    fields = _hit_fields(hit)
    distance = "null" if fields["distance_km"] is None else repr(fields["distance_km"])
    tail = f',"score":{fields["score"]!r},"distance_km":{distance}'.encode()
    if staff:
        tail += b',"freshness":' + _freshness_json(hit.freshness, hit.freshness_reasons)
    return view.open_json + tail + b"}"


def _hit_fields(hit: SearchHit) -> dict[str, Any]:
    return {
        "score": round(hit.score, 6),
        "distance_km": None if hit.distance_km is None else round(hit.distance_km, 3),
    }


def _freshness(status: int, reasons: int) -> dict[str, Any]:
    return {"status": STATUS_NAMES[status], "reasons": reason_names(reasons)}


@cache  # a handful of statuses and reason sets
def _freshness_json(status: int, reasons: int) -> bytes:
    return _json(_freshness(status, reasons))


def _json(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as pydantic writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# One of each kind of directory search: text, a place with and without a radius, distance order.
_WARM_UPS = (
    SearchParams(q="cloud", near="Berlin"),
    SearchParams(near="48.85,2.35", radius_km=200, sort="distance"),
    SearchParams(country="DE"),
)


def warm_up(session: Session, index: PartnerIndex, *, geocoder: Geocoder, now: datetime) -> None:
    """Run each kind of search once, answers discarded: the first of each paid ~50-130 ms of
    one-off set-up (lazily built structures, compiled SQL), which a server started under load
    turned into a second of queueing. `serve` calls this before it says it is ready."""
    for params in _WARM_UPS:
        search_directory(session, index, build_query(session, params, geocoder=geocoder, now=now))
