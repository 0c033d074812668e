"""Rankers turn 0-1 feature values into additive per-feature contributions (0-1 score units).

Both kinds are additive per feature, so every candidate's explanation sums to its score:
- `HandRanker`: the hand weights of `scoring.weights` (contribution = weight x value);
- `LearnedRanker`: one learned curve per feature (a promoted model, `scoring.learning`),
  tabulated on a grid over 0-1 and read by linear interpolation. A curve starts at 0 for a
  feature value of 0 and the curves' maxima sum to 1, so scores stay 0-1 like hand scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from scoring.weights import DEFAULT_CONFIG, FEATURES, ScoringConfig

HAND_KIND = "hand"


class Ranker(Protocol):
    @property
    def version(self) -> str:
        """Published with every ranking it produced."""
        ...

    def contributions(self, values: np.ndarray) -> np.ndarray:
        """(n, F) float64 contributions (0-1 score units) of (n, F) 0-1 feature values."""
        ...

    def max_shares(self) -> np.ndarray:
        """(F,) the most each feature can contribute (the `weight` of an explanation)."""
        ...


@dataclass(frozen=True)
class HandRanker:
    config: ScoringConfig = DEFAULT_CONFIG

    @property
    def version(self) -> str:
        return f"{HAND_KIND}-{self.config.version}"

    def contributions(self, values: np.ndarray) -> np.ndarray:
        return values * self.config.weights.as_array()

    def max_shares(self) -> np.ndarray:
        return self.config.weights.as_array()


@dataclass(frozen=True)
class LearnedRanker:
    """Per-feature curves `tables[j]` sampled at `grid` (0-1 feature values)."""

    name: str
    grid: np.ndarray  # float64 (G,) ascending, 0 to 1
    tables: np.ndarray  # float64 (F, G), tables[:, 0] == 0, tables.max(axis=1).sum() == 1

    @property
    def version(self) -> str:
        return self.name

    def contributions(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values, dtype=np.float64)
        for j in range(values.shape[1]):  # one vectorised lookup per feature (11), not per row
            out[:, j] = np.interp(values[:, j], self.grid, self.tables[j])
        return out

    def max_shares(self) -> np.ndarray:
        return self.tables.max(axis=1)

    def to_params(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "grid": self.grid.tolist(),
            "tables": self.tables.tolist(),
        }

    @classmethod
    def from_params(cls, name: str, params: dict[str, Any]) -> LearnedRanker:
        """The ranker stored by `to_params`; refuses one built for other features."""
        if tuple(params["features"]) != FEATURES:
            raise ValueError(f"model {name} was trained on other features: {params['features']}")
        return cls(
            name=name,
            grid=np.asarray(params["grid"], dtype=np.float64),
            tables=np.asarray(params["tables"], dtype=np.float64),
        )


HAND_RANKER = HandRanker()
