"""Evaluating a directory search on one segment: filters, freshness, relevance, facets.

Every step works on arrays of candidate rows. Evaluation starts from the most selective
source (offices near the point, else the shortest posting list, else every row) and
intersects the other posting lists with binary searches, so the cost follows the size of
the result, not of the index.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from indexing.embedded.attribute import Attribute, member
from indexing.embedded.facets import Subset
from indexing.embedded.geo import nearest_per_partner
from indexing.embedded.segment import Segment
from indexing.embedded.text import TextQuery
from profiles.freshness import FreshnessPolicy, assess_many
from profiles.schemas import MAX_SKILL_LEVEL, MAX_TIER

# Relevance is the weighted mean of the components a query asks for (each 0-1); the tier
# component is always present, so a pure filter query ranks by tier, then by id.
TEXT_WEIGHT = 0.5
SKILL_WEIGHT = 0.3
PROXIMITY_WEIGHT = 0.2
TIER_WEIGHT = 0.1


@dataclass(frozen=True)
class Plan:
    """A search resolved against the catalog: codes instead of names, days as numbers.

    Days are epoch days (float days since 1970-01-01 UTC). `radius_km` None with `near`
    means "partners serving the point": an office within its own service radius.
    """

    today: float  # the day certifications must be active on
    now: float  # the instant freshness is assessed at
    skills: tuple[int, ...] = ()
    any_skills: tuple[int, ...] = ()
    certifications: tuple[int, ...] = ()
    industry: int | None = None
    language: int | None = None
    country: int | None = None
    tiers: tuple[int, ...] = ()
    text: TextQuery | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    include_stale: bool = False
    impossible: bool = False  # a required value the index has never seen: nothing matches


@dataclass(frozen=True)
class Matches:
    """The matching rows of one segment with their features; all arrays aligned.

    Freshness status and reasons are not kept: stale rows are dropped with a cheap threshold
    test, and the status of the few rows on a page is assessed by `freshness`."""

    rows: np.ndarray  # int64 segment rows, ascending
    score: np.ndarray  # float64 relevance 0-1
    distance_km: np.ndarray  # float64 haversine km to the matched office, NaN without `near`
    office: np.ndarray  # int64 index of the matched office in the segment, -1 without `near`
    within: Subset | None = None  # the posting list `rows` were taken from, if it has a name

    @classmethod
    def empty(cls) -> Matches:
        no_rows = np.empty(0, dtype=np.int64)
        no_values = np.empty(0, dtype=np.float64)
        return cls(no_rows, no_values, no_values, no_rows)


class _Postings(NamedTuple):
    """A sorted row list a match must be in; a text term's list carries its tf-idf values.

    `key` names the list for the facet cache (the same key, the same rows, in one segment);
    None for lists combined per query (any of several skills)."""

    rows: np.ndarray
    key: Hashable | None
    term: int | None = None  # hashed text column, None for other filters
    values: np.ndarray | None = None  # float32 per posting (text terms only)


def match(segment: Segment, *, alive: np.ndarray, plan: Plan, policy: FreshnessPolicy) -> Matches:
    """Rows of `segment` (where `alive`) that satisfy every filter of `plan`."""
    if plan.impossible or len(segment) == 0:
        return Matches.empty()
    required = _required_postings(segment, plan)
    term_values: dict[int, np.ndarray] = {}  # text term -> its value per row of `rows`
    base = None  # the posting list `rows` start as, if not the offices near a point
    if plan.near is not None:
        rows, distance, office = _near(segment, plan, shortest=required[:1])
    else:
        base = required.pop(0) if required else _Postings(np.arange(len(segment)), "all")
        rows, distance = base.rows, np.full(len(base.rows), np.nan)
        office = np.full(len(rows), -1, dtype=np.int64)
        if base.term is not None and base.values is not None:
            term_values[base.term] = base.values
    keep = np.ones(len(rows), dtype=bool)
    for postings in required:
        found, positions = member(rows, postings.rows)
        keep &= found
        if postings.term is not None and postings.values is not None:
            term_values[postings.term] = (
                postings.values[positions] if len(postings.values) else np.zeros(len(rows))
            )
    if plan.tiers:
        keep &= np.isin(segment.tier[rows], plan.tiers)
    keep &= alive[rows]
    if not plan.include_stale:
        keep &= fresh_enough(segment, rows, plan=plan, policy=policy)
    within = None
    if base is not None and base.key is not None:
        within = Subset(base.key, rows=base.rows, kept=keep)
    keep = np.flatnonzero(keep)
    rows, distance, office = rows[keep].astype(np.int64), distance[keep], office[keep]
    text = None
    if plan.text is not None:  # in the query's column order, as `relevance` looks them up
        text = [term_values[int(column)][keep] for column in plan.text.columns]
    score = relevance(
        segment, rows, plan=plan, distance_km=distance, office=office, term_values=text
    )
    return Matches(rows, score, distance, office, within)


def _required_postings(segment: Segment, plan: Plan) -> list[_Postings]:
    """Sorted row lists a match must be in, shortest first."""
    lists = [_Postings(segment.skills.postings(code)[0], ("skill", code)) for code in plan.skills]
    for code in plan.certifications:
        rows, expiry = segment.certifications.postings(code)
        lists.append(_Postings(rows[expiry >= plan.today], ("certification", code, plan.today)))
    single: list[tuple[str, Attribute, int | None]] = [
        ("industry", segment.industries, plan.industry),
        ("language", segment.languages, plan.language),
        ("country", segment.countries, plan.country),
    ]
    lists.extend(
        _Postings(attribute.postings(code)[0], (name, code))
        for name, attribute, code in single
        if code is not None
    )
    if plan.any_skills:
        either = np.concatenate([segment.skills.postings(c)[0] for c in plan.any_skills])
        lists.append(_Postings(np.unique(either), None))
    if plan.text is not None:
        for column in plan.text.columns.tolist():
            rows, values = segment.text.postings(column)
            lists.append(_Postings(rows, ("text", column), column, values))
    return sorted(lists, key=lambda postings: len(postings.rows))


def _near(
    segment: Segment, plan: Plan, *, shortest: list[_Postings]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partners near the point: rows, distance to the matched office (km), that office.

    Office hits of partners outside the shortest required posting list are dropped before
    reducing offices to partners, so the reduction sorts only plausible matches."""
    assert plan.near is not None
    offices = segment.offices
    if plan.radius_km is not None:
        hits, distances = offices.within(plan.near, plan.radius_km)
    else:
        hits, distances = offices.within(plan.near, offices.max_service_radius_km)
        serving = distances <= offices.service_radius_km[hits]
        hits, distances = hits[serving], distances[serving]
    if shortest:
        found = member(offices.row[hits], shortest[0].rows)[0]
        hits, distances = hits[found], distances[found]
    return nearest_per_partner(offices, hits, distances)


def fresh_enough(
    segment: Segment, rows: np.ndarray, *, plan: Plan, policy: FreshnessPolicy
) -> np.ndarray:
    """Which `rows` are not stale now (bool): the same verdict as `freshness` gives, from
    two precomputed per-row thresholds instead of the full assessment."""
    confirmed_days_ago = plan.now - segment.confirmed_day[rows]
    return (confirmed_days_ago < policy.stale_after_days) & (
        segment.unblocked_until[rows] >= plan.today
    )


def freshness(
    segment: Segment, rows: np.ndarray, *, plan: Plan, policy: FreshnessPolicy
) -> tuple[np.ndarray, np.ndarray]:
    """Freshness status and reason bits of `rows`, assessed now (never frozen at build)."""
    attested = segment.attested_day[rows]
    skills_indptr = segment.skills.by_partner.indptr
    latest_expiry = segment.latest_cert_expiry[rows]
    return assess_many(
        plan.now - segment.updated_day[rows],
        attested_days_ago=np.where(np.isnan(attested), np.inf, plan.now - attested),
        has_skills=skills_indptr[rows + 1] > skills_indptr[rows],
        all_certifications_expired=(latest_expiry > -np.inf) & (latest_expiry < plan.today),
        policy=policy,
    )


def relevance(
    segment: Segment,
    rows: np.ndarray,
    *,
    plan: Plan,
    distance_km: np.ndarray,
    office: np.ndarray,
    term_values: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Relevance 0-1: weighted mean of text cosine, skill levels / 5, proximity and tier / 3.

    Proximity is 1 - haversine km / reach, the reach being `radius_km` or, without it, the
    matched office's service radius (the geodesic distance is only computed for a page).
    `term_values` are the rows' tf-idf values per query term when the caller has them
    already (from intersecting the posting lists); otherwise they are looked up.
    """
    total = TIER_WEIGHT * segment.tier[rows] / MAX_TIER
    weight = TIER_WEIGHT
    if plan.text is not None:
        if term_values is None:
            term_values = [segment.text.values(rows, int(c)) for c in plan.text.columns]
        cosine = np.zeros(len(rows))
        for values, query_weight in zip(term_values, plan.text.weights, strict=True):
            cosine += query_weight * values
        total = total + TEXT_WEIGHT * np.clip(cosine, 0.0, 1.0)
        weight += TEXT_WEIGHT
    levels = [segment.skills.values(rows, code) for code in plan.skills]
    if plan.any_skills:
        levels.append(np.max([segment.skills.values(rows, c) for c in plan.any_skills], axis=0))
    if levels:
        total = total + SKILL_WEIGHT * np.mean(levels, axis=0) / MAX_SKILL_LEVEL
        weight += SKILL_WEIGHT
    if plan.near is not None:
        reach = (
            np.full(len(rows), plan.radius_km)
            if plan.radius_km is not None
            else segment.offices.service_radius_km[office]
        )
        proximity = 1.0 - distance_km / np.maximum(reach, 1e-9)
        total = total + PROXIMITY_WEIGHT * np.clip(proximity, 0.0, 1.0)
        weight += PROXIMITY_WEIGHT
    return np.asarray(total / weight, dtype=np.float64)


FACETS = ("skill", "certification", "industry", "language", "tier", "country")


def facet_counts(segment: Segment, matched: Matches, *, today: float) -> dict[str, np.ndarray]:
    """Matching partners per value (int64 by code) of every facet; certifications active."""
    return segment.facets.counts(matched.rows, today=today, within=matched.within)
