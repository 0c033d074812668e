"""The one lead pipeline: a validated lead -> the index's LeadQuery -> candidates with their
context (open leads, acceptance and win history) -> the active ranker -> typed candidates and
exclusions. Routing, the manual assignment check and the preview all rank through `rank_lead`;
the hard constraints (stale, certification, range, capacity, an account reserved by another
partner) are applied there and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from indexing.protocol import Candidates, LeadQuery, PartnerIndex
from matcher.leads import repository
from matcher.leads.payload import LeadIn, LeadPreview
from matcher.leads.turn import NO_TURN, RankingTurn
from profiles.geocoding import geocode_place
from profiles.known_names import require_known
from scoring.features import CandidateContext, PerformanceHistory
from scoring.schemas import (
    Coordinates,
    ExcludedCandidate,
    RankedCandidate,
    excluded_candidates,
    ranked_candidates,
)
from scoring.scorer import Ranking, rank
from scoring.service import active_ranker


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


@dataclass(frozen=True)
class Retrieval:
    """Where a lead's candidates come from: the index, the geocoder placing the lead, the
    territory tolerance (km beyond a partner's service radius, unless the lead widens it), and
    the process's turn to rank."""

    index: PartnerIndex
    geocoder: Geocoder
    tolerance_km: float
    turn: RankingTurn = NO_TURN


class LeadRanking(LeadPreview):
    """A lead's ranking as routing keeps it: the preview plus the tolerance it was ranked with."""

    max_km_beyond_radius: float


def rank_lead(
    session: Session,
    lead: LeadIn,
    retrieval: Retrieval,
    *,
    now: datetime,
    limit: int,
    reserved_for: int | None = None,
) -> LeadRanking:
    """The best `limit` eligible candidates and the excluded; with `reserved_for`, that
    partner is the only candidate and every other eligible one is an account conflict."""
    query, ranking = _rank(session, lead, retrieval, now=now)
    excluded = excluded_candidates(ranking)
    if reserved_for is not None:
        ranking, conflicts = _only(ranking, reserved_for)
        excluded += [
            ExcludedCandidate(partner_id=partner_id, reason="account_conflict")
            for partner_id in conflicts.tolist()
        ]
    lat, lon = query.location
    return LeadRanking(
        model_version=ranking.model_version,
        location=Coordinates(lat=lat, lon=lon),
        max_km_beyond_radius=query.max_km_beyond_radius,
        candidates=ranked_candidates(ranking, limit=limit),
        excluded=excluded,
    )


def preview_lead(
    session: Session, lead: LeadIn, retrieval: Retrieval, *, now: datetime, limit: int
) -> LeadRanking:
    """The ranking routing would give the lead now (best `limit` candidates), assigning
    nothing and reserving nothing; the customer's account is not looked up."""
    require_known_names(session, lead)
    return rank_lead(session, lead, retrieval, now=now, limit=limit)


def standing_of(
    session: Session, lead: LeadIn, retrieval: Retrieval, *, now: datetime, partner_id: int
) -> RankedCandidate | str | None:
    """Where one partner stands for the lead now: its ranked entry when eligible, the
    exclusion reason when excluded, None when it is no candidate at all (no such partner, or
    without the lead's required skills)."""
    _, ranking = _rank(session, lead, retrieval, now=now)
    kept, _ = _only(ranking, partner_id)
    if len(kept):
        return ranked_candidates(kept, limit=1)[0]
    excluded = {e.partner_id: e.reason for e in excluded_candidates(ranking)}
    return excluded.get(partner_id)


def _rank(
    session: Session, lead: LeadIn, retrieval: Retrieval, *, now: datetime
) -> tuple[LeadQuery, Ranking]:
    """The lead's candidates with their context, ranked by the active model; a networked
    store reads the context outside the process's turn (see `matcher.leads.turn`)."""
    query = lead_query(
        lead, geocoder=retrieval.geocoder, now=now, tolerance_km=retrieval.tolerance_km
    )
    with retrieval.turn.cpu():
        candidates = retrieval.index.candidates(query)
    context = candidate_context(session, candidates)
    ranker = active_ranker(session)
    with retrieval.turn.cpu():
        return query, rank(query, candidates=candidates, context=context, ranker=ranker)


def candidate_context(session: Session, candidates: Candidates) -> CandidateContext:
    """Open leads and lead history of each candidate, row-aligned with the candidates."""
    ids = candidates.partner_ids.tolist()
    stats = repository.stats_of(session, ids)
    columns = np.zeros((5, len(ids)), dtype=np.int64)
    for i, partner_id in enumerate(ids):
        counters = stats.get(partner_id)
        if counters is not None:
            columns[:, i] = counters
    open_leads, offered, accepted, closed, won = columns
    history = PerformanceHistory(offered=offered, accepted=accepted, closed=closed, won=won)
    return CandidateContext(open_leads=open_leads, history=history)


def _only(ranking: Ranking, partner_id: int) -> tuple[Ranking, np.ndarray]:
    """The ranking cut down to one partner, and the eligible partners cut out."""
    keep = ranking.partner_ids == partner_id
    kept = replace(
        ranking,
        partner_ids=ranking.partner_ids[keep],
        scores=ranking.scores[keep],
        distance_km=ranking.distance_km[keep],
        values=ranking.values[keep],
        contributions=ranking.contributions[keep],
    )
    return kept, ranking.partner_ids[~keep]
