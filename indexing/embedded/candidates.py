"""Lead candidates: every partner that could plausibly take a lead, with raw features.

Retrieval only (ranking is scoring/'s job): a candidate has every required skill and an
office in range, i.e. no farther from the customer than its service radius plus the lead's
`max_km_beyond_radius`, so scoring/'s distance decay sees partners serving a nearby area too.
Its distance and service radius are those of the office whose service area comes closest to
the customer (smallest distance minus radius). Stale profiles, missing certifications and
full capacity are not filtered, because the matcher reports them as exclusions. When more
than `max_candidates` qualify, a coarse score (-1 to 5) keeps the most promising.

Partners with every required skill and an office within the index's largest service radius
plus `max_km_beyond_radius` plus `out_of_range_report_km`, none of whose offices is in range,
are reported in `excluded_out_of_range`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from indexing.embedded.geo import Offices, geodesic_km
from indexing.embedded.query import MAX_SKILL_LEVEL, Plan, freshness
from indexing.embedded.search import epoch_day, epoch_instant
from indexing.embedded.segment import Catalog, Segment
from indexing.embedded.state import IndexState
from indexing.embedded.vocabulary import Vocabulary
from indexing.protocol import Candidates, LeadQuery
from profiles.freshness import FreshnessPolicy


@dataclass(frozen=True)
class _LeadCodes:
    """The lead's names as catalog codes; -1 for a name the index has never seen."""

    required_skills: np.ndarray
    preferred_skills: np.ndarray
    required_certifications: np.ndarray
    preferred_certifications: np.ndarray
    products: np.ndarray
    industry: int
    language: int

    @classmethod
    def of(cls, query: LeadQuery, catalog: Catalog) -> _LeadCodes:
        return cls(
            required_skills=codes(catalog.skills, query.required_skills),
            preferred_skills=codes(catalog.skills, query.preferred_skills),
            required_certifications=codes(catalog.certifications, query.required_certifications),
            preferred_certifications=codes(catalog.certifications, query.preferred_certifications),
            products=codes(catalog.products, query.products),
            industry=int(codes(catalog.industries, _optional(query.industry)).max(initial=-1)),
            language=int(codes(catalog.languages, _optional(query.language)).max(initial=-1)),
        )


def codes(vocabulary: Vocabulary, names: tuple[str, ...]) -> np.ndarray:
    """Codes (int64) of names, -1 for unknown ones (which then match no partner)."""
    found = (vocabulary.code(name) for name in names)
    return np.asarray([-1 if code is None else code for code in found], dtype=np.int64)


def _optional(name: str | None) -> tuple[str, ...]:
    return (name,) if name else ()


_OUT_OF_RANGE = "excluded_out_of_range"


@dataclass(frozen=True)
class _Found:
    """One segment's candidates, their coarse scores and matched offices (degrees)."""

    features: Candidates
    coarse: np.ndarray
    office_lat: np.ndarray
    office_lon: np.ndarray


def candidates(state: IndexState, query: LeadQuery, *, policy: FreshnessPolicy) -> Candidates:
    """Candidates over all segments, the `max_candidates` best by coarse score."""
    codes = _LeadCodes.of(query, state.catalog)
    found = [
        _segment_candidates(segment, alive, query=query, codes=codes, policy=policy)
        for segment, alive in state.segments()
    ]
    ids = np.concatenate([f.features.partner_ids for f in found])
    coarse = np.concatenate([f.coarse for f in found])
    order = np.lexsort((ids, -coarse))[: query.max_candidates]

    def column(name: str) -> np.ndarray:
        return np.concatenate([getattr(f.features, name) for f in found])[order]

    lats = np.concatenate([f.office_lat for f in found])[order]
    lons = np.concatenate([f.office_lon for f in found])[order]
    chosen = {f.name: column(f.name) for f in fields(Candidates) if f.name != _OUT_OF_RANGE}
    chosen["distance_km"] = geodesic_km(query.location, lats, lons)
    chosen["excluded_out_of_range"] = np.unique(
        np.concatenate([f.features.excluded_out_of_range for f in found])
    )
    return Candidates(**chosen)


def _segment_candidates(
    segment: Segment,
    alive: np.ndarray,
    *,
    query: LeadQuery,
    codes: _LeadCodes,
    policy: FreshnessPolicy,
) -> _Found:
    offices = segment.offices
    beyond_km = query.max_km_beyond_radius
    reach_km = offices.max_service_radius_km + beyond_km + query.out_of_range_report_km
    hits, distances = offices.within(query.location, reach_km)
    live = alive[offices.row[hits]]
    hits, distances = hits[live], distances[live]
    skilled = _has_all(segment, offices.row[hits], codes.required_skills)
    hits, distances = hits[skilled], distances[skilled]
    in_range = distances <= offices.service_radius_km[hits] + beyond_km
    rows, distance, office = _closest_service_area(offices, hits[in_range], distances[in_range])
    too_far = np.setdiff1d(np.unique(offices.row[hits[~in_range]]), rows)
    plan = Plan(today=epoch_day(query.on_date), now=epoch_instant(query.on_date, query.now))
    # Cap before building every feature column: a segment's best `max_candidates` by coarse
    # score hold all of its rows that can survive the cap over all segments.
    coarse = _coarse(
        segment,
        rows,
        codes=codes,
        plan=plan,
        beyond_km=distance - offices.service_radius_km[office],
        service_radius_km=offices.service_radius_km[office],
        max_km_beyond_radius=beyond_km,
    )
    best = np.lexsort((segment.ids[rows], -coarse))[: query.max_candidates]
    rows, distance, office = rows[best], distance[best], office[best]
    features = _features(segment, rows, codes=codes, plan=plan, policy=policy)
    features.distance_km = distance  # haversine here; geodesic once the page is chosen
    features.service_radius_km = offices.service_radius_km[office]
    features.excluded_out_of_range = segment.ids[too_far]
    return _Found(
        features=features,
        coarse=coarse[best],
        office_lat=offices.lat[office],
        office_lon=offices.lon[office],
    )


def _closest_service_area(
    offices: Offices, hits: np.ndarray, distances: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce office hits to partners: their sorted rows (int64), and the distance (km) and
    index of the office whose service area comes closest (smallest distance minus service
    radius; the nearer office on a tie)."""
    rows = offices.row[hits]
    order = np.lexsort((distances, distances - offices.service_radius_km[hits], rows))
    rows, distances, hits = rows[order], distances[order], hits[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    return rows[first].astype(np.int64), distances[first], hits[first]


def _has_all(segment: Segment, rows: np.ndarray, skills: np.ndarray) -> np.ndarray:
    keep = np.ones(len(rows), dtype=bool)
    for code in skills.tolist():
        keep &= segment.skills.values(rows, code) > 0
    return keep


def _levels(segment: Segment, rows: np.ndarray, skills: np.ndarray) -> np.ndarray:
    """(n, len(skills)) int8 skill levels, 0 where the partner lacks the skill."""
    return _stack([segment.skills.values(rows, c) for c in skills.tolist()], rows, np.int8)


def _active(
    segment: Segment, rows: np.ndarray, certifications: np.ndarray, *, plan: Plan
) -> np.ndarray:
    """(n, len(certifications)) bool: held and not expired on the plan's day."""
    columns = [segment.certifications.values(rows, c) for c in certifications.tolist()]
    return _stack([expiry >= plan.today for expiry in columns], rows, bool)


def _features(
    segment: Segment, rows: np.ndarray, *, codes: _LeadCodes, plan: Plan, policy: FreshnessPolicy
) -> Candidates:
    """Every feature column; the caller fills in the office ones (distance, radius, range)."""

    def has(attribute_values: np.ndarray) -> np.ndarray:
        return attribute_values > 0

    products = [has(segment.products.values(rows, c)) for c in codes.products.tolist()]
    status, _ = freshness(segment, rows, plan=plan, policy=policy)
    return Candidates(
        partner_ids=segment.ids[rows],
        distance_km=np.empty(0),
        service_radius_km=np.empty(0),
        required_skill_levels=_levels(segment, rows, codes.required_skills),
        required_skill_verified=_stack(
            [segment.skill_verified.values(rows, c) for c in codes.required_skills.tolist()],
            rows,
            bool,
        ),
        preferred_skill_levels=_levels(segment, rows, codes.preferred_skills),
        required_cert_active=_active(segment, rows, codes.required_certifications, plan=plan),
        preferred_cert_active=_active(segment, rows, codes.preferred_certifications, plan=plan),
        tier=segment.tier[rows],
        max_open_leads=segment.max_open_leads[rows],
        language_match=has(segment.languages.values(rows, codes.language)),
        industry_match=has(segment.industries.values(rows, codes.industry)),
        product_overlap=np.mean(products, axis=0) if products else np.zeros(len(rows)),
        freshness=status,
    )


def _stack(columns: list[np.ndarray], rows: np.ndarray, dtype: type) -> np.ndarray:
    """Columns side by side as an (n, k) array; (n, 0) when there are none."""
    if not columns:
        return np.zeros((len(rows), 0), dtype=dtype)
    return np.column_stack(columns).astype(dtype)


def _coarse(
    segment: Segment,
    rows: np.ndarray,
    *,
    codes: _LeadCodes,
    plan: Plan,
    beyond_km: np.ndarray,
    service_radius_km: np.ndarray,
    max_km_beyond_radius: float,
) -> np.ndarray:
    """-1 to 5, used only to cap the number of candidates: required certifications held,
    preferred skill levels, industry and language (each 0-1), plus proximity: 1 at the office,
    0 at the edge of its service area, -1 at `max_km_beyond_radius` beyond it (km)."""

    def share(matrix: np.ndarray) -> np.ndarray:
        return matrix.mean(axis=1) if matrix.shape[1] else np.ones(matrix.shape[0])

    inside = -beyond_km / np.maximum(service_radius_km, 1e-9)  # 0-1 within the service area
    outside = -beyond_km / max(max_km_beyond_radius, 1e-9)  # -1-0 beyond it
    proximity = np.where(beyond_km <= 0, inside, outside)
    certifications = _active(segment, rows, codes.required_certifications, plan=plan)
    preferred = _levels(segment, rows, codes.preferred_skills)
    return (
        share(certifications.astype(float))
        + share(preferred / MAX_SKILL_LEVEL)
        + (segment.industries.values(rows, codes.industry) > 0)
        + (segment.languages.values(rows, codes.language) > 0)
        + np.clip(proximity, -1.0, 1.0)
    )
