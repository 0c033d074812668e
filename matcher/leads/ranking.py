"""The boundary to retrieval and scoring: a lead's ranking, the same path as the preview
(scoring's LeadQuery -> index candidates -> scorer), with routing's own context: open leads
and acceptance/win history per candidate, and a customer account reserved by one partner."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from indexing.protocol import Candidates, LeadQuery, PartnerIndex
from matcher.leads import repository
from scoring.features import CandidateContext, PerformanceHistory
from scoring.schemas import (
    Coordinates,
    ExcludedCandidate,
    LeadIn,
    RankedCandidate,
    excluded_candidates,
    ranked_candidates,
)
from scoring.scorer import Ranking, rank
from scoring.service import active_ranker, lead_query


@dataclass(frozen=True)
class LeadRanking:
    model_version: str
    location: Coordinates
    max_km_beyond_radius: float  # the territory tolerance the lead was ranked with
    candidates: list[RankedCandidate]  # eligible, best first
    excluded: list[ExcludedCandidate]


def rank_lead(
    session: Session,
    lead: LeadIn,
    *,
    index: PartnerIndex,
    geocoder: Geocoder,
    now: datetime,
    limit: int,
    reserved_for: int | None,
    tolerance_km: float,
) -> LeadRanking:
    """The best `limit` eligible candidates and the excluded; with `reserved_for`, that
    partner is the only candidate and every other eligible one is an account conflict."""
    query, ranking = _rank(
        session, lead, index=index, geocoder=geocoder, now=now, tolerance_km=tolerance_km
    )
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


def standing_of(
    session: Session,
    lead: LeadIn,
    *,
    index: PartnerIndex,
    geocoder: Geocoder,
    now: datetime,
    partner_id: int,
    tolerance_km: float,
) -> RankedCandidate | str | None:
    """Where one partner stands for the lead now: its ranked entry when eligible, the
    exclusion reason when excluded, None when it is no candidate at all (no such partner, or
    without the lead's required skills)."""
    _, ranking = _rank(
        session, lead, index=index, geocoder=geocoder, now=now, tolerance_km=tolerance_km
    )
    kept, _ = _only(ranking, partner_id)
    if len(kept):
        return ranked_candidates(kept, limit=1)[0]
    excluded = {e.partner_id: e.reason for e in excluded_candidates(ranking)}
    return excluded.get(partner_id)


def _rank(
    session: Session,
    lead: LeadIn,
    *,
    index: PartnerIndex,
    geocoder: Geocoder,
    now: datetime,
    tolerance_km: float,
) -> tuple[LeadQuery, Ranking]:
    """The lead's candidates ranked by the active model, as preview ranks them."""
    query = lead_query(lead, geocoder=geocoder, now=now, tolerance_km=tolerance_km)
    candidates = index.candidates(query)
    context = candidate_context(session, candidates)
    ranker = active_ranker(session)
    return query, rank(query, candidates=candidates, context=context, ranker=ranker)


def candidate_context(session: Session, candidates: Candidates) -> CandidateContext:
    """Open leads and lead history of each candidate, row-aligned with the candidates."""
    ids = candidates.partner_ids.tolist()
    stats = repository.stats_of(session, ids)
    columns = np.zeros((5, len(ids)), dtype=np.int64)
    for i, partner_id in enumerate(ids):
        row = stats.get(partner_id)
        if row is not None:
            columns[:, i] = (row.open_leads, row.offered, row.accepted, row.closed, row.won)
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
