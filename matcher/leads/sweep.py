"""SLA enforcement: offers past `accept_by` move on to the next candidate, offers close to it
get a `lead.reminder` event; lapsed idempotency keys are purged. Run by `partnermatch sweep`,
`partnermatch notify` and by a background task of the service, on the injected clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from core.database import transaction
from core.errors import Conflict
from core.settings import Settings
from matcher.leads import repository, service

log = logging.getLogger("partnermatch.sweep")

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    expired: int
    reminded: int
    keys_purged: int


def sweep(sessions: sessionmaker[Session], *, settings: Settings, now: datetime) -> SweepReport:
    """Expire every offer due at `now`, one transaction per lead so that an accept racing the
    sweep wins or loses cleanly (the loser sees the lead's version move and skips it)."""
    expired = 0
    while True:
        with transaction(sessions) as session:
            due = repository.due_offers(session, now=now, limit=BATCH)
        for lead_id in due:
            with suppress(Conflict), transaction(sessions) as session:
                lead = repository.get_lead(session, lead_id)
                if lead is not None and service.expire(session, lead, settings=settings, now=now):
                    expired += 1
        if len(due) < BATCH:
            break
    with transaction(sessions) as session:
        reminded = remind(session, settings=settings, now=now)
        purged = repository.delete_expired_keys(session, now=now)
    return SweepReport(expired=expired, reminded=reminded, keys_purged=purged)


def remind(session: Session, *, settings: Settings, now: datetime) -> int:
    """A `lead.reminder` for every offer ending within `lead_reminder_hours`, once per offer
    (however many processes sweep); returns how many were new."""
    window = timedelta(hours=settings.lead_reminder_hours)
    ending = repository.offers_ending_by(session, now=now, until=now + window)
    return sum(
        service.notify(
            session, lead, kind="lead.reminder", now=now, partner_id=lead.assigned_partner_id
        )
        for lead in ending
    )


@asynccontextmanager
async def background_sweeper(app: FastAPI) -> AsyncIterator[None]:
    """Sweep every `settings.sweep_interval_seconds` while the app runs (lifespan helper).
    At exit a sweep in flight finishes first: its thread cannot be cancelled, and the store
    must not be closed (or emptied, in tests) under it."""
    stopping = asyncio.Event()
    task = asyncio.create_task(_sweep_forever(app, stopping))
    try:
        yield
    finally:
        stopping.set()
        await task


async def _sweep_forever(app: FastAPI, stopping: asyncio.Event) -> None:
    settings: Settings = app.state.settings
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=settings.sweep_interval_seconds)
        if stopping.is_set():
            return
        try:
            report = await run_in_threadpool(
                sweep, app.state.sessionmaker, settings=settings, now=app.state.clock()
            )
        except Exception:  # a failed round is logged; the next one retries
            log.exception("SLA sweep failed")
            continue
        if report.expired:
            log.info("SLA sweep: %d offers expired", report.expired)
