"""Per-candidate features of a (lead, partner) pair and the hard constraints, vectorised.

Inputs are the columnar `Candidates` a backend returned for a `LeadQuery`, plus what only the
caller knows (open leads, lead history), aligned row for row with `candidates.partner_ids`.
Every feature is a 0-1 score; a criterion the lead does not set is met by every candidate (1).
Certification flags are "active on the lead's date", so expired certifications never count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexing.protocol import Candidates, LeadQuery
from profiles.freshness import FRESH, STALE
from profiles.schemas import MAX_SKILL_LEVEL, MAX_TIER
from scoring.weights import FEATURES, ScoringConfig

# Exclusion reasons, by priority: a candidate failing several reports the first.
ELIGIBLE = 0
STALE_PROFILE, MISSING_CERTIFICATION, OUT_OF_RANGE, AT_CAPACITY = 1, 2, 3, 4
EXCLUSION_NAMES = {
    STALE_PROFILE: "stale_profile",
    MISSING_CERTIFICATION: "missing_certification",
    OUT_OF_RANGE: "out_of_range",
    AT_CAPACITY: "at_capacity",
}


@dataclass(frozen=True)
class PerformanceHistory:
    """Lead outcomes per candidate (int counts, aligned with `candidates.partner_ids`)."""

    offered: np.ndarray
    accepted: np.ndarray
    closed: np.ndarray  # accepted leads whose deal is decided
    won: np.ndarray

    @classmethod
    def none(cls, n: int) -> PerformanceHistory:
        """No history at all: every candidate is scored at the priors."""
        zeros = np.zeros(n, dtype=np.int64)
        return cls(offered=zeros, accepted=zeros, closed=zeros, won=zeros)


@dataclass(frozen=True)
class CandidateContext:
    """What the caller knows about the candidates beyond their profiles."""

    open_leads: np.ndarray  # int (n,) leads currently offered to or held by each candidate
    history: PerformanceHistory

    @classmethod
    def neutral(cls, n: int) -> CandidateContext:
        """No open leads and no history (a preview, or before lead routing exists)."""
        return cls(open_leads=np.zeros(n, dtype=np.int64), history=PerformanceHistory.none(n))


def feature_matrix(
    query: LeadQuery,
    *,
    candidates: Candidates,
    context: CandidateContext,
    config: ScoringConfig,
) -> np.ndarray:
    """(n, len(FEATURES)) float64 matrix of 0-1 feature values, columns in `FEATURES` order."""
    columns = {
        "required_skills": required_skill_coverage(candidates, config=config),
        "distance": distance_decay(candidates, config=config),
        "preferred_skills": _share(candidates.preferred_skill_levels > 0),
        "preferred_certifications": _share(candidates.preferred_cert_active),
        "tier": candidates.tier / MAX_TIER,
        "capacity": capacity_headroom(candidates, open_leads=context.open_leads),
        "language": _if_asked(candidates.language_match, asked=query.language is not None),
        "industry": _if_asked(candidates.industry_match, asked=query.industry is not None),
        "products": _if_asked(candidates.product_overlap, asked=bool(query.products)),
        "performance": performance(context.history, config=config),
        "freshness": candidates.freshness == FRESH,
    }
    n = len(candidates.partner_ids)
    matrix = np.empty((n, len(FEATURES)), dtype=np.float64)
    for j, name in enumerate(FEATURES):
        matrix[:, j] = columns[name]
    return np.clip(matrix, 0.0, 1.0, out=matrix)


def required_skill_coverage(candidates: Candidates, *, config: ScoringConfig) -> np.ndarray:
    """Mean credit over the required skills (0-1): level / 5, of which `verified_share` is
    earned only when the skill is verified. 1 when the lead requires no skill."""
    levels = candidates.required_skill_levels.astype(np.float64) / MAX_SKILL_LEVEL
    verification = 1.0 - config.verified_share * ~candidates.required_skill_verified
    return _mean_or_one(levels * verification)


def distance_decay(candidates: Candidates, *, config: ScoringConfig) -> np.ndarray:
    """Exponential decay (0-1) of the km from the customer to the nearest office: 1 at the
    office, halved every `distance_half_life_km`, whatever the office's service radius."""
    return 0.5 ** (candidates.distance_km / config.distance_half_life_km)


def beyond_radius_km(candidates: Candidates) -> np.ndarray:
    """km from the customer to the edge of the nearest office's service area (0 inside it)."""
    return np.maximum(candidates.distance_km - candidates.service_radius_km, 0.0)


def capacity_headroom(candidates: Candidates, *, open_leads: np.ndarray) -> np.ndarray:
    """Share (0-1) of `max_open_leads` still free; 0 for a partner taking no leads."""
    limit = candidates.max_open_leads.astype(np.float64)
    free = np.divide(limit - open_leads, limit, out=np.zeros_like(limit), where=limit > 0)
    return np.clip(free, 0.0, 1.0)


def performance(history: PerformanceHistory, *, config: ScoringConfig) -> np.ndarray:
    """Mean (0-1) of the Beta-smoothed acceptance rate and win rate."""
    acceptance = config.acceptance_prior.smooth(history.accepted, history.offered)
    wins = config.win_prior.smooth(history.won, history.closed)
    return (acceptance + wins) / 2.0


def exclusion_codes(
    candidates: Candidates, *, context: CandidateContext, max_km_beyond_radius: float
) -> np.ndarray:
    """int8 reason per candidate: ELIGIBLE (0) or the first hard constraint it fails;
    out of range farther than `max_km_beyond_radius` (km) beyond its office's radius."""
    missing_certification = ~candidates.required_cert_active.all(axis=1)
    out_of_range = beyond_radius_km(candidates) > max_km_beyond_radius
    at_capacity = context.open_leads >= candidates.max_open_leads
    codes = np.select(
        [candidates.freshness == STALE, missing_certification, out_of_range, at_capacity],
        [STALE_PROFILE, MISSING_CERTIFICATION, OUT_OF_RANGE, AT_CAPACITY],
        default=ELIGIBLE,
    )
    return codes.astype(np.int8)


def _share(flags: np.ndarray) -> np.ndarray:
    """Share (0-1) of the lead's criteria (columns) a candidate meets; 1 without criteria."""
    return _mean_or_one(flags.astype(np.float64))


def _mean_or_one(credit: np.ndarray) -> np.ndarray:
    if credit.shape[1] == 0:
        return np.ones(credit.shape[0])
    return credit.mean(axis=1)


def _if_asked(values: np.ndarray, *, asked: bool) -> np.ndarray | float:
    return values if asked else 1.0
