"""The routing report: how leads were routed in a window, and how evenly. Never commits."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from matcher.leads.schemas import LeadStatus
from matcher.reports import repository
from matcher.reports.offers import tally_offers
from matcher.reports.schemas import Outcomes, PartnerLeads, Percentiles, RoutingReport

STATUSES: tuple[LeadStatus, ...] = ("offered", "accepted", "unassigned", "direct")


def routing_report(session: Session, *, start: datetime, end: datetime) -> RoutingReport:
    """Figures over the leads created in [start, end)."""
    if start >= end:
        raise InvalidInput.field("from", "must be before `to`")
    counts = repository.status_counts(session, start=start, end=end)
    by_status: dict[str, int] = {status: counts.get(status, (0, 0, 0))[0] for status in STATUSES}
    offers, partners = tally_offers(
        repository.offer_steps(session, start=start, end=end),
        outcomes=repository.outcomes_per_partner(session, start=start, end=end),
    )
    times = np.array(repository.acceptance_times(session, start=start, end=end))
    per_partner = repository.leads_per_partner(session, start=start, end=end)
    closed = repository.outcomes(session, start=start, end=end)
    (won, won_value), (lost, lost_value) = closed.get("won", (0, 0.0)), closed.get("lost", (0, 0.0))
    return RoutingReport(
        start=start,
        end=end,
        leads=sum(by_status.values()),
        by_status=by_status,
        acceptance_rate=offers.acceptance_rate,
        offers=offers,
        time_to_accept_seconds=Percentiles(
            median=float(np.percentile(times, 50)), p90=float(np.percentile(times, 90))
        )
        if len(times)
        else None,
        outcomes=Outcomes(
            won=won,
            lost=lost,
            win_rate=won / (won + lost) if won + lost else None,
            won_value=won_value,
            lost_value=lost_value,
        ),
        reassignments=sum(row[2] for row in counts.values()),
        leads_per_partner=[PartnerLeads(partner_id=p, leads=n) for p, n in per_partner],
        gini=gini([n for _, n in per_partner]),
        partners=partners,
        unassigned_reasons=repository.unassigned_reasons(session, start=start, end=end),
    )


def gini(counts: list[int]) -> float | None:
    """Gini coefficient (0-1) of non-negative counts; None without any."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return None
    ranks = np.arange(1, n + 1)
    return float(2 * (ranks * values).sum() / (n * total) - (n + 1) / n)
