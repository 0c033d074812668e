"""Lead routing behaviour: route at once, offer, accept, decline, expire, close. Never commits.

A lead holds one offer at a time. Each offer takes a unit of the partner's capacity in the
database (see `repository.take_capacity`); a decline, an expiry or a close gives it back.
Concurrent changes to one lead are refused by its version column (409), never merged.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.database import get_or_not_found
from core.errors import Conflict, InvalidInput
from core.settings import Settings
from matcher.accounts import service as accounts
from matcher.accounts.schemas import AccountCheck, Holder
from matcher.leads import repository
from matcher.leads.models import ACCEPTED, DIRECT, OFFERED, UNASSIGNED, Lead, LeadEvent
from matcher.leads.payload import LeadIn
from matcher.leads.policy import contenders, offer_order
from matcher.leads.ranking import (
    LeadRanking,
    Retrieval,
    rank_lead,
    require_known_names,
    standing_of,
)
from matcher.leads.schemas import Actor, AssignIn
from matcher.notifications import outbox
from scoring import examples
from scoring.schemas import RankedCandidate

SYSTEM = Actor(role="system", key_id=None, on_behalf_of_partner_id=None)
# History steps someone must hear about, and the event each one writes to the outbox.
NOTIFIED = {
    "offered": "lead.offered",
    "accepted": "lead.accepted",
    "declined": "lead.moved_on",
    "withdrawn": "lead.moved_on",
    "expired": "lead.expired",
    "unassigned": "lead.unassigned",
    "closed": "lead.closed",
}
BALANCE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Routing:
    """What routing needs besides the lead: where candidates come from, and the rules."""

    retrieval: Retrieval
    settings: Settings
    policy: str
    limit: int


@dataclass(frozen=True)
class Plan:
    """What routing read and decided for a new lead, before anything is written: the account
    check, the ranking, and either whom to offer the lead to (in turn, until one has
    capacity) or why it is not offered at all (`finished`: its status and reason)."""

    lead: LeadIn
    routing: Routing
    check: AccountCheck
    ranking: LeadRanking | None
    order: list[int]
    finished: tuple[str, str] | None


def create_lead(
    session: Session, lead: LeadIn, *, routing: Routing, actor: Actor, now: datetime
) -> Lead:
    """Store the lead and route it at once: direct, to the account's holder, or the best."""
    return store_lead(
        session, plan_lead(session, lead, routing=routing, now=now), actor=actor, now=now
    )


def plan_lead(session: Session, lead: LeadIn, *, routing: Routing, now: datetime) -> Plan:
    """Everything routing reads for a new lead (conflict check, ranking, the offer order),
    writing nothing: what the HTTP route runs in its process's turn to rank (all of it, or
    only the ranking's CPU when the store is networked: `matcher.leads.turn`)."""
    require_known_names(session, lead)
    check = accounts.check(
        session,
        name=lead.customer.name,
        domain=lead.customer.domain,
        now=now,
        threshold=routing.settings.account_match_threshold,
    )
    holder = check.holder
    if holder is not None and holder.kind == "direct":
        return Plan(lead, routing, check, None, [], finished=(DIRECT, "direct_account"))
    reserved_for = holder.partner_id if holder is not None else None
    ranking = rank_lead(
        session, lead, routing.retrieval, now=now, limit=routing.limit, reserved_for=reserved_for
    )
    if reserved_for is not None and not ranking.candidates:
        finished = (UNASSIGNED, "reserved_partner_ineligible")
    elif _nobody_in_range(ranking):
        finished = (UNASSIGNED, "no_partner_in_range")
    else:
        order = _offer_order(
            session, ranking.candidates, policy=routing.policy, settings=routing.settings, now=now
        )
        return Plan(lead, routing, check, ranking, order, finished=None)
    return Plan(lead, routing, check, ranking, [], finished=finished)


def store_lead(session: Session, plan: Plan, *, actor: Actor, now: datetime) -> Lead:
    """Write the planned lead, offered to the first partner of the order with capacity left.

    The lead is written once, as routed, so the write transaction stays short: on SQLite it
    holds the one database-wide write lock. Its writes: the chosen partner's capacity, the
    lead, its history, the ranking examples and the outbox event.
    """
    lead, ranking = plan.lead, plan.ranking
    row = Lead(
        title=lead.title,
        customer_name=lead.customer.name,
        customer_domain=lead.customer.domain,
        request=lead.model_dump(mode="json"),
        policy=plan.routing.policy,
        status=UNASSIGNED,
        account_id=_account_id(plan.check),
        offers=0,
        ranking=_snapshot(ranking, holder=plan.check.holder),
        created_at=now,
        updated_at=now,
    )
    offered_to = None
    if plan.finished is not None:
        status, reason = plan.finished
        _set_finished(row, status=status, reason=reason, now=now)
    else:
        offered_to = _take_capacity_of_first(session, row, plan.order)
        if offered_to is None:
            _set_finished(row, status=UNASSIGNED, reason="no_eligible_partner", now=now)
        else:
            _set_offered(row, partner_id=offered_to, settings=plan.routing.settings, now=now)
    repository.insert_lead(session, row)
    steps = [_Step("created", actor)]
    if lead.max_km_beyond_radius is not None:
        widened = f"{lead.max_km_beyond_radius:g} km beyond service radius"
        steps.append(_Step("widened", actor, reason=widened))
    if offered_to is None:
        steps.append(_finished_step(row))
    else:
        steps.append(_Step("offered", SYSTEM, partner_id=offered_to))
    _record_steps(session, row, steps, now=now)
    if ranking is not None:
        examples.record_ranking(
            session,
            lead_id=row.id,
            candidates=ranking.candidates,
            model_version=ranking.model_version,
            routed_at=now,
            offered_to=offered_to,
        )
    return row


def get_lead(session: Session, lead_id: int) -> Lead:
    return get_or_not_found(session, Lead, lead_id, what="lead")


def list_leads(
    session: Session,
    *,
    statuses: Collection[str],
    partner_id: int | None,
    cursor: str | None,
    limit: int,
    outcome: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> tuple[list[Lead], str | None]:
    """A page of leads, newest first, and the cursor of the next page (None at the end)."""
    rows = repository.list_leads(
        session,
        statuses=statuses,
        partner_id=partner_id,
        before_id=int(cursor) if cursor else None,
        limit=limit,
        outcome=outcome,
        created_from=created_from,
        created_to=created_to,
    )
    return rows, (str(rows[-1].id) if len(rows) == limit else None)


def accept(session: Session, lead: Lead, *, actor: Actor, now: datetime) -> Lead:
    """The partner takes the offer; the lead keeps its capacity slot until closed."""
    partner_id = _open_offer(lead, now=now)
    _claim(session, lead, now=now)
    lead.status, lead.accepted_at = ACCEPTED, now
    repository.count_outcome(session, partner_id, accepted=1)
    examples.record_response(session, lead_id=lead.id, partner_id=partner_id, response=ACCEPTED)
    _record(session, lead, kind="accepted", actor=actor, now=now, partner_id=partner_id)
    return lead


def decline(
    session: Session, lead: Lead, *, reason: str, actor: Actor, settings: Settings, now: datetime
) -> Lead:
    """The partner turns the offer down; the lead moves on to the next candidate."""
    _open_offer(lead, now=now)
    _claim(session, lead, now=now)
    _withdraw(session, lead, kind="declined", actor=actor, reason=reason, now=now)
    offer_next(session, lead, settings=settings, now=now)
    return lead


def expire(session: Session, lead: Lead, *, settings: Settings, now: datetime) -> bool:
    """Moves a lead whose offer timed out on; False when it was not (or no longer) due."""
    if lead.status != OFFERED or lead.accept_by is None or lead.accept_by > now:
        return False
    _claim(session, lead, now=now)
    _withdraw(session, lead, kind="expired", actor=SYSTEM, reason="sla_timeout", now=now)
    offer_next(session, lead, settings=settings, now=now)
    return True


def close(
    session: Session,
    lead: Lead,
    *,
    outcome: str,
    value: float | None,
    actor: Actor,
    now: datetime,
) -> Lead:
    """The partner reports the deal won or lost (and its value); its capacity is freed."""
    if lead.status != ACCEPTED or lead.outcome is not None or lead.assigned_partner_id is None:
        raise Conflict(f"lead {lead.id} is not an accepted, open lead")
    partner_id = lead.assigned_partner_id
    _claim(session, lead, now=now)
    lead.outcome, lead.closed_at, lead.deal_value = outcome, now, value
    examples.record_outcome(
        session, lead_id=lead.id, partner_id=partner_id, outcome=outcome, deal_value=value
    )
    repository.release_capacity(session, partner_id)
    repository.count_outcome(session, partner_id, closed=1, won=int(outcome == "won"))
    _record(
        session, lead, kind="closed", actor=actor, now=now, partner_id=partner_id, reason=outcome
    )
    return lead


def offer_next(session: Session, lead: Lead, *, settings: Settings, now: datetime) -> None:
    """Offer to the next eligible candidate that has not had the lead and has capacity;
    unassigned after `lead_max_offers` offers or when nobody is left."""
    if lead.offers >= settings.lead_max_offers:
        _finish(session, lead, status=UNASSIGNED, reason="max_offers_reached", now=now)
        return
    had = repository.partners_offered(session, lead.id)
    remaining = [c for c in _candidates(lead) if c.partner_id not in had]
    order = _offer_order(session, remaining, policy=lead.policy, settings=settings, now=now)
    partner_id = _take_capacity_of_first(session, lead, order)
    if partner_id is None:
        _finish(session, lead, status=UNASSIGNED, reason="no_eligible_partner", now=now)
    else:
        _offer(session, lead, partner_id=partner_id, actor=SYSTEM, settings=settings, now=now)


def _offer_order(
    session: Session,
    candidates: list[RankedCandidate],
    *,
    policy: str,
    settings: Settings,
    now: datetime,
) -> list[int]:
    """Candidates' partner ids in the order the policy tries them. `balanced` reads the
    recent offers of the contenders, unless there is only one (most leads: a query saved)."""
    recent: dict[int, int] = {}
    if policy == "balanced":
        close = contenders(candidates, margin=settings.lead_balance_margin)
        if len(close) > 1:
            ids = [c.partner_id for c in close]
            recent = repository.recent_offers(session, ids, since=now - BALANCE_WINDOW)
    return offer_order(
        candidates, policy=policy, margin=settings.lead_balance_margin, recent_offers=recent
    )


def _take_capacity_of_first(session: Session, lead: Lead, order: list[int]) -> int | None:
    """The first partner in `order` that still has capacity, a unit of it taken; the ones
    found full (by concurrent leads since the ranking) move to the lead's excluded."""
    full: list[int] = []
    for partner_id in order:
        if repository.take_capacity(session, partner_id):
            _exclude_at_capacity(lead, full)
            return partner_id
        full.append(partner_id)
    _exclude_at_capacity(lead, full)
    return None


def assign(
    session: Session, lead: Lead, *, choice: AssignIn, routing: Routing, actor: Actor, now: datetime
) -> Lead:
    """A channel manager hands an unassigned, offered or direct lead to a chosen eligible
    partner. Crossing another partner's reservation or a direct account needs
    `override_conflict`; the decision, the override and the offer are all in the history."""
    partner_id = choice.partner_id
    if lead.status not in (UNASSIGNED, OFFERED, DIRECT):
        raise Conflict(f"lead {lead.id} is {lead.status}; only an open lead can be assigned")
    if lead.status == OFFERED and lead.assigned_partner_id == partner_id:
        raise Conflict(f"lead {lead.id} is already offered to partner {partner_id}")
    crossed = _crossed_conflict(session, lead, partner_id=partner_id, routing=routing, now=now)
    if crossed is not None and choice.override_conflict is None:
        raise Conflict(
            f"{crossed}; pass override_conflict with a reason to assign anyway",
            details=[{"field": "override_conflict", "message": f"needed: {crossed}"}],
        )
    _require_eligible(session, lead, partner_id=partner_id, routing=routing, now=now)
    _claim(session, lead, now=now)
    if lead.status == OFFERED:
        _withdraw(session, lead, kind="withdrawn", actor=actor, reason="reassigned", now=now)
    if not repository.take_capacity(session, partner_id):
        raise Conflict(
            f"partner {partner_id} is at capacity",
            details=[{"field": "partner_id", "message": "at_capacity"}],
        )
    _record(
        session,
        lead,
        kind="assigned",
        actor=actor,
        now=now,
        partner_id=partner_id,
        reason=choice.reason,
    )
    if crossed is not None and choice.override_conflict is not None:
        _record(
            session,
            lead,
            kind="override",
            actor=actor,
            now=now,
            partner_id=partner_id,
            reason=choice.override_conflict.reason,
        )
    _offer(session, lead, partner_id=partner_id, actor=actor, settings=routing.settings, now=now)
    return lead


def _crossed_conflict(
    session: Session, lead: Lead, *, partner_id: int, routing: Routing, now: datetime
) -> str | None:
    """What handing the lead to the partner would cross: a direct account or another
    partner's reservation of the customer; None when nothing."""
    holder = accounts.check(
        session,
        name=lead.customer_name,
        domain=lead.customer_domain,
        now=now,
        threshold=routing.settings.account_match_threshold,
    ).holder
    if holder is None or holder.partner_id == partner_id:
        return None
    if holder.kind == "direct":
        return f"the customer is direct account {holder.account_id}"
    return f"account {holder.account_id} is reserved by partner {holder.partner_id}"


def _require_eligible(
    session: Session, lead: Lead, *, partner_id: int, routing: Routing, now: datetime
) -> None:
    """422 naming partner_id unless the partner is an eligible candidate for the lead now."""
    standing = standing_of(
        session,
        LeadIn.model_validate(lead.request),
        routing.retrieval,
        now=now,
        partner_id=partner_id,
    )
    if standing is None:
        raise InvalidInput.field(
            "partner_id", f"partner {partner_id} is no candidate for this lead"
        )
    if isinstance(standing, str):
        raise InvalidInput.field("partner_id", f"partner {partner_id} is excluded: {standing}")


def history(session: Session, lead: Lead) -> list[LeadEvent]:
    return repository.events_of(session, lead.id)


def _candidates(lead: Lead) -> list[RankedCandidate]:
    return [RankedCandidate.model_validate(c) for c in lead.ranking.get("candidates", [])]


def _snapshot(ranking: LeadRanking | None, *, holder: Holder | None) -> dict[str, Any]:
    """The routing-time facts kept with the lead: the account holder and the ranking."""
    snapshot: dict[str, Any] = {"account": holder.model_dump(mode="json") if holder else None}
    if ranking is not None:
        snapshot.update(ranking.model_dump(mode="json"))
    return snapshot


def _nobody_in_range(ranking: LeadRanking) -> bool:
    """No candidate at all, and nobody left out but for distance: no partner serves the
    lead's place (a channel manager's case, not a capacity or profile problem)."""
    return not ranking.candidates and all(e.reason == "out_of_range" for e in ranking.excluded)


def _exclude_at_capacity(lead: Lead, partner_ids: list[int]) -> None:
    """Moves candidates found full at offer time from the candidates to the excluded."""
    if not partner_ids:
        return
    full = set(partner_ids)
    ranking: dict[str, Any] = dict(lead.ranking)
    ranking["candidates"] = [c for c in ranking["candidates"] if c["partner_id"] not in full]
    ranking["excluded"] = ranking["excluded"] + [
        {"partner_id": partner_id, "reason": "at_capacity"} for partner_id in partner_ids
    ]
    lead.ranking = ranking


def _open_offer(lead: Lead, *, now: datetime) -> int:
    """The partner holding the lead's open offer; 409 when there is none (or it lapsed)."""
    if lead.status != OFFERED or lead.assigned_partner_id is None:
        raise Conflict(f"lead {lead.id} is {lead.status}, not offered")
    if lead.accept_by is not None and lead.accept_by <= now:
        raise Conflict(f"the offer of lead {lead.id} expired at {lead.accept_by.isoformat()}")
    return lead.assigned_partner_id


def _offer(
    session: Session,
    lead: Lead,
    *,
    partner_id: int,
    actor: Actor,
    settings: Settings,
    now: datetime,
) -> None:
    """Offers the lead to a partner whose capacity unit has been taken, with a deadline."""
    _set_offered(lead, partner_id=partner_id, settings=settings, now=now)
    _record(session, lead, kind="offered", actor=actor, now=now, partner_id=partner_id)
    examples.record_offer(session, lead_id=lead.id, partner_id=partner_id)


def _set_offered(lead: Lead, *, partner_id: int, settings: Settings, now: datetime) -> None:
    lead.status, lead.reason, lead.assigned_partner_id = OFFERED, None, partner_id
    lead.offers += 1
    lead.offered_at, lead.accept_by, lead.updated_at = now, _deadline(now, settings), now


def _withdraw(
    session: Session, lead: Lead, *, kind: str, actor: Actor, reason: str, now: datetime
) -> None:
    """Ends the open offer (declined or expired) and frees the partner's capacity."""
    partner_id = lead.assigned_partner_id
    assert partner_id is not None
    repository.release_capacity(session, partner_id)
    _record(session, lead, kind=kind, actor=actor, now=now, partner_id=partner_id, reason=reason)
    examples.record_response(
        session, lead_id=lead.id, partner_id=partner_id, response=kind, reason=reason
    )
    lead.assigned_partner_id, lead.offered_at, lead.accept_by = None, None, None


def _finish(session: Session, lead: Lead, *, status: str, reason: str, now: datetime) -> None:
    _set_finished(lead, status=status, reason=reason, now=now)
    _record_finished(session, lead, now=now)


def _set_finished(lead: Lead, *, status: str, reason: str, now: datetime) -> None:
    lead.status, lead.reason, lead.updated_at = status, reason, now
    lead.assigned_partner_id, lead.offered_at, lead.accept_by = None, None, None


def _record_finished(session: Session, lead: Lead, *, now: datetime) -> None:
    _record_steps(session, lead, [_finished_step(lead)], now=now)


def _finished_step(lead: Lead) -> _Step:
    kind = "direct" if lead.status == DIRECT else "unassigned"
    return _Step(kind, SYSTEM, reason=lead.reason)


@dataclass(frozen=True)
class _Step:
    """A step of a lead's history: what happened, who did it, to which partner and why."""

    kind: str
    actor: Actor
    partner_id: int | None = None
    reason: str | None = None


def _record(
    session: Session,
    lead: Lead,
    *,
    kind: str,
    actor: Actor,
    now: datetime,
    partner_id: int | None = None,
    reason: str | None = None,
) -> None:
    _record_steps(session, lead, [_Step(kind, actor, partner_id, reason)], now=now)


def _record_steps(session: Session, lead: Lead, steps: list[_Step], *, now: datetime) -> None:
    """The steps in the lead's history, in one INSERT, and each notified one in the outbox."""
    repository.add_events(
        session,
        [
            {
                "lead_id": lead.id,
                "at": now,
                "kind": step.kind,
                "partner_id": step.partner_id,
                "actor_role": step.actor.role,
                "actor_key_id": step.actor.key_id,
                "on_behalf_of_partner_id": step.actor.on_behalf_of_partner_id,
                "reason": step.reason,
            }
            for step in steps
        ],
    )
    for step in steps:
        if step.kind in NOTIFIED:
            notify(
                session,
                lead,
                kind=NOTIFIED[step.kind],
                now=now,
                partner_id=step.partner_id,
                reason=step.reason,
            )


def notify(
    session: Session,
    lead: Lead,
    *,
    kind: str,
    now: datetime,
    partner_id: int | None,
    reason: str | None = None,
) -> bool:
    """The lead's event in the outbox, once per offer round (`lead.offers`)."""
    payload = {
        "lead_id": lead.id,
        "title": lead.title,
        "customer": lead.customer_name,
        "status": lead.status,
        "partner_id": partner_id,
        "accept_by": lead.accept_by.isoformat() if lead.accept_by else None,
        "reason": reason,
        "outcome": lead.outcome,
        "deal_value": lead.deal_value,
    }
    return outbox.emit(
        session,
        kind=kind,
        occurrence=f"{kind}:{lead.id}:{lead.offers}",
        now=now,
        payload=payload,
        lead_id=lead.id,
        partner_id=partner_id,
    )


def _deadline(now: datetime, settings: Settings) -> datetime:
    return now + timedelta(hours=settings.lead_accept_hours)


def _account_id(check: AccountCheck) -> int | None:
    if check.holder is not None:
        return check.holder.account_id
    return check.matches[0].account_id if check.matches else None


def _claim(session: Session, lead: Lead, *, now: datetime) -> None:
    """Writes the lead first (UPDATE ... WHERE version = loaded version), so of two concurrent
    changes the second finds the version moved: a 409, never a merge."""
    lead_id = lead.id  # read before the flush: a failed flush expires the row
    lead.updated_at = now
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"lead {lead_id} was changed concurrently; reload it") from exc
