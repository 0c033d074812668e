"""Assignment policies: the order in which a lead's remaining candidates are tried."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scoring.schemas import RankedCandidate


def offer_order(
    candidates: Sequence[RankedCandidate],
    *,
    policy: str,
    margin: float,
    recent_offers: Mapping[int, int],
) -> list[int]:
    """Partner ids to try, first choice first; `candidates` are in rank order.

    `best` keeps the rank order. `balanced` first tries the candidates scoring within `margin`
    (0-1 score units) of the best, fewest leads offered recently first (rank order breaks
    ties, so the choice is deterministic), then the rest in rank order.
    """
    ids = [candidate.partner_id for candidate in candidates]
    if policy == "best":
        return ids
    close = len(contenders(candidates, margin=margin))
    preferred = sorted(range(close), key=lambda rank: (recent_offers.get(ids[rank], 0), rank))
    return [ids[rank] for rank in preferred] + ids[close:]


def contenders(
    candidates: Sequence[RankedCandidate], *, margin: float
) -> Sequence[RankedCandidate]:
    """The candidates `balanced` chooses among: those scoring within `margin` of the best (a
    prefix of the rank order)."""
    if not candidates:
        return []
    cutoff = candidates[0].score - margin
    return candidates[: sum(1 for candidate in candidates if candidate.score >= cutoff)]
