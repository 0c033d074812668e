"""Search hits back into arrays: offices, distances, freshness and lead features from `_source`.

Only the returned page (or the lead's candidate window) is parsed, never the whole index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from indexing.embedded.geo import haversine_km
from indexing.opensearch.mapping import TIER_RANK
from profiles.freshness import FreshnessPolicy, assess_many

Source = dict[str, Any]


def nearest_office(
    source: Source, origin: tuple[float, float], *, radius_km: float | None
) -> tuple[float, float, tuple[float, float]] | None:
    """(haversine km, service radius km, (lat, lon)) of the nearest matching office.

    Matching: within `radius_km`, or with `radius_km` None, covering `origin` with its own
    service radius. None when no office matches.
    """
    offices = source["offices"]
    lats = np.array([o["location"]["lat"] for o in offices], dtype=np.float64)
    lons = np.array([o["location"]["lon"] for o in offices], dtype=np.float64)
    radii = np.array([o["service_radius_km"] for o in offices], dtype=np.float64)
    distances = haversine_km(origin[0], origin[1], lats, lons)
    reach = radii if radius_km is None else np.full(len(radii), radius_km)
    matching = np.flatnonzero(distances <= reach)
    if len(matching) == 0:
        return None
    best = matching[np.argmin(distances[matching])]
    return float(distances[best]), float(radii[best]), (float(lats[best]), float(lons[best]))


def closest_service_area(
    source: Source, origin: tuple[float, float], *, beyond_km: float
) -> tuple[float, float, tuple[float, float]] | None:
    """(haversine km, service radius km, (lat, lon)) of the in-range office whose service area
    comes closest to `origin`, as indexing.embedded.candidates chooses it.

    In range: no farther than its own service radius plus `beyond_km`. Closest: smallest
    distance minus service radius, the nearer office on a tie. None when no office is in range.
    """
    offices = source["offices"]
    lats = np.array([o["location"]["lat"] for o in offices], dtype=np.float64)
    lons = np.array([o["location"]["lon"] for o in offices], dtype=np.float64)
    radii = np.array([o["service_radius_km"] for o in offices], dtype=np.float64)
    distances = haversine_km(origin[0], origin[1], lats, lons)
    matching = np.flatnonzero(distances <= radii + beyond_km)
    if len(matching) == 0:
        return None
    d, r = distances[matching], radii[matching]
    best = matching[np.lexsort((d, d - r))[0]]
    return float(distances[best]), float(radii[best]), (float(lats[best]), float(lons[best]))


def freshness_of(
    sources: Sequence[Source], *, on_date: date, now: datetime, policy: FreshnessPolicy
) -> tuple[np.ndarray, np.ndarray]:
    """Status (int8 FRESH/DUE/STALE) and reason bits per source, assessed at `now`."""
    day_s = 86400.0
    updated = np.array(
        [(now - datetime.fromisoformat(s["profile_updated_at"])).total_seconds() for s in sources]
    )
    attested = np.array(
        [
            (now - datetime.fromisoformat(s["attested_at"])).total_seconds()
            if s.get("attested_at")
            else np.inf
            for s in sources
        ]
    )
    valid_until = [s.get("certifications_valid_until") for s in sources]
    return assess_many(
        updated.reshape(-1) / day_s,
        attested_days_ago=attested.reshape(-1) / day_s,
        has_skills=np.array([bool(s["skill_names"]) for s in sources], dtype=bool),
        all_certifications_expired=np.array(
            [v is not None and date.fromisoformat(v) < on_date for v in valid_until], dtype=bool
        ),
        policy=policy,
    )


def skill_columns(
    sources: Sequence[Source], names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(levels int8, verified bool), shape (n, len(names)); level 0 where the skill is lacking."""
    levels = np.zeros((len(sources), len(names)), dtype=np.int8)
    verified = np.zeros((len(sources), len(names)), dtype=bool)
    column = {name: j for j, name in enumerate(names)}
    for i, source in enumerate(sources):
        for skill in source["skills"]:
            j = column.get(skill["name"])
            if j is not None:
                levels[i, j], verified[i, j] = skill["level"], skill["verified"]
    return levels, verified


def certification_columns(
    sources: Sequence[Source], names: tuple[str, ...], *, on_date: date
) -> np.ndarray:
    """bool (n, len(names)): the partner holds the certification, active on `on_date`."""
    active = np.zeros((len(sources), len(names)), dtype=bool)
    column = {name: j for j, name in enumerate(names)}
    for i, source in enumerate(sources):
        for cert in source["certifications"]:
            j = column.get(cert["name"])
            expires = cert.get("expires_at")
            if j is not None and (expires is None or date.fromisoformat(expires) >= on_date):
                active[i, j] = True
    return active


def membership(sources: Sequence[Source], field: str, value: str | None) -> np.ndarray:
    """bool (n,): `value` is among the partner's `field` values (False when value is None)."""
    return np.array([value is not None and value in s[field] for s in sources], dtype=bool)


def overlap(sources: Sequence[Source], field: str, values: tuple[str, ...]) -> np.ndarray:
    """float64 (n,): share of `values` among the partner's `field` values (0 without values)."""
    if not values:
        return np.zeros(len(sources))
    return np.array(
        [sum(v in s[field] for v in values) / len(values) for s in sources], dtype=np.float64
    )


def tiers(sources: Sequence[Source]) -> np.ndarray:
    return np.array([TIER_RANK[s["tier"]] for s in sources], dtype=np.int8)
