"""HTTP routes of lead routing: parse, call the service, return.

Managers and admins see every lead; a partner key sees only a lead offered to (or accepted
by) its partner, and of it only its own ranking entry and history; others answer 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from core.access.deps import CurrentPrincipal, Principal, Role, allow, require_own
from core.deps import CommittingRoute, IdCursor, NowDep, SessionDep, SettingsDep
from core.errors import NotFound
from matcher.leads import idempotency, ranking, service
from matcher.leads.deps import RetrievalDep
from matcher.leads.models import Lead
from matcher.leads.payload import LeadIn, LeadPreview
from matcher.leads.schemas import (
    Actor,
    AssignIn,
    CloseIn,
    DeclineIn,
    LeadDetail,
    LeadPage,
    LeadRead,
    LeadStatus,
    LeadSummary,
    Policy,
    lead_detail,
)

router = APIRouter(prefix="/v1/leads", tags=["leads"], route_class=CommittingRoute)

MANAGERS = allow(Role.ADMIN, Role.MANAGER)
MANAGERS_OR_ASSIGNEE = allow(Role.ADMIN, Role.MANAGER, Role.PARTNER)

LeadId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The lead's id")]


@router.post("", status_code=201, response_model=LeadRead, dependencies=[MANAGERS])
def create_lead(
    lead: LeadIn,
    session: SessionDep,
    retrieval: RetrievalDep,
    now: NowDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    idempotent: idempotency.IdempotencyDep,
    policy: Annotated[Policy | None, Query(description="Default: settings.lead_policy")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Candidates kept and shown")] = 20,
) -> Any:
    """Store the lead and route it at once; `excluded` says why partners were left out. A
    process ranks `routing_concurrency` leads at a time (`matcher.leads.turn`); the writes,
    and the commit as the route returns (`CommittingRoute`), come after the turn, so the next
    lead's turn need not wait for the store's answers."""
    chosen = policy or settings.lead_policy
    request_key = {"lead": lead.model_dump(mode="json"), "policy": chosen, "limit": limit}
    replayed = idempotent.replay(request_key, location=_lead_location)
    if replayed is not None:
        return replayed
    routing = service.Routing(retrieval=retrieval, settings=settings, policy=chosen, limit=limit)
    with retrieval.turn.plan():
        plan = service.plan_lead(session, lead, routing=routing, now=now)
    row = service.store_lead(session, plan, actor=_actor(principal), now=now)
    body = LeadRead.model_validate(row).model_dump(mode="json")
    return idempotent.respond(body, status_code=201, location=_lead_location(body))


def _lead_location(body: dict[str, Any]) -> str:
    return f"/v1/leads/{body['id']}"


@router.post("/preview", response_model=LeadPreview, dependencies=[MANAGERS])
def preview_lead(
    lead: LeadIn,
    session: SessionDep,
    retrieval: RetrievalDep,
    now: NowDep,
    limit: int = Query(default=20, ge=1, le=200, description="How many candidates to return"),
) -> LeadPreview:
    """The ranking the lead would get now, with explanations; nothing is stored or assigned."""
    return ranking.preview_lead(session, lead, retrieval, now=now, limit=limit)


@router.get("", response_model=LeadPage, dependencies=[MANAGERS_OR_ASSIGNEE])
def list_leads(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[list[LeadStatus], Query(description="Any of these statuses")] = [],  # noqa: B006
    partner_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Staff only: leads held by it")
    ] = None,
    outcome: Annotated[
        Literal["won", "lost"] | None, Query(description="Only leads closed with this outcome")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: IdCursor = None,
) -> LeadPage:
    """Leads newest first; a partner key lists only the leads offered to or accepted by it."""
    if principal.role is Role.PARTNER:
        partner_id = principal.partner_id
    rows, next_cursor = service.list_leads(
        session,
        statuses=status,
        partner_id=partner_id,
        cursor=cursor,
        limit=limit,
        outcome=outcome,
    )
    return LeadPage(
        items=[LeadSummary.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{lead_id}", response_model=LeadDetail, dependencies=[MANAGERS_OR_ASSIGNEE])
def get_lead(session: SessionDep, principal: CurrentPrincipal, lead_id: LeadId) -> LeadDetail:
    """The lead with its full history: every offer, acceptance, decline and timeout."""
    lead = _visible_lead(session, principal, lead_id)
    return _detail(session, lead, principal)


@router.post("/{lead_id}/accept", response_model=LeadDetail, dependencies=[MANAGERS_OR_ASSIGNEE])
def accept_lead(
    session: SessionDep, now: NowDep, principal: CurrentPrincipal, lead_id: LeadId
) -> LeadDetail:
    lead = _visible_lead(session, principal, lead_id)
    service.accept(session, lead, actor=_actor(principal, lead=lead), now=now)
    return _detail(session, lead, principal)


@router.post("/{lead_id}/decline", response_model=LeadDetail, dependencies=[MANAGERS_OR_ASSIGNEE])
def decline_lead(
    data: DeclineIn,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    lead_id: LeadId,
) -> LeadDetail:
    """Turn the offer down; the lead is offered to the next eligible candidate."""
    lead = _visible_lead(session, principal, lead_id)
    actor = _actor(principal, lead=lead)
    service.decline(session, lead, reason=data.reason, actor=actor, settings=settings, now=now)
    return _detail(session, lead, principal)


@router.post("/{lead_id}/close", response_model=LeadDetail, dependencies=[MANAGERS_OR_ASSIGNEE])
def close_lead(
    data: CloseIn, session: SessionDep, now: NowDep, principal: CurrentPrincipal, lead_id: LeadId
) -> LeadDetail:
    """Report an accepted lead's deal won or lost, with its value; frees the partner's capacity."""
    lead = _visible_lead(session, principal, lead_id)
    actor = _actor(principal, lead=lead)
    service.close(session, lead, outcome=data.outcome, value=data.value, actor=actor, now=now)
    return _detail(session, lead, principal)


@router.post("/{lead_id}/assign", response_model=LeadDetail, dependencies=[MANAGERS])
def assign_lead(
    data: AssignIn,
    session: SessionDep,
    retrieval: RetrievalDep,
    now: NowDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    lead_id: LeadId,
) -> LeadDetail:
    """Hand an unassigned, offered or direct lead to a chosen eligible partner (an offer with
    a fresh deadline). Crossing a reservation or a direct account needs `override_conflict`."""
    lead = service.get_lead(session, lead_id)
    routing = service.Routing(retrieval=retrieval, settings=settings, policy=lead.policy, limit=1)
    service.assign(session, lead, choice=data, routing=routing, actor=_actor(principal), now=now)
    return _detail(session, lead, principal)


def _visible_lead(session: Session, principal: Principal, lead_id: int) -> Lead:
    lead = service.get_lead(session, lead_id)
    require_own(principal, lead.assigned_partner_id, missing=NotFound(f"lead {lead_id} not found"))
    return lead


def _actor(principal: Principal, *, lead: Lead | None = None) -> Actor:
    """Who acts; a manager or admin acting on an offer acts for the partner holding it."""
    acting_for = lead.assigned_partner_id if lead is not None else None
    return Actor(
        role=principal.role.value,  # type: ignore[arg-type]
        key_id=principal.key_id,
        on_behalf_of_partner_id=acting_for if principal.role is not Role.PARTNER else None,
    )


def _detail(session: Session, lead: Lead, principal: Principal) -> LeadDetail:
    detail = lead_detail(lead, service.history(session, lead))
    if principal.role is not Role.PARTNER:
        return detail
    own = principal.partner_id
    return detail.model_copy(
        update={
            "candidates": [c for c in detail.candidates if c.partner_id == own],
            "excluded": [],
            "history": [e for e in detail.history if e.partner_id in (None, own)],
        }
    )
