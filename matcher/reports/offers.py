"""Offer-level figures: how partners answered their offers (accepted, declined, let expire)
and how fast they answered, overall and per partner."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from matcher.reports.schemas import OfferCounts, PartnerFigures


@dataclass
class _Tally:
    offers: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    withdrawn: int = 0
    response_seconds: list[float] = field(default_factory=list)

    def counts(self) -> OfferCounts:
        answered = self.accepted + self.declined + self.expired
        return OfferCounts(
            offers=self.offers,
            accepted=self.accepted,
            declined=self.declined,
            expired=self.expired,
            withdrawn=self.withdrawn,
            open=self.offers - answered - self.withdrawn,
            acceptance_rate=self.accepted / answered if answered else None,
        )


def tally_offers(
    steps: list[tuple[int, int, str, datetime]],
    *,
    outcomes: dict[int, dict[str, int]],
) -> tuple[OfferCounts, list[PartnerFigures]]:
    """All offers together, and per partner (most offers first): counts, acceptance rate and
    the median time from an offer to the partner's answer (accept or decline)."""
    total, per_partner = _Tally(), defaultdict[int, _Tally](_Tally)
    offered_at: dict[tuple[int, int], datetime] = {}
    for lead_id, partner_id, kind, at in steps:
        for tally in (total, per_partner[partner_id]):
            if kind == "offered":
                tally.offers += 1
            else:
                setattr(tally, kind, getattr(tally, kind) + 1)
        if kind == "offered":
            offered_at[(lead_id, partner_id)] = at
        elif kind in ("accepted", "declined") and (lead_id, partner_id) in offered_at:
            seconds = (at - offered_at.pop((lead_id, partner_id))).total_seconds()
            per_partner[partner_id].response_seconds.append(seconds)
    partners = [
        PartnerFigures(
            partner_id=partner_id,
            **tally.counts().model_dump(),
            won=outcomes.get(partner_id, {}).get("won", 0),
            lost=outcomes.get(partner_id, {}).get("lost", 0),
            median_response_seconds=float(np.median(tally.response_seconds))
            if tally.response_seconds
            else None,
        )
        for partner_id, tally in sorted(
            per_partner.items(), key=lambda item: (-item[1].offers, item[0])
        )
    ]
    return total.counts(), partners
