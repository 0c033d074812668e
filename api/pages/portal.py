"""The partner portal at /portal: the inbox of offered and accepted leads, and the partner's
own profile with its freshness, the attest button and the editing form. Every action calls
the same services as the API, as the partner."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.pages.profile_form import ROWS, form_rows, update_from_form
from api.pages.rendering import redirect, render
from api.pages.session import PageSession, load_session, page_rule
from api.pages.signin import PORTAL
from core.access.deps import Principal, require_own
from core.deps import CommittingRoute, GeocoderDep, NowDep, SessionDep, SettingsDep
from core.errors import NotFound, PartnerMatchError, invalid_input
from matcher.leads import service as leads
from matcher.leads.models import ACCEPTED, OFFERED, Lead
from matcher.leads.schemas import Actor, lead_detail
from profiles import service as profiles
from profiles.deps import FreshnessPolicyDep
from profiles.freshness import FreshnessPolicy
from profiles.schemas import PartnerRead, PartnerUpdate

router = APIRouter(
    route_class=CommittingRoute,
    prefix="/portal",
    include_in_schema=False,
    dependencies=[page_rule(*PORTAL.roles, sign_in=PORTAL.sign_in_path)],
)
PageDep = Annotated[PageSession, Depends(load_session)]
INBOX_SIZE = 100


def _partner(page: PageSession) -> tuple[Principal, int]:
    principal = page.principal
    assert principal is not None and principal.partner_id is not None
    return principal, principal.partner_id


def _actor(principal: Principal) -> Actor:
    return Actor(role="partner", key_id=principal.key_id, on_behalf_of_partner_id=None)


@router.get("", response_class=HTMLResponse)
def inbox(request: Request, page: PageDep, session: SessionDep, now: NowDep) -> HTMLResponse:
    """Open offers with the time left to accept, and accepted leads still to close."""
    _, partner_id = _partner(page)
    rows, _ = leads.list_leads(
        session, statuses=[OFFERED, ACCEPTED], partner_id=partner_id, cursor=None, limit=INBOX_SIZE
    )
    context = {
        "offers": [lead for lead in rows if lead.status == OFFERED],
        "accepted": [lead for lead in rows if lead.status == ACCEPTED and lead.outcome is None],
        "closed": [lead for lead in rows if lead.outcome is not None],
        "now": now,
        "partner": profiles.get_partner(session, partner_id),
    }
    return render(request, "portal_inbox.html", context)


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    request: Request, page: PageDep, session: SessionDep, now: NowDep, lead_id: int
) -> HTMLResponse:
    """One lead and the partner's own part of its history; another partner's lead is a 404."""
    principal, partner_id = _partner(page)
    lead = _own_lead(session, principal, lead_id)
    detail = lead_detail(lead, leads.history(session, lead))
    history = [event for event in detail.history if event.partner_id in (None, partner_id)]
    context = {"lead": detail, "history": history, "now": now}
    return render(request, "portal_lead.html", context)


@router.post("/leads/{lead_id}/accept", response_model=None)
def accept(
    request: Request, page: PageDep, session: SessionDep, now: NowDep, lead_id: int
) -> RedirectResponse:
    principal, _ = _partner(page)
    lead = _own_lead(session, principal, lead_id)
    leads.accept(session, lead, actor=_actor(principal), now=now)
    return redirect(request, f"/portal/leads/{lead_id}")


@router.post("/leads/{lead_id}/decline", response_model=None)
def decline(
    request: Request,
    page: PageDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    lead_id: int,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> RedirectResponse:
    principal, _ = _partner(page)
    lead = _own_lead(session, principal, lead_id)
    leads.decline(session, lead, reason=reason, actor=_actor(principal), settings=settings, now=now)
    return redirect(request, "/portal")


@router.post("/leads/{lead_id}/close", response_model=None)
def close(
    request: Request,
    page: PageDep,
    session: SessionDep,
    now: NowDep,
    lead_id: int,
    outcome: Annotated[str, Form(pattern="^(won|lost)$")],
    value: Annotated[float | None, Form(ge=0, description="the deal's value")] = None,
) -> RedirectResponse:
    principal, _ = _partner(page)
    lead = _own_lead(session, principal, lead_id)
    leads.close(session, lead, outcome=outcome, value=value, actor=_actor(principal), now=now)
    return redirect(request, f"/portal/leads/{lead_id}")


@router.get("/profile", response_class=HTMLResponse)
def profile(
    request: Request, page: PageDep, session: SessionDep, now: NowDep, policy: FreshnessPolicyDep
) -> HTMLResponse:
    _, partner_id = _partner(page)
    partner = profiles.full_view(profiles.get_partner(session, partner_id), now=now, policy=policy)
    return render(request, "portal_profile.html", _profile_context(partner, errors={}))


@router.post("/profile/attest", response_model=None)
def attest(request: Request, page: PageDep, session: SessionDep, now: NowDep) -> RedirectResponse:
    _, partner_id = _partner(page)
    profiles.attest_partner(session, partner_id, now=now)
    return redirect(request, "/portal/profile?attested=1")


@router.post("/profile", response_model=None)
async def edit_profile(
    request: Request,
    page: PageDep,
    session: SessionDep,
    geocoder: GeocoderDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
) -> HTMLResponse | RedirectResponse:
    """Skills, certifications, offices and languages, validated as the API validates them;
    each error is shown next to its input and nothing is saved."""
    _, partner_id = _partner(page)
    body = update_from_form((await request.form()).multi_items())
    try:
        data = PartnerUpdate.model_validate(body)
    except ValidationError as exc:
        return _refused(
            request, session, partner_id, body, invalid_input(exc.errors()), now, policy
        )
    try:
        profiles.update_partner(
            session, partner_id, data=data, expected_version=None, geocoder=geocoder, now=now
        )
    except PartnerMatchError as error:
        session.rollback()
        return _refused(request, session, partner_id, body, error, now, policy)
    return redirect(request, "/portal/profile?saved=1")


def _refused(
    request: Request,
    session: Session,
    partner_id: int,
    body: dict[str, Any],
    error: PartnerMatchError,
    now: datetime,
    policy: FreshnessPolicy,
) -> HTMLResponse:
    partner = profiles.full_view(profiles.get_partner(session, partner_id), now=now, policy=policy)
    errors = {detail["field"]: detail["message"] for detail in error.details}
    context = _profile_context(partner, errors=errors or {"form": error.message})
    context["rows"] = {name: [*body[name], dict.fromkeys(ROWS[name])] for name in ROWS}
    context["languages"] = ", ".join(body["languages"])
    return render(request, "portal_profile.html", context, status_code=422)


def _profile_context(partner: PartnerRead, *, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "partner": partner,
        "rows": form_rows(partner),
        "languages": ", ".join(partner.languages),
        "errors": errors,
    }


def _own_lead(session: Session, principal: Principal, lead_id: int) -> Lead:
    lead = leads.get_lead(session, lead_id)
    require_own(principal, lead.assigned_partner_id, missing=NotFound(f"lead {lead_id} not found"))
    return lead
