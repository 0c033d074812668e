"""Request bodies: directory search and lead candidates as bool filters, coarse scores, facets.

Filters are exact and match the embedded index's semantics (indexing.protocol.SearchQuery):
all-of skills and certifications, active certifications as nested range filters, freshness
from the raw timestamps, geography through `geo_distance`.

"An office whose own service radius covers the point" compares each office with its own
radius: a nested query over `offices`, narrowed by `geo_distance` to the largest radius in the
index (a nested max aggregation, see `MAX_RADIUS_BODY`), then a painless script filter
"arc distance <= this office's service_radius_km (+ the lead's max_km_beyond_radius)". The
painless script runs only on the offices the geo filter keeps.

Relevance follows indexing.embedded.query.relevance as a function_score sum: the tier
exactly (field_value_factor), skill levels exactly (one filter function per level threshold:
sum over l of [level >= l] = level), proximity as a linear decay with `radius_km`; without it,
1 - km / service radius of the best serving office, scored by painless on the nested offices
(the embedded index takes the nearest serving office: the two differ only when two offices
serve the point and the nearer one has the smaller radius). Text relevance is BM25 (OpenSearch
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
from profiles.freshness import FreshnessPolicy

Clause = dict[str, Any]
FACET_SIZE = 10_000  # buckets per facet: every value, as the embedded index reports
# A linear decay reaches 0 at scale / (1 - decay); OpenSearch refuses decay 0, and this one
# moves the zero by a billionth of the scale.
LINEAR_TO_ZERO = 1e-9

MAX_RADIUS_BODY: dict[str, Any] = {
    "size": 0,
    "track_total_hits": False,
    "aggs": {
        "offices": {
            "nested": {"path": "offices"},
            "aggs": {"max_radius": {"max": {"field": "offices.service_radius_km"}}},
        }
    },
}

# Painless over one nested office; arcDistance is in metres.
_OFFICE_REACHES = (
    "doc['offices.location'].arcDistance(params.lat, params.lon)"
    " <= doc['offices.service_radius_km'].value * 1000 + params.beyond_m"
)
_OFFICE_PROXIMITY = (
    "double r = doc['offices.service_radius_km'].value * 1000;"
    " double m = doc['offices.location'].arcDistance(params.lat, params.lon);"
    " return r <= 0 ? 0 : Math.max(0, 1 - m / r);"
)


def instant(on_date: date, now: datetime | None) -> datetime:
    """The freshness instant: `now`, or midnight UTC starting `on_date`."""
    return now or datetime.combine(on_date, time(), tzinfo=UTC)


def point(lat_lon: tuple[float, float]) -> dict[str, float]:
    return {"lat": lat_lon[0], "lon": lat_lon[1]}


def within_km(field: str, origin: tuple[float, float], radius_km: float) -> Clause:
    return {"geo_distance": {"distance": f"{radius_km}km", field: point(origin)}}


def served(origin: tuple[float, float], *, max_radius_km: float) -> Clause:
    """Some office's own service radius covers `origin` (exact; see the module docstring)."""
    return in_range(origin, max_radius_km=max_radius_km, beyond_km=0.0)


def in_range(origin: tuple[float, float], *, max_radius_km: float, beyond_km: float) -> Clause:
    """Some office is no farther from `origin` than its own service radius plus `beyond_km`."""
    return {
        "nested": {
            "path": "offices",
            "query": _office_in_range(origin, max_radius_km=max_radius_km, beyond_km=beyond_km),
        }
    }


def served_proximity(origin: tuple[float, float], *, max_radius_km: float, weight: float) -> Clause:
    """A scoring clause: `weight` x (1 - km / service radius) of the best office serving
    `origin`; matches only partners an office serves."""
    scored = {
        "function_score": {
            "query": _office_in_range(origin, max_radius_km=max_radius_km, beyond_km=0.0),
            "functions": [{"script_score": _script(_OFFICE_PROXIMITY, origin), "weight": weight}],
            "boost_mode": "replace",
        }
    }
    return {"nested": {"path": "offices", "score_mode": "max", "query": scored}}


def _office_in_range(
    origin: tuple[float, float], *, max_radius_km: float, beyond_km: float
) -> Clause:
    """One nested office within its radius + `beyond_km`: the geo filter narrows to the
    largest radius, painless compares each remaining office with its own."""
    reaches = {"script": _script(_OFFICE_REACHES, origin, beyond_m=beyond_km * 1000)}
    return {
        "bool": {
            "filter": [
                within_km("offices.location", origin, max_radius_km + beyond_km),
                reaches,
            ]
        }
    }


def _script(source: str, origin: tuple[float, float], **params: float) -> Clause:
    return {
        "script": {
            "lang": "painless",
            "source": source,
            "params": {"lat": origin[0], "lon": origin[1], **params},
        }
    }


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
    """Filters that keep exactly the partners profiles.freshness would not call stale."""
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
    query: SearchQuery, *, max_radius_km: float | None, policy: FreshnessPolicy
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
        if query.radius_km is not None:
            filters.append(within_km("office_points", query.near, query.radius_km))
        elif max_radius_km is not None:
            filters.append(served(query.near, max_radius_km=max_radius_km))
        else:  # no office in the index
            filters.append({"match_none": {}})
    if not query.include_stale:
        now = instant(query.on_date, query.now)
        filters += not_stale(on_date=query.on_date, now=now, policy=policy)
    return filters


def text_match(q: str) -> Clause:
    """Every term of `q` must occur; a query of stop words only matches everything."""
    return {"match": {"all_text": {"query": q, "operator": "and", "zero_terms_query": "all"}}}


def relevance_functions(query: SearchQuery) -> list[Clause]:
    """function_score functions summing to the embedded relevance, each /weight; text and the
    proximity to serving offices are scored in the query (`text_boost`, `proximity_weight`)."""
    groups: list[tuple[str, ...]] = [(skill,) for skill in query.skills]
    if query.any_skills:
        groups.append(query.any_skills)
    total = _weight_sum(query, skill_groups=len(groups))
    tier = {"field": "tier_rank", "factor": TIER_WEIGHT / MAX_TIER / total, "missing": 0}
    functions: list[Clause] = [{"field_value_factor": tier}]
    per_level = SKILL_WEIGHT / (MAX_SKILL_LEVEL * max(len(groups), 1)) / total
    functions += [
        {"filter": skill_at_least(names, level=level), "weight": per_level}
        for names in groups
        for level in range(1, MAX_SKILL_LEVEL + 1)
    ]
    if query.near is not None and query.radius_km is not None:
        functions.append(
            _linear_decay(query.near, scale_km=query.radius_km, weight=PROXIMITY_WEIGHT / total)
        )
    return functions


def proximity_weight(query: SearchQuery) -> float:
    """Weight of the serving-office proximity (0-1) in the relevance sum."""
    groups = len(query.skills) + (1 if query.any_skills else 0)
    return PROXIMITY_WEIGHT / _weight_sum(query, skill_groups=groups)


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


def _linear_decay(origin: tuple[float, float], *, scale_km: float, weight: float) -> Clause:
    """1 at `origin`, 0 at `scale_km` from the nearest office (a straight line between)."""
    return {
        "linear": {
            "office_points": {
                "origin": point(origin),
                "scale": f"{scale_km}km",
                "decay": LINEAR_TO_ZERO,
            }
        },
        "weight": weight,
    }


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
        "language": {"terms": {"field": "languages", "size": FACET_SIZE}},
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


def lead_filters(query: LeadQuery, *, max_radius_km: float) -> list[Clause]:
    """Every required skill and an office in range: within its service radius plus the lead's
    `max_km_beyond_radius` (exact, see `in_range`)."""
    filters: list[Clause] = [{"term": {"skill_names": s}} for s in query.required_skills]
    filters.append(
        in_range(query.location, max_radius_km=max_radius_km, beyond_km=query.max_km_beyond_radius)
    )
    return filters


def lead_out_of_range(query: LeadQuery, *, max_radius_km: float) -> Clause:
    """Every required skill and an office within the largest service radius plus the lead's
    `max_km_beyond_radius` and `out_of_range_report_km`, but no office in range
    (`excluded_out_of_range`)."""
    beyond = query.max_km_beyond_radius
    reach_km = max_radius_km + beyond + query.out_of_range_report_km
    filters: list[Clause] = [{"term": {"skill_names": s}} for s in query.required_skills]
    filters.append(within_km("office_points", query.location, reach_km))
    excluded = in_range(query.location, max_radius_km=max_radius_km, beyond_km=beyond)
    return {"bool": {"filter": filters, "must_not": [excluded]}}


def lead_coarse_scoring(query: LeadQuery, *, max_radius_km: float) -> tuple[Clause, list[Clause]]:
    """The embedded coarse score, which orders the fetched window; the exact score is computed
    afterwards from the returned offices. As (a query clause, function_score functions).
    Proximity, in the clause: 1 - km / r of the best office serving the lead (within its own
    radius r), 0 for partners only in range beyond their radius (exactly -1 to 0). Functions,
    exact: share of required certifications active, of preferred skill levels, industry,
    language."""
    proximity = served_proximity(query.location, max_radius_km=max_radius_km, weight=1.0)
    certs = query.required_certifications
    functions: list[Clause] = [
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
    return proximity, functions
