"""Scoring behaviour: rank a lead's candidates (preview), list flagged profiles. Never commits."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from indexing.protocol import LeadQuery, PartnerIndex
from profiles.geocoding import geocode_place
from profiles.known_names import require_known
from scoring import repository
from scoring.freshness import (
    STATUS_NAMES,
    FreshnessPolicy,
    assess_many,
    days_between,
    flagged_since,
    next_reminder_day,
    reason_names,
)
from scoring.ranker import HAND_RANKER, LearnedRanker, Ranker
from scoring.repository import FlaggedRow
from scoring.schemas import (
    Coordinates,
    LeadIn,
    LeadPreview,
    StalePage,
    StalePartner,
    excluded_candidates,
    ranked_candidates,
)
from scoring.scorer import rank
from scoring.weights import DEFAULT_CONFIG, ScoringConfig

_EPOCH = date(1970, 1, 1)


def lead_query(
    lead: LeadIn, *, geocoder: Geocoder, now: datetime, tolerance_km: float
) -> LeadQuery:
    """What the index is asked for a validated lead, assessed at `now`: partners within their
    service radius plus `tolerance_km`, or plus the lead's own wider `max_km_beyond_radius`."""
    return LeadQuery(
        on_date=now.date(),
        now=now,
        location=locate(lead, geocoder=geocoder),
        required_skills=tuple(lead.required_skills),
        preferred_skills=tuple(lead.preferred_skills),
        required_certifications=tuple(lead.required_certifications),
        preferred_certifications=tuple(lead.preferred_certifications),
        industry=lead.industry,
        products=tuple(lead.products),
        language=lead.language,
        max_km_beyond_radius=max(tolerance_km, lead.max_km_beyond_radius or 0.0),
    )


def require_known_names(session: Session, lead: LeadIn) -> None:
    """422 with suggestions for a required skill or certification nobody knows: such a lead
    could only ever find nobody."""
    require_known(
        session,
        skills={"required_skills": lead.required_skills},
        certifications={"required_certifications": lead.required_certifications},
    )


def locate(lead: LeadIn, *, geocoder: Geocoder) -> tuple[float, float]:
    """(lat, lon) in degrees of the lead's location, else of its customer; 422 naming the
    field that cannot be geocoded."""
    field, place = ("location", lead.location) if lead.location else ("customer", lead.customer)
    if place.lat is not None and place.lon is not None:
        return place.lat, place.lon
    found = geocode_place(geocoder, city=place.city, country=place.country)
    if found is None:
        name = ", ".join(part for part in (place.city, place.country) if part)
        raise InvalidInput.field(
            f"{field}.{'city' if place.city else 'country'}", f"could not geocode {name!r}"
        )
    return found.latitude, found.longitude


ACTIVE_MODEL_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class _Active:
    ranker: Ranker
    until: float  # time.monotonic() after which the store is asked again


_ACTIVE: dict[str, _Active] = {}


def active_ranker(session: Session) -> Ranker:
    """The promoted learned model, else the hand weights; preview and routing both ask here.

    Each process asks its store at most every ACTIVE_MODEL_TTL_SECONDS, so a promotion or a
    rollback reaches every worker within that time without a query per ranking."""
    store = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _ACTIVE.get(store)
    if cached is not None and cached.until > now:
        return cached.ranker
    active = repository.active_model(session)
    ranker: Ranker = HAND_RANKER
    if active is not None:
        model_id, version = active
        ranker = LearnedRanker.from_params(version, repository.model_params(session, model_id))
    _ACTIVE[store] = _Active(ranker=ranker, until=now + ACTIVE_MODEL_TTL_SECONDS)
    return ranker


def forget_active_ranker() -> None:
    """This process asks the store again at the next ranking (after a promotion here)."""
    _ACTIVE.clear()


def preview_lead(
    session: Session,
    lead: LeadIn,
    *,
    index: PartnerIndex,
    geocoder: Geocoder,
    now: datetime,
    limit: int,
    tolerance_km: float,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> LeadPreview:
    """The ranking a lead would get now (best `limit` candidates), assigning nothing."""
    require_known_names(session, lead)
    query = lead_query(lead, geocoder=geocoder, now=now, tolerance_km=tolerance_km)
    ranker = active_ranker(session)
    ranking = rank(query, candidates=index.candidates(query), config=config, ranker=ranker)
    lat, lon = query.location
    return LeadPreview(
        model_version=ranking.model_version,
        location=Coordinates(lat=lat, lon=lon),
        candidates=ranked_candidates(ranking, limit=limit),
        excluded=excluded_candidates(ranking),
    )


def list_flagged(
    session: Session,
    *,
    now: datetime,
    policy: FreshnessPolicy,
    status: Literal["due", "stale"] | None,
    limit: int,
    cursor: str | None,
) -> StalePage:
    """One page of due and stale profiles in id order; `cursor` continues a listing."""
    rows = repository.flagged_partners(
        session,
        due_cutoff=now - timedelta(days=policy.due_after_days),
        stale_cutoff=now - timedelta(days=policy.stale_after_days),
        today=now.date(),
        status=status,
        after_id=int(cursor or 0),
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = str(page[-1].id) if len(rows) > limit else None
    return StalePage(items=_flagged_items(page, now=now, policy=policy), next_cursor=next_cursor)


def _flagged_items(
    rows: Sequence[FlaggedRow], *, now: datetime, policy: FreshnessPolicy
) -> list[StalePartner]:
    """Status, reasons, since when and next reminder of a page of rows, assessed at `now`."""
    updated_ago = np.array([days_between(row.profile_updated_at, now) for row in rows])
    attested_ago = np.array([days_between(row.attested_at, now) for row in rows])
    codes, reasons = assess_many(
        updated_ago,
        attested_days_ago=attested_ago,
        has_skills=np.array([bool(row.has_skills) for row in rows], dtype=bool),
        all_certifications_expired=np.array(
            [bool(row.certifications_expired) for row in rows], dtype=bool
        ),
        policy=policy,
    )
    now_day = now.timestamp() / 86400.0
    today = (now.date() - _EPOCH).days
    since = flagged_since(
        codes,
        reasons=reasons,
        confirmed_day=now_day - np.minimum(updated_ago, attested_ago),
        updated_day=now_day - updated_ago,
        last_certification_expiry_day=np.array(
            [_epoch_day(row.last_certification_expiry) for row in rows], dtype=np.float64
        ),
        now_day=now_day,
        policy=policy,
    )
    since_day = np.floor(since).astype(np.int64)
    reminder_day = next_reminder_day(since, today_day=today, policy=policy)
    return [
        StalePartner(
            partner_id=row.id,
            name=row.name,
            status=STATUS_NAMES[code],  # type: ignore[arg-type]
            reasons=reason_names(mask),
            confirmed_at=max(row.profile_updated_at, row.attested_at or row.profile_updated_at),
            since=_EPOCH + timedelta(days=first),
            days_overdue=today - first,
            reminder_due_on=_EPOCH + timedelta(days=reminder),
        )
        for row, code, mask, first, reminder in zip(
            rows,
            codes.tolist(),
            reasons.tolist(),
            since_day.tolist(),
            reminder_day.tolist(),
            strict=True,
        )
    ]


def _epoch_day(day: date | None) -> float:
    return np.nan if day is None else float((day - _EPOCH).days)
