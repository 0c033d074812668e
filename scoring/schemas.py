"""Models of a ranking (candidates with their explanations, the excluded with their reason)
and of the stale-profile listing. Scores and contributions are 0-1, distances km.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
)

from scoring.scorer import Ranking
from scoring.weights import FEATURES


class Coordinates(BaseModel):
    lat: float
    lon: float


class FeatureContribution(BaseModel):
    feature: str
    value: float = Field(description="the feature's 0-1 value")
    weight: float = Field(description="its share of the 0-1 score")
    contribution: float = Field(description="weight x value, rounded to 6 decimals")


class RankedCandidate(BaseModel):
    partner_id: int
    score: float = Field(description="0-1, the sum of the explanation's contributions")
    distance_km: float
    explanation: list[FeatureContribution]


ExclusionReason = Literal[
    "stale_profile", "account_conflict", "at_capacity", "missing_certification", "out_of_range"
]


class ExcludedCandidate(BaseModel):
    partner_id: int
    reason: ExclusionReason


def ranked_candidates(ranking: Ranking, *, limit: int) -> list[RankedCandidate]:
    """The best `limit` candidates of a ranking with their explanations."""
    weights = ranking.weights.tolist()
    return [
        RankedCandidate(
            partner_id=partner_id,
            score=score,
            distance_km=distance,
            explanation=[
                FeatureContribution(feature=f, value=round(v, 4), weight=w, contribution=c)
                for f, v, w, c in zip(FEATURES, values, weights, contributions, strict=True)
            ],
        )
        for partner_id, score, distance, values, contributions in zip(
            ranking.partner_ids[:limit].tolist(),
            ranking.scores[:limit].tolist(),
            ranking.distance_km[:limit].tolist(),
            ranking.values[:limit].tolist(),
            ranking.contributions[:limit].tolist(),
            strict=True,
        )
    ]


def excluded_candidates(ranking: Ranking) -> list[ExcludedCandidate]:
    return [
        ExcludedCandidate(partner_id=partner_id, reason=reason)  # type: ignore[arg-type]
        for partner_id, reason in zip(
            ranking.excluded_ids.tolist(), ranking.excluded_reason_names(), strict=True
        )
    ]


class StalePartner(BaseModel):
    partner_id: int
    name: str
    status: Literal["due", "stale"]
    reasons: list[str]
    confirmed_at: datetime = Field(description="the later of its last update and attestation")
    since: date = Field(description="the day it became due, or stale (UTC)")
    days_overdue: int = Field(description="whole days since `since`")
    reminder_due_on: date = Field(description="the next reminder day, today or later (UTC)")


class StalePage(BaseModel):
    items: list[StalePartner]
    next_cursor: str | None
