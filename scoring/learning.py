"""Fit a learned ranker: logistic regression of "the offer was won" on per-feature spline bases.

Additive per feature, so every candidate's score is a sum of per-feature contributions (its
explanation), and monotone where common sense says so: each feature's basis is cumulative
B-splines (scikit-learn's `SplineTransformer`, summed from the right: each column rises from 0
to 1), whose coefficients are bounded at 0 for the monotone features, so a higher value of
such a feature never lowers the score. The fit is the penalised logistic loss minimised with
scipy's bounded L-BFGS-B (scikit-learn's LogisticRegression has no coefficient bounds).

The logit `b + sum_j g_j(x_j)` becomes a 0-1 score by shifting each curve to start at its
lowest value and dividing by the sum of the curves' spans; the ranking is unchanged and
`probability()` recovers P(won | offered) from the score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.preprocessing import SplineTransformer

from scoring.ranker import LearnedRanker
from scoring.weights import FEATURES

# Tier alone may bend either way: a top-tier partner is not always the better choice.
MONOTONE: frozenset[str] = frozenset(FEATURES) - {"tier"}
GRID = np.linspace(0.0, 1.0, 101)
N_KNOTS = 5
DEGREE = 2
L2 = 1.0  # ridge penalty on the spline coefficients (per example: L2 / n)


@dataclass(frozen=True)
class LearnedModel:
    ranker: LearnedRanker
    logit_offset: float  # logit of a candidate scoring 0
    logit_scale: float  # logit units per score unit

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """P(won | offered) (0-1) of 0-1 scores of this model."""
        return np.asarray(expit(self.logit_offset + self.logit_scale * scores))


def fit(values: np.ndarray, won: np.ndarray, *, name: str) -> LearnedModel:
    """Fit on (n, F) 0-1 feature values of offered candidates and whether each offer was won."""
    splines = SplineTransformer(n_knots=N_KNOTS, degree=DEGREE, extrapolation="constant")
    splines.fit(GRID.reshape(-1, 1))
    design = np.hstack([_basis(splines, values[:, j]) for j in range(values.shape[1])])
    width = design.shape[1] // len(FEATURES)
    bounds: list[tuple[float | None, float | None]] = [(None, None)]  # intercept
    for feature in FEATURES:
        bounds += [(0.0, None) if feature in MONOTONE else (None, None)] * width
    y = won.astype(np.float64)
    penalty = L2 / max(len(y), 1)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logit = theta[0] + design @ theta[1:]
        p = expit(logit)
        eps = 1e-12
        value = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
        value += penalty * float(theta[1:] @ theta[1:])
        residual = (p - y) / len(y)
        grad = np.concatenate([[residual.sum()], design.T @ residual + 2 * penalty * theta[1:]])
        return float(value), grad

    start = np.zeros(design.shape[1] + 1)
    start[0] = np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))
    theta = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x
    curves = np.vstack(
        [
            _basis(splines, GRID) @ theta[1 + j * width : 1 + (j + 1) * width]
            for j in range(len(FEATURES))
        ]
    )
    lowest = curves.min(axis=1)
    shifted = curves - lowest[:, None]
    span = float(shifted.max(axis=1).sum()) or 1.0
    ranker = LearnedRanker(name=name, grid=GRID.copy(), tables=shifted / span)
    return LearnedModel(
        ranker=ranker, logit_offset=float(theta[0] + lowest.sum()), logit_scale=span
    )


def _basis(splines: SplineTransformer, column: np.ndarray) -> np.ndarray:
    """Cumulative B-splines of one feature: each column non-decreasing from 0 to 1."""
    b = splines.transform(np.clip(column, 0.0, 1.0).reshape(-1, 1))
    cumulative = np.cumsum(b[:, ::-1], axis=1)[:, ::-1]
    return np.asarray(cumulative[:, 1:])  # the first is the constant 1 (the intercept's)
