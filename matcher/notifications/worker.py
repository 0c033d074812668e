"""The delivery worker: dispatch new events, claim due deliveries under a lease, send them,
record the result. Runs as a background task of `serve` and as `partnermatch notify`.

Delivery is at least once: a worker that dies after sending but before recording the result
leaves the row to be claimed again when its lease ends, and the receiver de-duplicates by
event id. Each result is committed right after its send, so a crash repeats at most the
deliveries in flight (at most `notify_concurrency`).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from core.database import transaction
from core.settings import Settings
from matcher.notifications import mail, outbox, repository, webhooks
from matcher.notifications.dispatch import dispatch
from matcher.notifications.models import (
    DEAD,
    EMAIL,
    SENT,
    WEBHOOK,
    Delivery,
    NotificationEvent,
    WebhookSubscription,
)
from matcher.notifications.retry import next_attempt
from matcher.notifications.schedule import schedule_in_turn

log = logging.getLogger("partnermatch.notify")


@dataclass
class RoundReport:
    dispatched: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    full: bool = False  # a batch was full: more is waiting

    def count(self, outcome: str | None) -> None:
        if outcome == SENT:
            self.sent += 1
        elif outcome == DEAD:
            self.dead += 1
        elif outcome == "failed":
            self.failed += 1

    @property
    def busy(self) -> bool:
        return bool(self.dispatched or self.sent or self.failed or self.dead)


@cache
def _certificates() -> ssl.SSLContext:
    """The system's trusted certificates, loaded once per process (20 ms each time)."""
    return ssl.create_default_context()


@dataclass
class Worker:
    """One delivering process's state: the store, the settings, its clock and HTTP client."""

    sessions: sessionmaker[Session]
    settings: Settings
    clock: Callable[[], datetime]
    http: httpx.Client = field(init=False)
    pool: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            timeout=self.settings.webhook_timeout_seconds, verify=_certificates()
        )
        # Webhooks go out in parallel, e-mails over up to as many SMTP connections.
        self.pool = ThreadPoolExecutor(self.settings.notify_concurrency, "notify")

    def close(self) -> None:
        self.pool.shutdown()
        self.http.close()

    @property
    def channels(self) -> tuple[str, ...]:
        """Webhooks always; e-mail only with an SMTP host (without one, e-mails wait)."""
        return (WEBHOOK, EMAIL) if self.settings.smtp_host else (WEBHOOK,)

    def run_once(self) -> RoundReport:
        """One round: dispatch events, then deliver one batch of due deliveries."""
        limit = self.settings.notify_batch_size
        report = RoundReport(
            dispatched=dispatch(
                self.sessions, settings=self.settings, now=self.clock(), limit=limit
            )
        )
        token = str(uuid.uuid4())
        with transaction(self.sessions) as session:
            batch = repository.claim(
                session,
                token=token,
                channels=self.channels,
                now=self.clock(),
                lease=timedelta(seconds=self.settings.notify_lease_seconds),
                limit=limit,
            )
            events = repository.events_by_id(session, {d.event_id for d in batch})
            subscriptions = repository.subscriptions_by_id(
                session, {d.subscription_id for d in batch if d.subscription_id is not None}
            )
        report.full = report.dispatched >= limit or len(batch) >= limit
        emails = [d for d in batch if d.channel == EMAIL]
        jobs = [
            self.pool.submit(
                self._send_webhook,
                delivery,
                event=events[delivery.event_id],
                subscription=subscriptions.get(delivery.subscription_id or 0),
                token=token,
            )
            for delivery in batch
            if delivery.channel == WEBHOOK
        ]
        connections = min(len(emails), self.settings.notify_concurrency)
        jobs += [
            self.pool.submit(self._send_emails, emails[n::connections], events=events, token=token)
            for n in range(connections)
        ]
        for job in jobs:
            for outcome in job.result():
                report.count(outcome)
        return report

    def _send_webhook(
        self,
        delivery: Delivery,
        *,
        event: NotificationEvent,
        subscription: WebhookSubscription | None,
        token: str,
    ) -> list[str | None]:
        error: str | None = "the subscription was deleted"
        if subscription is not None:
            error = _attempt(partial(webhooks.post, self.http, event, subscription=subscription))
        return [self._record(delivery, token=token, error=error)]

    def _send_emails(
        self, emails: list[Delivery], *, events: dict[int, NotificationEvent], token: str
    ) -> list[str | None]:
        """One SMTP connection for these e-mails; a refused connection fails each of them."""
        try:
            smtp = mail.open_smtp(self.settings)
        except (OSError, smtplib.SMTPException) as exc:
            return [self._record(d, token=token, error=_describe(exc)) for d in emails]
        outcomes = []
        with smtp:
            for delivery in emails:
                message = mail.build_message(
                    events[delivery.event_id],
                    recipient=delivery.target,
                    settings=self.settings,
                    delivery_id=delivery.id,
                )
                error = _attempt(partial(smtp.send_message, message))
                outcomes.append(self._record(delivery, token=token, error=error))
        return outcomes

    def _record(self, delivery: Delivery, *, token: str, error: str | None) -> str | None:
        """Commit the attempt's result with one conditional UPDATE, unless the lease was lost
        to another worker (`delivery` is the row as claimed; nobody else changed it since).
        The outcome: sent, failed (to retry) or dead; None when the claim was lost."""
        now, attempts = self.clock(), delivery.attempts + 1
        values: dict[str, object] = {
            "attempts": attempts,
            "claimed_until": None,
            "claim_token": None,
        }
        if error is None:
            values.update(status=SENT, sent_at=now, last_error=None)
        else:
            give_up_at = delivery.give_up_at or now + timedelta(
                hours=self.settings.notify_retry_hours
            )
            retry_at = next_attempt(attempts, now=now)
            values.update(last_error=error[:2000], give_up_at=give_up_at)
            if retry_at > give_up_at:
                values.update(status=DEAD)
            else:
                values.update(next_attempt_at=retry_at)
        with transaction(self.sessions) as session:
            if not repository.finish(session, delivery.id, token=token, values=values):
                return None
        if error is None:
            return SENT
        return DEAD if values.get("status") == DEAD else "failed"


def _attempt(send: Callable[[], object]) -> str | None:
    """None when the send succeeded, else what went wrong."""
    try:
        send()
    except (OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
        return _describe(exc)
    return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_until_idle(worker: Worker, *, max_rounds: int = 1000) -> RoundReport:
    """Rounds until one finds nothing to do (`partnermatch notify --once`, tests)."""
    total = RoundReport()
    for _ in range(max_rounds):
        report = worker.run_once()
        total.dispatched += report.dispatched
        total.sent += report.sent
        total.failed += report.failed
        total.dead += report.dead
        if not report.busy:
            break
    return total


@asynccontextmanager
async def background_notifier(app: FastAPI) -> AsyncIterator[None]:
    """Deliver while the app runs (lifespan helper); stopped, and its client closed, at exit.
    A commit in this process that wrote an event wakes the worker at once; events written by
    other processes are found within `notify_poll_seconds`."""
    settings: Settings = app.state.settings
    if not settings.notify_in_serve:
        yield
        return
    sessions = app.state.sessionmaker
    worker = Worker(sessions=sessions, settings=settings, clock=app.state.clock)
    loop, wake = asyncio.get_running_loop(), asyncio.Event()

    def after_commit(session: Session) -> None:
        if session.info.pop(outbox.WRITTEN, False):
            loop.call_soon_threadsafe(wake.set)

    def after_rollback(session: Session) -> None:
        session.info.pop(outbox.WRITTEN, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)
    stopping = asyncio.Event()
    task = asyncio.create_task(_deliver_forever(worker, wake, stopping))
    try:
        yield
    finally:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_rollback", after_rollback)
        stopping.set()
        wake.set()
        await task  # the round in flight finishes: its thread cannot be cancelled
        worker.close()


async def _deliver_forever(worker: Worker, wake: asyncio.Event, stopping: asyncio.Event) -> None:
    """Deliver as long as there is work, else wait `notify_poll_seconds`; the time-based
    events are written every `notify_schedule_seconds` by one process of the store
    (`schedule_in_turn`; lead reminders by the SLA sweep).

    A round that did not fill a batch is followed by the next no sooner than
    `notify_round_seconds` after it began: under load a commit wakes the worker many times a
    second, and one round for each cost more CPU than the lead that woke it (100,000
    partners, 40 leads/s, 1 worker: 14.8 ms of CPU per lead, 9.2 ms without the worker).
    Returns between rounds once `stopping` is set."""
    settings, scheduled = worker.settings, float("-inf")
    while not stopping.is_set():
        began = time.monotonic()
        try:
            if began - scheduled >= settings.notify_schedule_seconds:
                scheduled = began
                await run_in_threadpool(
                    schedule_in_turn, worker.sessions, settings=settings, now=worker.clock()
                )
            report = await run_in_threadpool(worker.run_once)
        except Exception:  # a failed round is logged; the next one retries
            log.exception("notification round failed")
            report = RoundReport()
        if report.full:
            continue
        if not report.busy:
            await _until(wake, timeout=settings.notify_poll_seconds)
            wake.clear()
        await _until(stopping, timeout=began + settings.notify_round_seconds - time.monotonic())


async def _until(happened: asyncio.Event, *, timeout: float) -> None:
    """Wait until the event is set or `timeout` seconds have passed."""
    if timeout > 0:
        with suppress(TimeoutError):
            await asyncio.wait_for(happened.wait(), timeout=timeout)
