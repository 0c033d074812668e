"""The one ranking for every backend: features -> additive 0-1 score -> explanation.

Contributions (the ranker's per-feature share: weight x value for the hand weights, a learned
curve for a promoted model) are rounded to `SCORE_DECIMALS` first and the score is
their sum, computed in integer millionths, so the published explanation adds up exactly to
the published score. Ties break on the published figures: score desc, distance asc, id asc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexing.protocol import Candidates, LeadQuery
from scoring.features import (
    ELIGIBLE,
    EXCLUSION_NAMES,
    OUT_OF_RANGE,
    CandidateContext,
    exclusion_codes,
    feature_matrix,
)
from scoring.ranker import HAND_RANKER, Ranker
from scoring.weights import DEFAULT_CONFIG, ScoringConfig

SCORE_DECIMALS = 6
DISTANCE_DECIMALS = 2  # 10 m
_SCORE_UNITS = 10**SCORE_DECIMALS


@dataclass(frozen=True)
class Ranking:
    """Eligible candidates best first with their explanations, and the excluded partners.

    Columns of `values` and `contributions` follow `scoring.weights.FEATURES`.
    """

    model_version: str
    partner_ids: np.ndarray  # int64 (m,)
    scores: np.ndarray  # float64 (m,) 0-1, equal to contributions.sum(axis=1)
    distance_km: np.ndarray  # float64 (m,) to the nearest office, rounded to 10 m
    values: np.ndarray  # float64 (m, F) feature values, 0-1
    weights: np.ndarray  # float64 (F,) the most each feature can contribute
    contributions: np.ndarray  # float64 (m, F) the ranker's, rounded to SCORE_DECIMALS
    excluded_ids: np.ndarray  # int64 (k,) sorted by reason, then id
    excluded_reasons: np.ndarray  # int8 (k,) codes of scoring.features.EXCLUSION_NAMES

    def __len__(self) -> int:
        return len(self.partner_ids)

    def excluded_reason_names(self) -> list[str]:
        return [EXCLUSION_NAMES[int(code)] for code in self.excluded_reasons]


def rank(
    query: LeadQuery,
    *,
    candidates: Candidates,
    context: CandidateContext | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
    ranker: Ranker = HAND_RANKER,
) -> Ranking:
    """Rank what a backend retrieved for `query`; `context` defaults to no open leads and no
    history (a preview). Hard constraints exclude; everyone else is scored by `ranker`."""
    context = context or CandidateContext.neutral(len(candidates.partner_ids))
    codes = exclusion_codes(
        candidates, context=context, max_km_beyond_radius=query.max_km_beyond_radius
    )
    eligible = codes == ELIGIBLE
    values = feature_matrix(query, candidates=candidates, context=context, config=config)[eligible]
    units = np.rint(ranker.contributions(values) * _SCORE_UNITS).astype(np.int64)
    score_units = units.sum(axis=1)
    distance = np.round(candidates.distance_km[eligible], DISTANCE_DECIMALS)
    ids = candidates.partner_ids[eligible].astype(np.int64)
    order = np.lexsort((ids, distance, -score_units))

    too_far = np.asarray(candidates.excluded_out_of_range, dtype=np.int64)
    excluded_ids = np.concatenate([candidates.partner_ids[~eligible].astype(np.int64), too_far])
    reasons = np.concatenate([codes[~eligible], np.full(len(too_far), OUT_OF_RANGE, np.int8)])
    excluded_order = np.lexsort((excluded_ids, reasons))
    return Ranking(
        model_version=ranker.version,
        partner_ids=ids[order],
        scores=score_units[order] / _SCORE_UNITS,
        distance_km=distance[order],
        values=values[order],
        weights=ranker.max_shares(),
        contributions=units[order] / _SCORE_UNITS,
        excluded_ids=excluded_ids[excluded_order],
        excluded_reasons=reasons[excluded_order],
    )
