"""`partnermatch sweep` (expire overdue offers) and lead routing for `partnermatch route`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.runtime import runtime
from core.database import transaction
from core.errors import PartnerMatchError
from core.settings import Settings
from matcher.leads import service
from matcher.leads.payload import LeadIn
from matcher.leads.ranking import Retrieval
from matcher.leads.schemas import LeadRead
from matcher.leads.sweep import sweep as sweep_offers
from matcher.notifications.schedule import schedule, schedule_in_turn
from matcher.notifications.worker import Worker, run_until_idle

console = Console()


def sweep() -> None:
    """Expire offers past their acceptance deadline (the lead moves on); purge lapsed
    idempotency keys. The service does this by itself every sweep_interval_seconds."""
    settings = Settings()
    with runtime(settings, with_index=False) as opened:
        report = sweep_offers(opened.sessions, settings=settings, now=datetime.now(UTC))
    console.print(
        f"{report.expired} offers expired, {report.reminded} reminders, "
        f"{report.keys_purged} idempotency keys purged"
    )


def notify(
    once: Annotated[
        bool, typer.Option(help="One pass (time-based events, then deliver until idle), then exit")
    ] = False,
) -> None:
    """Deliver notifications (e-mail, webhooks) as a process of its own; several may run on
    one store. Also writes the time-based events: SLA expiry and reminders every
    sweep_interval_seconds, profile and reservation reminders every notify_schedule_seconds.
    Stop it with Ctrl-C or SIGTERM."""
    settings = Settings()
    with runtime(settings, with_index=False) as opened:
        worker = Worker(sessions=opened.sessions, settings=settings, clock=_utc_now)
        try:
            swept = scheduled = float("-inf")
            while True:
                if time.monotonic() - swept >= settings.sweep_interval_seconds:
                    swept = time.monotonic()
                    sweep_offers(opened.sessions, settings=settings, now=_utc_now())
                if time.monotonic() - scheduled >= settings.notify_schedule_seconds:
                    scheduled = time.monotonic()
                    run_pass = schedule if once else schedule_in_turn
                    run_pass(opened.sessions, settings=settings, now=_utc_now())
                report = run_until_idle(worker)
                if once:
                    console.print(
                        f"{report.sent} sent, {report.failed} to retry, {report.dead} dead"
                    )
                    return
                time.sleep(settings.notify_poll_seconds)
        finally:
            worker.close()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def route_lead(lead: LeadIn, *, limit: int) -> None:
    """Store and route a validated lead as POST /v1/leads does, with the default policy."""
    settings = Settings()
    with runtime(settings) as opened:
        assert opened.index is not None
        routing = service.Routing(
            retrieval=Retrieval(opened.index, opened.geocoder, settings.lead_radius_tolerance_km),
            settings=settings,
            policy=settings.lead_policy,
            limit=limit,
        )
        try:
            with transaction(opened.sessions) as session:
                row = service.create_lead(
                    session, lead, routing=routing, actor=service.SYSTEM, now=datetime.now(UTC)
                )
                result = LeadRead.model_validate(row)
        except PartnerMatchError as exc:
            for detail in exc.details or [{"field": "lead", "message": exc.message}]:
                console.print(f"{detail['field']}: {detail['message']}", style="red")
            raise typer.Exit(code=2) from exc
    _print(result)


def _print(lead: LeadRead) -> None:
    where = f" to partner {lead.assigned_partner_id}" if lead.assigned_partner_id else ""
    until = f", accept by {lead.accept_by:%Y-%m-%d %H:%M} UTC" if lead.accept_by else ""
    reason = f" ({lead.reason})" if lead.reason else ""
    console.print(f"lead {lead.id}: [bold]{lead.status}[/]{where}{until}{reason}")
    table = Table(title="Candidates (scores 0-1)")
    for column in ("#", "partner", "score", "km"):
        table.add_column(column, justify="right")
    for position, candidate in enumerate(lead.candidates, start=1):
        table.add_row(
            str(position),
            str(candidate.partner_id),
            f"{candidate.score:.4f}",
            f"{candidate.distance_km:.1f}",
        )
    console.print(table)
    for item in lead.excluded:
        console.print(f"excluded partner {item.partner_id}: {item.reason}")
