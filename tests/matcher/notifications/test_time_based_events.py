"""Time-based events on the injected clock: lead reminders, profile due/stale reminders,
expiring reservations; each happening is one event however often the step runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from bench.receivers import SmtpServer
from matcher.notifications.schedule import schedule, schedule_in_turn
from matcher.notifications.worker import Worker, run_until_idle
from tests.conftest import Clock
from tests.matcher.factories import create_account, in_days, post_lead, reserve, sweep_now
from tests.matcher.notifications.conftest import MANAGER
from tests.matcher.notifications.factories import kinds_of, partner_with_contacts


@contextmanager
def _statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements the store executes inside the block."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    executed: list[str] = []

    def record(*args: Any) -> None:
        executed.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", record)


def run_schedule(client: TestClient) -> int:
    app = client.app
    return schedule(app.state.sessionmaker, settings=app.state.settings, now=app.state.clock())  # type: ignore[attr-defined]


def run_in_turn(client: TestClient, *, every_hours: float) -> int:
    """One process's timer firing: `schedule_in_turn` with passes `every_hours` apart."""
    app = client.app
    settings = app.state.settings.model_copy(update={"notify_schedule_seconds": every_hours * 3600})  # type: ignore[attr-defined]
    return schedule_in_turn(app.state.sessionmaker, settings=settings, now=app.state.clock())  # type: ignore[attr-defined]


class TestOnePassPerInterval:
    def test_a_pass_begun_within_the_interval_is_not_run_again(
        self, client: TestClient, clock: Clock
    ) -> None:
        clock.advance(hours=(36 - clock.now.hour) % 24)  # noon: the next hours stay on one day
        partner = partner_with_contacts(client, slug="dusty")
        clock.advance(days=150, minutes=-30)
        assert run_in_turn(client, every_hours=2) == 0  # a pass, half an hour before it is due
        clock.advance(hours=1)
        with _statements(client) as executed:
            assert run_in_turn(client, every_hours=2) == 0  # another worker, an hour later
        assert not [s for s in executed if "FROM partners" in s], "a pass ran out of turn"
        assert kinds_of(client, partner_id=partner) == []
        clock.advance(hours=1)
        assert run_in_turn(client, every_hours=2) == 1  # two hours after the last pass began
        assert kinds_of(client, partner_id=partner) == ["profile.due"]

    def test_a_clock_set_back_behind_the_last_pass_runs_one(
        self, client: TestClient, clock: Clock
    ) -> None:
        clock.advance(hours=(36 - clock.now.hour) % 24)
        partner = partner_with_contacts(client, slug="dusty")
        clock.advance(days=151)
        assert run_in_turn(client, every_hours=2) == 0  # a day late: no longer due on this day
        clock.advance(days=-1)
        assert run_in_turn(client, every_hours=2) == 1  # due on this day
        assert kinds_of(client, partner_id=partner) == ["profile.due"]


class TestLeadReminder:
    def test_one_reminder_when_the_deadline_is_near(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner_with_contacts(client, slug="forgetful")
        lead = post_lead(client)
        sweep_now(client)
        assert kinds_of(client, kind="lead.reminder") == []
        clock.advance(hours=37)  # 11 hours left of 48, reminders start 12 hours before
        sweep_now(client)
        sweep_now(client)
        clock.advance(hours=1)
        sweep_now(client)
        assert kinds_of(client, kind="lead.reminder", lead_id=lead["id"]) == ["lead.reminder"]
        run_until_idle(worker)
        subjects = [m["Subject"] for m in smtp.mailbox.to("leads@forgetful.example")]
        assert sum("Reminder: accept or decline" in s for s in subjects) == 1


class TestProfileReminders:
    def test_due_on_the_day_then_weekly_until_attested(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner = partner_with_contacts(client, slug="dusty")
        clock.advance(days=149)
        assert run_schedule(client) == 0
        clock.advance(days=1)
        assert run_schedule(client) == 1
        assert run_schedule(client) == 0  # the same day again: nothing new
        clock.advance(days=1)
        assert run_schedule(client) == 0
        clock.advance(days=6)
        assert run_schedule(client) == 1  # a week after it became due
        assert kinds_of(client, partner_id=partner) == ["profile.due", "profile.due"]
        with _statements(client) as executed:
            assert run_schedule(client) == 0
        assert not [s for s in executed if s.lstrip().upper().startswith("INSERT")], (
            "a pass that finds every event recorded must not write (SQLite's write lock)"
        )

        run_until_idle(worker)
        mails = smtp.mailbox.to("profile@dusty.example")
        assert len(mails) == 2 and "confirm your partner profile" in mails[0]["Subject"]
        text = mails[0].get_body(preferencelist=("plain",)).get_content()
        assert "https://prm.example.com/portal/profile" in text

        assert client.post(f"/v1/partners/{partner}/attest").status_code == 200
        clock.advance(days=7)
        assert run_schedule(client) == 0

    def test_stale_on_the_day_tells_the_partner_and_the_managers(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner = partner_with_contacts(client, slug="stale")
        clock.advance(days=180)
        assert run_schedule(client) == 1
        assert kinds_of(client, partner_id=partner) == ["profile.stale"]
        run_until_idle(worker)
        assert any("stale" in m["Subject"] for m in smtp.mailbox.to("profile@stale.example"))
        assert any("stale" in m["Subject"] for m in smtp.mailbox.to(MANAGER))


class TestReservationExpiring:
    def test_once_within_the_warning_window(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner = partner_with_contacts(client, slug="holder")
        account = create_account(client, name="Initech", domain="initech.com")
        reserve(client, account["id"], partner_id=partner, until=in_days(clock(), 10))
        assert run_schedule(client) == 0
        clock.advance(days=4)
        assert run_schedule(client) == 1
        clock.advance(days=1)
        assert run_schedule(client) == 0
        run_until_idle(worker)
        subjects = [m["Subject"] for m in smtp.mailbox.to(MANAGER)]
        assert "The reservation of Initech is about to expire" in subjects
