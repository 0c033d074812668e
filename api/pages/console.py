"""The channel-manager console at /console: the lead pipeline, the unassigned queue with manual
assignment (ranked candidates and exclusions from the preview), stale and due partners,
accounts and reservations, and the routing report with server-side SVG charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.pages.charts import bar_chart, line_chart
from api.pages.rendering import redirect, render
from api.pages.session import PageSession, load_session, page_rule
from api.pages.signin import CONSOLE
from core.deps import CommittingRoute, NowDep, SessionDep, SettingsDep
from core.errors import InvalidInput, PartnerMatchError, invalid_input
from indexing import repository as directory
from matcher.accounts import service as accounts
from matcher.leads import ranking
from matcher.leads import service as leads
from matcher.leads.deps import RetrievalDep
from matcher.leads.models import DIRECT, OFFERED, UNASSIGNED
from matcher.leads.payload import LeadIn
from matcher.leads.schemas import Actor, AssignIn, lead_detail
from matcher.reports import service as reports
from matcher.reports.schemas import RoutingReport
from profiles.deps import FreshnessPolicyDep
from scoring import service as scoring

router = APIRouter(
    route_class=CommittingRoute,
    prefix="/console",
    include_in_schema=False,
    dependencies=[page_rule(*CONSOLE.roles, sign_in=CONSOLE.sign_in_path)],
)
PageDep = Annotated[PageSession, Depends(load_session)]
PAGE_SIZE = 50
STATUSES = ("offered", "accepted", "unassigned", "direct")
ASSIGNABLE = (UNASSIGNED, OFFERED, DIRECT)
REPORT_DAYS = 14


@router.get("", response_class=HTMLResponse)
def pipeline(
    request: Request,
    session: SessionDep,
    status: str = "",
    outcome: str = "",
    partner_id: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Leads newest first, filtered by status, outcome, partner and creation date."""
    filters = {"status": status, "outcome": outcome, "partner_id": partner_id}
    filters.update({"from": start, "to": to})
    errors: dict[str, str] = {}
    rows: list[Any] = []
    next_cursor = None
    try:
        rows, next_cursor = leads.list_leads(
            session,
            statuses=[_choice("status", status, STATUSES)] if status else [],
            outcome=_choice("outcome", outcome, ("won", "lost")) if outcome else None,
            partner_id=_number("partner_id", partner_id),
            created_from=_day("from", start),
            created_to=_day("to", to, end=True),
            cursor=str(_number("cursor", cursor)) if cursor else None,
            limit=PAGE_SIZE,
        )
    except PartnerMatchError as error:
        errors = {d["field"]: d["message"] for d in error.details}
    shown = {key: value for key, value in filters.items() if value}
    context = {
        "leads": rows,
        "filters": filters,
        "errors": errors,
        "statuses": STATUSES,
        "next_cursor": next_cursor,
        "shown": shown,
        "names": _names(session, [lead.assigned_partner_id for lead in rows]),
    }
    return render(request, "console_pipeline.html", context)


@router.get("/unassigned", response_class=HTMLResponse)
def unassigned(request: Request, session: SessionDep) -> HTMLResponse:
    rows, _ = leads.list_leads(
        session, statuses=[UNASSIGNED], partner_id=None, cursor=None, limit=PAGE_SIZE
    )
    return render(request, "console_unassigned.html", {"leads": rows})


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    request: Request,
    session: SessionDep,
    retrieval: RetrievalDep,
    now: NowDep,
    lead_id: int,
) -> HTMLResponse:
    return _lead_page(request, session, retrieval, now, lead_id, errors={}, form={})


@router.post("/leads/{lead_id}/assign", response_model=None)
def assign(
    request: Request,
    page: PageDep,
    session: SessionDep,
    retrieval: RetrievalDep,
    now: NowDep,
    settings: SettingsDep,
    lead_id: int,
    partner_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    override_reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The API's assignment; errors come back next to the form's fields."""
    form = {"partner_id": partner_id, "reason": reason, "override_reason": override_reason}
    lead = leads.get_lead(session, lead_id)
    body: dict[str, Any] = {"partner_id": partner_id or None, "reason": reason}
    if override_reason:
        body["override_conflict"] = {"reason": override_reason}
    principal = page.principal
    assert principal is not None
    actor = Actor(role=principal.role.value, key_id=principal.key_id, on_behalf_of_partner_id=None)  # type: ignore[arg-type]
    routing = leads.Routing(retrieval=retrieval, settings=settings, policy=lead.policy, limit=1)
    try:
        choice = AssignIn.model_validate(body)
        leads.assign(session, lead, choice=choice, routing=routing, actor=actor, now=now)
    except (ValidationError, PartnerMatchError) as exc:
        session.rollback()
        error = invalid_input(exc.errors()) if isinstance(exc, ValidationError) else exc
        errors = {d["field"]: d["message"] for d in error.details} or {"form": error.message}
        errors.setdefault("form", error.message)
        return _lead_page(
            request, session, retrieval, now, lead_id, errors=errors, form=form, status=422
        )
    return redirect(request, f"/console/leads/{lead_id}?assigned=1")


@router.get("/partners", response_class=HTMLResponse)
def flagged_partners(
    request: Request,
    session: SessionDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    status: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Stale and due partners with their reasons and next reminder."""
    chosen: Literal["due", "stale"] | None = (
        "due" if status == "due" else "stale" if status == "stale" else None
    )
    listing = scoring.list_flagged(
        session, now=now, policy=policy, status=chosen, limit=PAGE_SIZE, cursor=cursor or None
    )
    context = {"listing": listing, "status": chosen or ""}
    return render(request, "console_partners.html", context)


@router.get("/accounts", response_class=HTMLResponse)
def account_list(request: Request, session: SessionDep, now: NowDep) -> HTMLResponse:
    rows = accounts.list_accounts(session, now=now, limit=200)
    holders = [row.holder.partner_id for row in rows if row.holder and row.holder.partner_id]
    context = {"accounts": rows, "names": _names(session, holders)}
    return render(request, "console_accounts.html", context)


@router.get("/report", response_class=HTMLResponse)
def report(request: Request, session: SessionDep, now: NowDep) -> HTMLResponse:
    """The API's routing report over the last days, and the same figures per day as charts."""
    end = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    start = end - timedelta(days=REPORT_DAYS)
    whole = reports.routing_report(session, start=start, end=end)
    days = [start + timedelta(days=i) for i in range(REPORT_DAYS)]
    daily = [
        (f"{day:%m-%d}", reports.routing_report(session, start=day, end=day + timedelta(days=1)))
        for day in days
    ]
    names = _names(session, [row.partner_id for row in whole.leads_per_partner])
    per_partner = [
        (names.get(row.partner_id, f"#{row.partner_id}"), float(row.leads))
        for row in whole.leads_per_partner[:15]
    ]
    charts = {
        "acceptance": line_chart(
            "Acceptance rate per day",
            [
                (label, None if r.acceptance_rate is None else 100 * r.acceptance_rate)
                for label, r in daily
            ],
            unit="%",
            top=100,
        ),
        "time_to_accept": line_chart(
            "Median hours to accept per day",
            [
                (
                    label,
                    None
                    if r.time_to_accept_seconds is None
                    else r.time_to_accept_seconds.median / 3600,
                )
                for label, r in daily
            ],
            unit=" h",
        ),
        "per_partner": bar_chart("Leads offered per partner", per_partner),
        "unassigned": bar_chart(
            "Unassigned leads per reason",
            [(reason, float(n)) for reason, n in sorted(whole.unassigned_reasons.items())],
        ),
    }
    return render(
        request, "console_report.html", {"report": whole, "charts": charts, "names": names}
    )


def _lead_page(
    request: Request,
    session: Session,
    retrieval: ranking.Retrieval,
    now: datetime,
    lead_id: int,
    *,
    errors: dict[str, str],
    form: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    """The lead, its history, and (while it is open) the preview ranking to assign from."""
    lead = leads.get_lead(session, lead_id)
    detail = lead_detail(lead, leads.history(session, lead))
    preview = None
    if lead.status in ASSIGNABLE:
        lead_in = LeadIn.model_validate(lead.request)
        preview = ranking.preview_lead(session, lead_in, retrieval, now=now, limit=10)
    ids = [lead.assigned_partner_id]
    if preview is not None:
        ids += [c.partner_id for c in preview.candidates] + [
            e.partner_id for e in preview.excluded[:20]
        ]
    context = {
        "lead": detail,
        "preview": preview,
        "names": _names(session, ids),
        "errors": errors,
        "form": form,
        "now": now,
    }
    return render(request, "console_lead.html", context, status_code=status)


def _hours(report: RoutingReport) -> float:
    assert report.time_to_accept_seconds is not None
    return report.time_to_accept_seconds.median / 3600


def _names(session: Session, partner_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = [partner_id for partner_id in partner_ids if partner_id is not None]
    return {pid: partner.name for pid, partner in directory.partners_by_id(session, wanted).items()}


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput.field(field, f"must be one of {', '.join(allowed)}")
    return value


def _number(field: str, text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput.field(field, "must be a whole number")
    return int(text)


def _day(field: str, text: str, *, end: bool = False) -> datetime | None:
    """Midnight UTC of a YYYY-MM-DD day; `end` gives the next midnight (the day included)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput.field(field, "must be a date, YYYY-MM-DD") from exc
    return datetime.combine(day + timedelta(days=int(end)), time(), tzinfo=UTC)
