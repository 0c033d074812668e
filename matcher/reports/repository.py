"""Every query of the routing report: aggregates of the leads created in a time window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from matcher.leads.models import OFFERED, UNASSIGNED, Lead, LeadEvent

OFFER_STEPS = ("offered", "accepted", "declined", "expired", "withdrawn")


def status_counts(
    session: Session, *, start: datetime, end: datetime
) -> dict[str, tuple[int, int, int]]:
    """Per status: (leads, leads offered at least once, offers beyond each lead's first)."""
    query = (
        select(
            Lead.status,
            func.count(),
            func.sum(case((Lead.offers > 0, 1), else_=0)),
            func.sum(case((Lead.offers > 1, Lead.offers - 1), else_=0)),
        )
        .where(Lead.created_at >= start, Lead.created_at < end)
        .group_by(Lead.status)
    )
    return {
        status: (n, int(offered), int(moved))
        for status, n, offered, moved in session.execute(query)
    }


def outcomes(session: Session, *, start: datetime, end: datetime) -> dict[str, tuple[int, float]]:
    """Per closed outcome (won, lost): (leads, sum of the reported deal values)."""
    query = (
        select(Lead.outcome, func.count(), func.coalesce(func.sum(Lead.deal_value), 0.0))
        .where(Lead.created_at >= start, Lead.created_at < end, Lead.outcome.is_not(None))
        .group_by(Lead.outcome)
    )
    rows = session.execute(query)
    return {str(outcome): (n, float(value or 0.0)) for outcome, n, value in rows}


def acceptance_times(session: Session, *, start: datetime, end: datetime) -> list[float]:
    """Seconds from creation to acceptance of each accepted lead."""
    query = select(Lead.created_at, Lead.accepted_at).where(
        Lead.created_at >= start, Lead.created_at < end, Lead.accepted_at.is_not(None)
    )
    rows = session.execute(query)
    return [(accepted - created).total_seconds() for created, accepted in rows if accepted]


def leads_per_partner(session: Session, *, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(partner_id, distinct leads offered to it), most leads first, then by id."""
    leads = func.count(func.distinct(LeadEvent.lead_id))
    query = (
        select(LeadEvent.partner_id, leads)
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(
            LeadEvent.kind == OFFERED,
            LeadEvent.partner_id.is_not(None),
            Lead.created_at >= start,
            Lead.created_at < end,
        )
        .group_by(LeadEvent.partner_id)
        .order_by(leads.desc(), LeadEvent.partner_id)
    )
    rows = session.execute(query)
    return [(partner_id, n) for partner_id, n in rows if partner_id is not None]


def offer_steps(
    session: Session, *, start: datetime, end: datetime
) -> list[tuple[int, int, str, datetime]]:
    """(lead_id, partner_id, kind, at) of every offer and its end (accepted, declined,
    expired, withdrawn) of the window's leads, in the order they happened."""
    query = (
        select(LeadEvent.lead_id, LeadEvent.partner_id, LeadEvent.kind, LeadEvent.at)
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(
            LeadEvent.kind.in_(OFFER_STEPS),
            LeadEvent.partner_id.is_not(None),
            Lead.created_at >= start,
            Lead.created_at < end,
        )
        .order_by(LeadEvent.lead_id, LeadEvent.id)
    )
    rows = session.execute(query)
    return [(lead, partner, kind, at) for lead, partner, kind, at in rows if partner is not None]


def outcomes_per_partner(
    session: Session, *, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """partner_id -> {won: n, lost: n} over the window's closed leads."""
    query = (
        select(Lead.assigned_partner_id, Lead.outcome, func.count())
        .where(
            Lead.created_at >= start,
            Lead.created_at < end,
            Lead.outcome.is_not(None),
            Lead.assigned_partner_id.is_not(None),
        )
        .group_by(Lead.assigned_partner_id, Lead.outcome)
    )
    found: dict[int, dict[str, int]] = {}
    for partner_id, outcome, n in session.execute(query):
        if partner_id is not None:
            found.setdefault(partner_id, {})[str(outcome)] = n
    return found


def unassigned_reasons(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Why the window's unassigned leads are unassigned: leads per reason."""
    query = (
        select(Lead.reason, func.count())
        .where(Lead.status == UNASSIGNED, Lead.created_at >= start, Lead.created_at < end)
        .group_by(Lead.reason)
    )
    return {reason or "unknown": n for reason, n in session.execute(query)}
