"""The contract every search backend implements: retrieval only, ranking lives in scoring/.

Units: distances in km, coordinates in degrees, dates are calendar dates (UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

import numpy as np


@dataclass(frozen=True)
class SearchQuery:
    """A directory search, already validated (skills canonical, countries upper-case).

    Semantics every backend follows:
    - `q` matches partners whose name, description, skills, industries or products contain
      every term of `q` (stop words ignored); relevance ranks them by tf-idf cosine.
    - `skills`, `certifications`: all of; `any_skills`, `tier`: at least one of. A
      certification counts when it has no expiry or expires on or after `on_date`.
    - `near` with `radius_km`: an office within `radius_km` of the point; without
      `radius_km`: an office whose own `service_radius_km` covers the point (the partner
      serves it). `distance_km` is to that nearest matching office. Filtering uses the
      haversine distance; the distance shown is geodesic.
    - Freshness is assessed at `now` (default: midnight UTC starting `on_date`); stale
      partners are left out unless `include_stale`.
    """

    on_date: date
    q: str | None = None
    skills: tuple[str, ...] = ()  # all of
    any_skills: tuple[str, ...] = ()  # at least one of
    certifications: tuple[str, ...] = ()  # all of, active on `on_date`
    industry: str | None = None
    language: str | None = None
    tier: tuple[str, ...] = ()
    country: str | None = None
    near: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None
    include_stale: bool = False
    sort: Literal["relevance", "distance"] = "relevance"
    limit: int = 20
    cursor: str | None = None
    now: datetime | None = None  # freshness instant; default midnight UTC starting on_date


@dataclass(frozen=True)
class SearchHit:
    partner_id: int
    score: float  # relevance 0-1
    distance_km: float | None  # geodesic km to the nearest matching office; None without `near`
    freshness: int = 0  # profiles.freshness FRESH/DUE/STALE at the query's `now`
    freshness_reasons: int = 0  # profiles.freshness reason bits
    version: int | None = None  # the profile version the index holds (None: not known)


@dataclass(frozen=True)
class SearchResult:
    items: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]]  # skill, certification, industry, tier, country
    next_cursor: str | None


@dataclass(frozen=True)
class LeadQuery:
    """What a lead asks for; the index returns every partner that could plausibly take it."""

    on_date: date
    location: tuple[float, float]  # (lat, lon) of the customer
    required_skills: tuple[str, ...] = ()
    preferred_skills: tuple[str, ...] = ()
    required_certifications: tuple[str, ...] = ()
    preferred_certifications: tuple[str, ...] = ()
    industry: str | None = None
    products: tuple[str, ...] = ()
    language: str | None = None
    max_candidates: int = 200
    now: datetime | None = None  # freshness instant; default midnight UTC starting on_date
    # Partners whose nearest office is farther than this (km) beyond its service radius are out
    # of range; the index skips them. 0: the declared service areas are hard limits.
    max_km_beyond_radius: float = 0.0
    # Partners out of range but within this many km more are reported in
    # `excluded_out_of_range`, so a manager sees who nearly qualified.
    out_of_range_report_km: float = 100.0


@dataclass
class Candidates:
    """Columnar raw features of candidate partners for one lead; row i is `partner_ids[i]`.

    Backends fill every array; scoring/ turns them into scores. Skill levels are 0 where the
    partner lacks the skill, 1-5 otherwise. Columns of the 2-D arrays follow the order of the
    LeadQuery's tuples.
    """

    partner_ids: np.ndarray  # int64 (n,)
    distance_km: np.ndarray  # float64 (n,) to the nearest office
    service_radius_km: np.ndarray  # float64 (n,) of that nearest office
    required_skill_levels: np.ndarray  # int8 (n, len(required_skills))
    required_skill_verified: np.ndarray  # bool (n, len(required_skills))
    preferred_skill_levels: np.ndarray  # int8 (n, len(preferred_skills))
    required_cert_active: np.ndarray  # bool (n, len(required_certifications))
    preferred_cert_active: np.ndarray  # bool (n, len(preferred_certifications))
    tier: np.ndarray  # int8 (n,) 0=registered 1=silver 2=gold 3=platinum
    max_open_leads: np.ndarray  # int32 (n,)
    language_match: np.ndarray  # bool (n,)
    industry_match: np.ndarray  # bool (n,)
    product_overlap: np.ndarray  # float64 (n,) share of the lead's products the partner sells
    freshness: np.ndarray  # int8 (n,) profiles.freshness FRESH/DUE/STALE
    excluded_out_of_range: np.ndarray = field(  # int64 ids skipped because too far away
        default_factory=lambda: np.empty(0, dtype=np.int64)
    )


@dataclass(frozen=True)
class IndexStats:
    partners: int
    locations: int
    last_seq: int  # highest change-log sequence applied
    delta_size: int  # writes not yet merged into the main segment


class PartnerIndex(Protocol):
    """A derived, rebuildable view of the store; both backends implement it."""

    def catch_up(self) -> int:
        """Apply change-log entries after the last applied one; returns how many."""
        ...

    def rebuild(self) -> None:
        """Rebuild from the store from scratch."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def candidates(self, query: LeadQuery) -> Candidates: ...

    def stats(self) -> IndexStats: ...

    def lag(self) -> int:
        """Committed change-log entries not applied yet; 0 means caught up (readiness)."""
        ...

    def subscribe(self, callback: Callable[[list[int]], None]) -> None:
        """Have `callback(partner_ids)` called whenever the index replaces those partners
        with what the store holds now (caches of what the index serves drop them)."""
        ...

    def divergence(self) -> str | None:
        """What the last comparison with the store found wrong and could not repair; None
        when the index agrees with its store (readiness)."""
        ...

    def close(self) -> None: ...
