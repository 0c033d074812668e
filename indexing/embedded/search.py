"""A directory search over every segment of a state: plan, match, facets, page, distances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np

from core.errors import InvalidInput
from indexing.cursors import decode_cursor, encode_cursor, not_ours, query_fingerprint
from indexing.embedded.geo import geodesic_km
from indexing.embedded.paging import Position, select_page
from indexing.embedded.query import FACETS, Matches, Plan, facet_counts, freshness, match
from indexing.embedded.segment import Catalog, Segment
from indexing.embedded.state import IndexState
from indexing.embedded.vocabulary import Vocabulary
from indexing.protocol import SearchHit, SearchQuery, SearchResult
from profiles.freshness import FreshnessPolicy
from profiles.schemas import TIERS

_EPOCH = date(1970, 1, 1)


def epoch_day(day: date) -> float:
    """Days since 1970-01-01 (float)."""
    return float((day - _EPOCH).days)


def epoch_instant(on_date: date, now: datetime | None) -> float:
    """Float epoch days of `now`, or of midnight UTC starting `on_date` when `now` is None."""
    instant = now or datetime.combine(on_date, time(), tzinfo=UTC)
    return instant.timestamp() / 86400.0


def plan_search(query: SearchQuery, *, catalog: Catalog) -> Plan:
    """Resolve names to codes; a required name the index never saw makes the plan impossible."""
    required = {
        "skills": _codes(catalog.skills, query.skills),
        "certifications": _codes(catalog.certifications, query.certifications),
        "industry": _codes(catalog.industries, _optional(query.industry)),
        "language": _codes(catalog.languages, _optional(query.language)),
        "country": _codes(catalog.countries, _optional(query.country)),
    }
    any_skills = tuple(
        c for c in (catalog.skills.code(s) for s in query.any_skills) if c is not None
    )
    tiers = tuple(TIERS.index(tier) for tier in query.tier if tier in TIERS)
    impossible = (
        any(codes is None for codes in required.values())
        or (bool(query.any_skills) and not any_skills)
        or (bool(query.tier) and not tiers)
    )
    text = catalog.text.query(query.q) if query.q else None
    single = {name: (required[name] or (None,))[0] for name in ("industry", "language", "country")}
    return Plan(
        today=epoch_day(query.on_date),
        now=epoch_instant(query.on_date, query.now),
        skills=required["skills"] or (),
        any_skills=any_skills,
        certifications=required["certifications"] or (),
        tiers=tiers,
        text=text,
        near=query.near,
        radius_km=query.radius_km,
        include_stale=query.include_stale,
        impossible=impossible,
        **single,
    )


def _optional(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _codes(vocabulary: Vocabulary, names: tuple[str, ...]) -> tuple[int, ...] | None:
    """Codes of every name, or None if one is unknown (nothing can match then)."""
    codes = tuple(vocabulary.code(name) for name in names)
    return None if None in codes else codes  # type: ignore[return-value]


@dataclass(frozen=True)
class _Combined:
    """Matches of all segments side by side; `part` says which segment a match comes from."""

    ids: np.ndarray
    part: np.ndarray
    matches: list[tuple[Segment, Matches]]

    def column(self, name: str) -> np.ndarray:
        return _joined([getattr(m, name) for _, m in self.matches])


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    """Arrays end to end; a single one (the usual case: the delta matched nothing) as is."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def search(state: IndexState, query: SearchQuery, *, policy: FreshnessPolicy) -> SearchResult:
    """Every match counted and faceted; one page of them returned, in `query.sort` order."""
    if query.sort == "distance" and query.near is None:
        raise InvalidInput.field("sort", "sort=distance needs `near`")
    plan = plan_search(query, catalog=state.catalog)
    every = [
        (segment, match(segment, alive=alive, plan=plan, policy=policy))
        for segment, alive in state.segments()
    ]
    matches = [(segment, m) for segment, m in every if len(m.rows)] or every[:1]
    combined = _Combined(
        ids=_joined([segment.ids[m.rows] for segment, m in matches]),
        part=_joined([np.full(len(m.rows), i, dtype=np.int8) for i, (_, m) in enumerate(matches)]),
        matches=matches,
    )
    score = combined.column("score")
    keys = combined.column("distance_km") if query.sort == "distance" else -score
    bound_to = query_fingerprint(query)
    after = _position(decode_cursor(query.cursor, fingerprint=bound_to)) if query.cursor else None
    page, has_more = select_page(keys, combined.ids, after=after, limit=query.limit)
    next_cursor = None
    if has_more and len(page):
        last = [float(keys[page[-1]]), int(combined.ids[page[-1]])]
        next_cursor = encode_cursor(last, fingerprint=bound_to)
    return SearchResult(
        items=_hits(combined, page, score=score, plan=plan, policy=policy),
        total=len(combined.ids),
        facets=_facets(state.catalog, matches, today=plan.today),
        next_cursor=next_cursor,
    )


def _position(values: list[Any]) -> Position:
    """The (sort key, partner id) a cursor's values name."""
    try:
        key, partner_id = values
        return Position(float(key), int(partner_id))
    except (TypeError, ValueError) as exc:
        raise not_ours() from exc


def _hits(
    combined: _Combined, page: np.ndarray, *, score: np.ndarray, plan: Plan, policy: FreshnessPolicy
) -> list[SearchHit]:
    """The page's items; freshness and geodesic distances (km) are computed for them only."""
    offsets = np.cumsum([0] + [len(m.rows) for _, m in combined.matches])
    status = np.zeros(len(page), dtype=np.int8)
    reasons = np.zeros(len(page), dtype=np.int8)
    version = np.zeros(len(page), dtype=np.int64)
    distance: list[float | None] = [None] * len(page)
    for part, (segment, matched) in enumerate(combined.matches):
        on_page = np.flatnonzero(combined.part[page] == part)
        local = page[on_page] - offsets[part]
        rows = matched.rows[local]
        status[on_page], reasons[on_page] = freshness(segment, rows, plan=plan, policy=policy)
        version[on_page] = segment.version[rows]
        if plan.near is not None:
            offices = matched.office[local]
            lats, lons = segment.offices.lat[offices], segment.offices.lon[offices]
            kms = geodesic_km(plan.near, lats, lons).tolist()
            for i, km in zip(on_page.tolist(), kms, strict=True):
                distance[i] = km
    return [
        SearchHit(
            partner_id=int(combined.ids[i]),
            score=float(score[i]),
            distance_km=distance[n],
            freshness=int(status[n]),
            freshness_reasons=int(reasons[n]),
            version=int(version[n]),
        )
        for n, i in enumerate(page.tolist())
    ]


def _facets(
    catalog: Catalog, matches: list[tuple[Segment, Matches]], *, today: float
) -> dict[str, dict[str, int]]:
    """Counts per value of each facet over the whole result set, largest first."""
    names = {
        "skill": catalog.skills,
        "certification": catalog.certifications,
        "industry": catalog.industries,
        "language": catalog.languages,
        "country": catalog.countries,
    }
    totals = {
        facet: np.zeros(len(vocabulary), dtype=np.int64) for facet, vocabulary in names.items()
    }
    totals["tier"] = np.zeros(len(TIERS), dtype=np.int64)
    for segment, matched in matches:
        if len(matched.rows) == 0:
            continue
        for facet, counts in facet_counts(segment, matched, today=today).items():
            totals[facet][: len(counts)] += counts
    facets = {}
    for facet in FACETS:
        counts = totals[facet]
        codes = np.flatnonzero(counts)
        codes = codes[np.lexsort((codes, -counts[codes]))]
        labels = TIERS if facet == "tier" else names[facet].names()
        facets[facet] = dict(
            zip([labels[code] for code in codes.tolist()], counts[codes].tolist(), strict=True)
        )
    return facets
