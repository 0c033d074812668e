"""Holdout figures of a ranker on stored routing examples (scikit-learn metrics).

- `auc_acceptance`: ROC AUC of the score for "the partner accepted", over answered offers;
- `ndcg5_accepted`, `ndcg5_won`: mean NDCG@5 of the accepted (won) partner when the lead's
  stored candidates are re-ranked by the score, over leads with such a partner and at least
  two candidates;
- `brier`, `calibration_error`: of P(won | offered) over offers whose outcome is known
  (expected calibration error over 10 equal-width bins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import brier_score_loss, ndcg_score, roc_auc_score

from scoring.weights import FEATURES

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Examples:
    """Routing examples as arrays, one row per stored candidate."""

    lead_ids: np.ndarray  # int64 (n,)
    values: np.ndarray  # float64 (n, F) in FEATURES order
    offered: np.ndarray  # bool (n,)
    accepted: np.ndarray  # bool (n,)
    answered: np.ndarray  # bool (n,) accepted, declined or expired
    won: np.ndarray  # bool (n,)
    decided: np.ndarray  # bool (n,) the offer's final label is known: won, lost or refused

    def __len__(self) -> int:
        return len(self.lead_ids)

    def select(self, mask: np.ndarray) -> Examples:
        return Examples(**{name: getattr(self, name)[mask] for name in self.__annotations__})

    @classmethod
    def of_rows(
        cls, rows: list[tuple[int, dict[str, float], bool, str | None, str | None]]
    ) -> Examples:
        """From (lead_id, features, offered, response, outcome) rows."""
        n = len(rows)
        values = np.array([[r[1].get(f, 0.0) for f in FEATURES] for r in rows]).reshape(
            n, len(FEATURES)
        )
        offered = np.array([r[2] for r in rows], dtype=bool)
        response = [r[3] for r in rows]
        outcome = [r[4] for r in rows]
        accepted = np.array([x == "accepted" for x in response], dtype=bool)
        won = np.array([x == "won" for x in outcome], dtype=bool)
        closed = np.array([x is not None for x in outcome], dtype=bool)
        answered = np.array([x is not None for x in response], dtype=bool)
        return cls(
            lead_ids=np.array([r[0] for r in rows], dtype=np.int64),
            values=values,
            offered=offered,
            accepted=accepted,
            answered=answered,
            won=won,
            decided=offered & answered & (~accepted | closed),
        )


@dataclass(frozen=True)
class Report:
    leads: int
    offers_answered: int
    offers_decided: int
    auc_acceptance: float | None
    ndcg5_accepted: float | None
    ndcg5_won: float | None
    brier: float | None
    calibration_error: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def evaluate(
    examples: Examples,
    *,
    score: Callable[[np.ndarray], np.ndarray],
    probability: Callable[[np.ndarray], np.ndarray],
) -> Report:
    """Figures of a ranker given its 0-1 `score` of feature rows and its P(won) of scores."""
    scores = score(examples.values)
    answered = examples.offered & examples.answered
    decided = examples.decided
    p_won = probability(scores[decided])
    labels = examples.won[decided]
    return Report(
        leads=len(np.unique(examples.lead_ids)),
        offers_answered=int(answered.sum()),
        offers_decided=int(decided.sum()),
        auc_acceptance=_auc(examples.accepted[answered], scores[answered]),
        ndcg5_accepted=_ndcg5(examples.lead_ids, examples.accepted, scores),
        ndcg5_won=_ndcg5(examples.lead_ids, examples.won, scores),
        brier=float(brier_score_loss(labels, p_won)) if len(labels) else None,
        calibration_error=_calibration_error(labels, p_won) if len(labels) else None,
    )


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def _ndcg5(lead_ids: np.ndarray, relevant: np.ndarray, scores: np.ndarray) -> float | None:
    """Mean NDCG@5 over leads with a relevant candidate and at least two candidates."""
    values = []
    for lead in np.unique(lead_ids[relevant]):
        rows = lead_ids == lead
        if rows.sum() >= 2:
            truth = relevant[rows].astype(float)[None, :]
            values.append(ndcg_score(truth, scores[rows][None, :], k=5))
    return float(np.mean(values)) if values else None


def _calibration_error(labels: np.ndarray, p: np.ndarray) -> float:
    """Expected calibration error: |mean predicted - observed| per bin, weighted by bin size."""
    bins = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    error = 0.0
    for b in np.unique(bins):
        members = bins == b
        error += members.mean() * abs(p[members].mean() - labels[members].mean())
    return float(error)
