"""Request bodies: directory search and lead candidates as bool filters, coarse scores, facets.

Filters are exact and match the embedded index's semantics (indexing.protocol.SearchQuery):
all-of skills and certifications, active certifications as nested range filters, freshness
from the raw timestamps, geography through `geo_distance`.

"An office whose own service radius covers the point" needs each office compared with its own
radius. The filter groups offices by their radius value: for every distinct radius r in the
index (a nested terms aggregation, see `RADII_BODY`) one nested clause "an office with radius r
within r km". That is exact, needs no script, and stays small because radii are few. Lead
candidates use the same bands widened by the lead's `max_km_beyond_radius` B: "an office with
radius r within r + B km" is exactly "an office in range" (see `in_range`).

Relevance follows indexing.embedded.query.relevance as a function_score sum: tier and skill
levels exactly (one filter function per level threshold: sum over l of [level >= l] = level),
proximity as a linear decay (exact with `radius_km`; with service radii the decay uses the
nearest office's distance and that office band's radius). Text relevance is BM25 (OpenSearch
has no tf-idf cosine), weighted like the embedded text component: the same partners match,
their order by text may differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from indexing.embedded.query import (
    MAX_SKILL_LEVEL,
    MAX_TIER,
    PROXIMITY_WEIGHT,
    SKILL_WEIGHT,
    TEXT_WEIGHT,
    TIER_WEIGHT,
)
from indexing.protocol import LeadQuery, SearchQuery
from scoring.freshness import FreshnessPolicy

Clause = dict[str, Any]
FACET_SIZE = 10_000  # buckets per facet: every value, as the embedded index reports

RADII_BODY: dict[str, Any] = {
    "size": 0,
    "track_total_hits": False,
    "aggs": {
        "offices": {
            "nested": {"path": "offices"},
            "aggs": {"radii": {"terms": {"field": "offices.service_radius_km", "size": 10_000}}},
        }
    },
}


def instant(on_date: date, now: datetime | None) -> datetime:
    """The freshness instant: `now`, or midnight UTC starting `on_date`."""
    return now or datetime.combine(on_date, time(), tzinfo=UTC)


def point(lat_lon: tuple[float, float]) -> dict[str, float]:
    return {"lat": lat_lon[0], "lon": lat_lon[1]}


def within_km(field: str, origin: tuple[float, float], radius_km: float) -> Clause:
    return {"geo_distance": {"distance": f"{radius_km}km", field: point(origin)}}


def served(origin: tuple[float, float], *, radii: list[float]) -> Clause:
    """Some office's own service radius covers `origin` (exact; see the module docstring)."""
    return {
        "bool": {"should": [_served_by_band(origin, r) for r in radii], "minimum_should_match": 1}
    }


def in_range(origin: tuple[float, float], *, radii: list[float], beyond_km: float) -> Clause:
    """Some office is no farther from `origin` than its own service radius plus `beyond_km`
    (exact; one band per distinct radius). Matches nothing when `radii` is empty."""
    return {
        "bool": {
            "should": [_served_by_band(origin, r, beyond_km=beyond_km) for r in radii],
            "minimum_should_match": 1,
        }
    }


def _served_by_band(
    origin: tuple[float, float], radius_km: float, *, beyond_km: float = 0.0
) -> Clause:
    """An office with service radius `radius_km` within `radius_km` + `beyond_km` of origin."""
    inner = [
        {"term": {"offices.service_radius_km": radius_km}},
        within_km("offices.location", origin, radius_km + beyond_km),
    ]
    return {"nested": {"path": "offices", "query": {"bool": {"filter": inner}}}}


def active_certification(name: str, *, on_date: date) -> Clause:
    """Holds `name` with no expiry or an expiry on or after `on_date`."""
    unexpired = {
        "bool": {
            "should": [
                {"range": {"certifications.expires_at": {"gte": on_date.isoformat()}}},
                {"bool": {"must_not": {"exists": {"field": "certifications.expires_at"}}}},
            ],
            "minimum_should_match": 1,
        }
    }
    query = {"bool": {"filter": [{"term": {"certifications.name": name}}, unexpired]}}
    return {"nested": {"path": "certifications", "query": query}}


def not_stale(*, on_date: date, now: datetime, policy: FreshnessPolicy) -> list[Clause]:
    """Filters that keep exactly the partners scoring.freshness would not call stale."""
    overdue_before = now - timedelta(days=policy.stale_after_days)
    return [
        {"range": {"confirmed_at": {"gt": overdue_before.isoformat()}}},
        {"exists": {"field": "skill_names"}},
        {
            "bool": {
                "must_not": {"range": {"certifications_valid_until": {"lt": on_date.isoformat()}}}
            }
        },
    ]


def search_filters(
    query: SearchQuery, *, radii: list[float], policy: FreshnessPolicy
) -> list[Clause]:
    """Every filter of a directory search (text excluded)."""
    filters: list[Clause] = [{"term": {"skill_names": skill}} for skill in query.skills]
    filters += [active_certification(c, on_date=query.on_date) for c in query.certifications]
    for field, value in (
        ("industries", query.industry),
        ("languages", query.language),
        ("countries", query.country),
    ):
        if value:
            filters.append({"term": {field: value}})
    if query.any_skills:
        filters.append({"terms": {"skill_names": list(query.any_skills)}})
    if query.tier:
        filters.append({"terms": {"tier": list(query.tier)}})
    if query.near is not None:
        filters.append(
            within_km("office_points", query.near, query.radius_km)
            if query.radius_km is not None
            else served(query.near, radii=radii)
        )
    if not query.include_stale:
        now = instant(query.on_date, query.now)
        filters += not_stale(on_date=query.on_date, now=now, policy=policy)
    return filters


def text_match(q: str) -> Clause:
    """Every term of `q` must occur; a query of stop words only matches everything."""
    return {"match": {"all_text": {"query": q, "operator": "and", "zero_terms_query": "all"}}}


def relevance_functions(query: SearchQuery, *, radii: list[float]) -> list[Clause]:
    """function_score functions summing to the embedded relevance (text apart), each /weight."""
    groups: list[tuple[str, ...]] = [(skill,) for skill in query.skills]
    if query.any_skills:
        groups.append(query.any_skills)
    total = _weight_sum(query, skill_groups=len(groups))
    functions = [
        {"filter": {"term": {"tier_rank": rank}}, "weight": TIER_WEIGHT * rank / MAX_TIER / total}
        for rank in range(1, MAX_TIER + 1)
    ]
    per_level = SKILL_WEIGHT / (MAX_SKILL_LEVEL * max(len(groups), 1)) / total
    functions += [
        {"filter": skill_at_least(names, level=level), "weight": per_level}
        for names in groups
        for level in range(1, MAX_SKILL_LEVEL + 1)
    ]
    if query.near is not None:
        bands = (
            [(query.radius_km, None)]
            if query.radius_km is not None
            else [(r, _served_by_band(query.near, r)) for r in radii]
        )
        functions += [
            _linear_decay(query.near, scale_km=scale, weight=PROXIMITY_WEIGHT / total, only=band)
            for scale, band in bands
        ]
    return functions


def _weight_sum(query: SearchQuery, *, skill_groups: int) -> float:
    return (
        TIER_WEIGHT
        + (TEXT_WEIGHT if query.q else 0.0)
        + (SKILL_WEIGHT if skill_groups else 0.0)
        + (PROXIMITY_WEIGHT if query.near is not None else 0.0)
    )


def text_boost(query: SearchQuery) -> float:
    """Weight of the BM25 text score in the relevance sum."""
    groups = len(query.skills) + (1 if query.any_skills else 0)
    return TEXT_WEIGHT / _weight_sum(query, skill_groups=groups)


def skill_at_least(names: tuple[str, ...], *, level: int) -> Clause:
    """Has one of `names` at `level` or above."""
    inner = [{"terms": {"skills.name": list(names)}}, {"range": {"skills.level": {"gte": level}}}]
    return {"nested": {"path": "skills", "query": {"bool": {"filter": inner}}}}


def _linear_decay(
    origin: tuple[float, float], *, scale_km: float, weight: float, only: Clause | None
) -> Clause:
    """1 at `origin`, 0 at `scale_km` from the nearest office (decay 0: a straight line)."""
    decay: Clause = {
        "linear": {
            "office_points": {"origin": point(origin), "scale": f"{scale_km}km", "decay": 0.0}
        },
        "weight": weight,
    }
    return {**decay, "filter": only} if only is not None else decay


def facet_aggregations(*, on_date: date) -> dict[str, Any]:
    """Partners per value of each facet over the whole result set; certifications active."""
    active = {
        "bool": {
            "should": [
                {"range": {"certifications.expires_at": {"gte": on_date.isoformat()}}},
                {"bool": {"must_not": {"exists": {"field": "certifications.expires_at"}}}},
            ],
            "minimum_should_match": 1,
        }
    }
    per_partner: dict[str, Any] = {"partners": {"reverse_nested": {}}}
    return {
        "skill": {"terms": {"field": "skill_names", "size": FACET_SIZE}},
        "industry": {"terms": {"field": "industries", "size": FACET_SIZE}},
        "tier": {"terms": {"field": "tier", "size": FACET_SIZE}},
        "country": {"terms": {"field": "countries", "size": FACET_SIZE}},
        "certification": {
            "nested": {"path": "certifications"},
            "aggs": {
                "active": {
                    "filter": active,
                    "aggs": {
                        "names": {
                            "terms": {"field": "certifications.name", "size": FACET_SIZE},
                            "aggs": per_partner,
                        }
                    },
                }
            },
        },
    }


def lead_filters(query: LeadQuery, *, radii: list[float]) -> list[Clause]:
    """Every required skill and an office in range: within its service radius plus the lead's
    `max_km_beyond_radius` (exact, see `in_range`)."""
    filters: list[Clause] = [{"term": {"skill_names": s}} for s in query.required_skills]
    filters.append(in_range(query.location, radii=radii, beyond_km=query.max_km_beyond_radius))
    return filters


def lead_out_of_range(query: LeadQuery, *, radii: list[float]) -> Clause:
    """Every required skill and an office within the largest service radius plus the lead's
    `max_km_beyond_radius` and `out_of_range_report_km`, but no office in range
    (`excluded_out_of_range`)."""
    beyond = query.max_km_beyond_radius
    reach_km = max(radii, default=0.0) + beyond + query.out_of_range_report_km
    filters: list[Clause] = [{"term": {"skill_names": s}} for s in query.required_skills]
    filters.append(within_km("office_points", query.location, reach_km))
    excluded = [in_range(query.location, radii=radii, beyond_km=beyond)] if radii else []
    return {"bool": {"filter": filters, "must_not": excluded}}


def lead_coarse_functions(query: LeadQuery, *, radii: list[float]) -> list[Clause]:
    """The embedded coarse score, which orders the fetched window; the exact score is computed
    afterwards from the returned offices. Exact: share of required certifications active, of
    preferred skill levels, industry, language. Proximity approximately: for partners an
    office serves (within its own radius), 1 - km / r per serving radius band r, km to the
    nearest office (exact for one office); 0 for partners only in range beyond their radius
    (exactly -1 to 0)."""
    functions: list[Clause] = [
        _linear_decay(
            query.location, scale_km=r, weight=1.0, only=_served_by_band(query.location, r)
        )
        for r in radii
        if r > 0
    ]
    certs = query.required_certifications
    functions += [
        {"filter": active_certification(c, on_date=query.on_date), "weight": 1.0 / len(certs)}
        for c in certs
    ]
    preferred = query.preferred_skills
    functions += [
        {
            "filter": skill_at_least((skill,), level=level),
            "weight": 1.0 / (MAX_SKILL_LEVEL * len(preferred)),
        }
        for skill in preferred
        for level in range(1, MAX_SKILL_LEVEL + 1)
    ]
    for field, value in (("industries", query.industry), ("languages", query.language)):
        if value:
            functions.append({"filter": {"term": {field: value}}, "weight": 1.0})
    return functions
