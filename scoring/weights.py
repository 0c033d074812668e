"""The one versioned scoring configuration: feature weights and the parameters of each feature.

Units: every feature value is a 0-1 score; the weights are non-negative and sum to 1, so a
candidate's score (the weighted sum) is a 0-1 score too. Distances are in km.

Change any number here and bump `WEIGHTS_VERSION` (date-based, "YYYY-MM-n"): every ranking
publishes the version it was computed with, so a score can always be traced to its weights.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, field, fields

import numpy as np

WEIGHTS_VERSION = "2026-11-2"


@dataclass(frozen=True)
class FeatureWeights:
    """Share of the 0-1 score each feature can earn; declaration order is the column order."""

    # How well the partner covers what the lead requires (level-weighted, verified boosted).
    required_skills: float = 0.30
    # How close its nearest office is to the customer (decays from the office, not the edge of
    # its service area: on-site work favours the nearby partner).
    distance: float = 0.20
    preferred_skills: float = 0.08
    preferred_certifications: float = 0.05
    tier: float = 0.07
    # Spare capacity: partners with room for the lead answer faster.
    capacity: float = 0.07
    language: float = 0.06
    industry: float = 0.05
    products: float = 0.05
    # Smoothed acceptance and win rates; a new partner gets the population average.
    performance: float = 0.05
    # Fresh profiles earn it; a profile due for confirmation loses it (a small penalty).
    freshness: float = 0.02

    def __post_init__(self) -> None:
        values = astuple(self)
        if any(not math.isfinite(value) or value < 0 for value in values):
            raise ValueError("feature weights must be finite and non-negative")
        if not math.isclose(sum(values), 1.0, abs_tol=1e-9):
            raise ValueError(f"feature weights must sum to 1, not {sum(values)}")

    def as_array(self) -> np.ndarray:
        """The weights as float64, in `FEATURES` order."""
        return np.array(astuple(self), dtype=np.float64)


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(FeatureWeights))


@dataclass(frozen=True)
class BetaPrior:
    """Beta(mean * strength, (1 - mean) * strength): `strength` pseudo-observations at `mean`.

    Fit it to the population (empirical Bayes) so a partner with little history is scored as
    an average partner and moves away from the average only as evidence accumulates.
    """

    mean: float
    strength: float

    def __post_init__(self) -> None:
        if not 0 <= self.mean <= 1 or self.strength <= 0:
            raise ValueError("a Beta prior needs a 0-1 mean and a positive strength")

    def smooth(self, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
        """Posterior mean rate (0-1) for each (successes, trials) pair."""
        return (successes + self.mean * self.strength) / (trials + self.strength)


@dataclass(frozen=True)
class ScoringConfig:
    """Everything the ranking depends on; `version` is published with every ranking."""

    version: str = WEIGHTS_VERSION
    weights: FeatureWeights = field(default_factory=FeatureWeights)
    # Share (0-1) of a required skill's credit that only a verified skill earns.
    verified_share: float = 0.2
    # Distance credit halves every `distance_half_life_km` from the office.
    distance_half_life_km: float = 100.0
    acceptance_prior: BetaPrior = BetaPrior(mean=0.6, strength=10.0)
    win_prior: BetaPrior = BetaPrior(mean=0.25, strength=10.0)

    def __post_init__(self) -> None:
        if not 0 <= self.verified_share <= 1:
            raise ValueError("verified_share must be within 0-1")
        if self.distance_half_life_km <= 0:
            raise ValueError("distance_half_life_km must be positive")


DEFAULT_CONFIG = ScoringConfig()
