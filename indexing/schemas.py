"""Response models of the directory search: the public partner view plus ranking and facets."""

from __future__ import annotations

from pydantic import BaseModel, Field

from profiles.schemas import FreshnessRead, PartnerPublic


class SearchItem(PartnerPublic):
    """A directory hit: what anyone may see of the partner (`PartnerPublic`, so capacity,
    external id, bookkeeping and expired certifications stay hidden), plus its freshness for
    staff, who read the full profile at GET /v1/partners/{id}."""

    score: float = Field(description="relevance, 0-1")
    distance_km: float | None = Field(
        description="geodesic km from `near` to the nearest matching office"
    )
    freshness: FreshnessRead | None = Field(
        default=None, description="staff only (manager and admin keys); absent otherwise"
    )


class NearPlace(BaseModel):
    """What `near` resolved to, so an ambiguous name ("Springfield") shows the one chosen."""

    name: str | None = Field(description="the place's name; null for plain coordinates")
    country: str | None = Field(description="ISO 3166-1 alpha-2, when known")
    lat: float
    lon: float


class SearchPage(BaseModel):
    items: list[SearchItem]
    total: int = Field(description="matches over all pages")
    facets: dict[str, dict[str, int]] = Field(
        description="partners per skill, certification, industry, tier and country, over all pages"
    )
    next_cursor: str | None
    near: NearPlace | None = Field(description="the place `near` resolved to; null without it")
