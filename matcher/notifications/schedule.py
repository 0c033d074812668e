"""Time-based events, produced on the injected clock: profile.due and profile.stale on the
day a profile becomes due or stale and then on each reminder day until it is fresh again,
reservation.expiring before a reservation ends. Each happening is one event, however many
processes run the step (the occurrence key is unique)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.settings import Settings
from matcher.notifications import outbox, repository
from profiles.freshness import FreshnessPolicy
from scoring.schemas import StalePartner
from scoring.service import list_flagged

PAGE = 1000
PASS = "time-based events"  # its row in notification_schedule_passes


def schedule_in_turn(sessions: sessionmaker[Session], *, settings: Settings, now: datetime) -> int:
    """`schedule`, unless a process began it less than `notify_schedule_seconds` ago: every
    worker of every `serve` and `notify` process calls this on its own timer, and a pass costs
    about 0.9 s of CPU at 100,000 partners: work the store needs once per interval, not once
    per worker and restart. How many events were new (0 when it did not run)."""
    every = timedelta(seconds=settings.notify_schedule_seconds)
    with transaction(sessions) as session:
        turn = repository.begin_pass(session, PASS, now=now, every=every)
    return schedule(sessions, settings=settings, now=now) if turn else 0


def schedule(sessions: sessionmaker[Session], *, settings: Settings, now: datetime) -> int:
    """Write today's time-based events; how many were new. One short transaction per page
    of partners, which writes nothing when the page's events are all recorded already: on
    SQLite one transaction over the whole pass held the write lock for seconds (100,000
    partners: 6 s) while every other write waited."""
    policy = FreshnessPolicy(
        due_after_days=settings.due_after_days, stale_after_days=settings.stale_after_days
    )
    written, cursor = 0, None
    while True:
        with transaction(sessions) as session:
            page = list_flagged(
                session, now=now, policy=policy, status=None, limit=PAGE, cursor=cursor
            )
            written += _profile_reminders(session, page.items, now=now)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    with transaction(sessions) as session:
        written += _expiring_reservations(session, settings=settings, now=now)
    return written


def _profile_reminders(session: Session, flagged: list[StalePartner], *, now: datetime) -> int:
    due = {_occurrence(item): item for item in flagged if item.reminder_due_on == now.date()}
    recorded = outbox.recorded(session, due)
    return sum(
        outbox.emit(
            session,
            kind=f"profile.{item.status}",
            occurrence=occurrence,
            now=now,
            payload={
                "partner_id": item.partner_id,
                "name": item.name,
                "status": item.status,
                "reasons": item.reasons,
                "since": item.since.isoformat(),
            },
            partner_id=item.partner_id,
        )
        for occurrence, item in due.items()
        if occurrence not in recorded
    )


def _occurrence(item: StalePartner) -> str:
    return f"profile.{item.status}:{item.partner_id}:{item.since}:{item.reminder_due_on}"


def _expiring_reservations(session: Session, *, settings: Settings, now: datetime) -> int:
    window = timedelta(days=settings.reservation_warning_days)
    written = 0
    for reservation, account in repository.reservations_ending(
        session, now=now, until=now + window
    ):
        written += outbox.emit(
            session,
            kind="reservation.expiring",
            occurrence=f"reservation.expiring:{reservation.id}:{reservation.until.isoformat()}",
            now=now,
            payload={
                "reservation_id": reservation.id,
                "account_id": account.id,
                "customer": account.name,
                "partner_id": reservation.partner_id,
                "until": reservation.until.isoformat(),
            },
            partner_id=reservation.partner_id,
        )
    return written
