"""Lead events reach the partner's contacts by e-mail through a real SMTP server."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench.receivers import SmtpServer
from core.database import transaction
from matcher.notifications import outbox
from matcher.notifications.models import Delivery
from matcher.notifications.worker import Worker, run_until_idle
from tests.conftest import Clock
from tests.matcher.factories import accept, decline, post_lead, sweep_now
from tests.matcher.notifications.conftest import MANAGER
from tests.matcher.notifications.factories import kinds_of, partner_with_contacts


class TestOfferMail:
    def test_the_offered_partner_gets_a_mail_with_text_html_and_the_portal_link(
        self, client: TestClient, worker: Worker, smtp: SmtpServer
    ) -> None:
        partner = partner_with_contacts(client, slug="alpenwolke")
        lead = post_lead(client)
        assert lead["assigned_partner_id"] == partner

        report = run_until_idle(worker)

        assert report.sent == 1
        (mail,) = smtp.mailbox.to("leads@alpenwolke.example")
        assert "New lead for you" in mail["Subject"]
        assert mail["X-Partnermatch-Event-Id"]
        text = mail.get_body(preferencelist=("plain",)).get_content()
        html = mail.get_body(preferencelist=("html",)).get_content()
        link = f"https://prm.example.com/portal/leads/{lead['id']}"
        assert link in text and f'href="{link}"' in html
        assert "Brandt Maschinenbau" in text
        assert smtp.mailbox.to("profile@alpenwolke.example") == []  # not a profile matter

    def test_a_decline_tells_the_next_partner_and_the_lifecycle_is_in_the_outbox(
        self, client: TestClient, worker: Worker, smtp: SmtpServer
    ) -> None:
        first = partner_with_contacts(client, slug="first", aws_level=5)
        partner_with_contacts(client, slug="second", aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        assert lead["assigned_partner_id"] == first
        decline(client, lead["id"])
        accept(client, lead["id"])

        run_until_idle(worker)

        assert kinds_of(client, lead_id=lead["id"]) == [
            "lead.accepted",
            "lead.moved_on",
            "lead.offered",
            "lead.offered",
        ]
        assert len(smtp.mailbox.to("leads@first.example")) == 2  # offered, moved on
        assert sorted(m["Subject"] for m in smtp.mailbox.to("leads@second.example")) == [
            f"Lead {lead['title']} was accepted",
            f"New lead for you: {lead['title']}",
        ]

    def test_an_expired_offer_tells_the_partner_and_the_managers(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner_with_contacts(client, slug="slow")
        lead = post_lead(client)
        clock.advance(hours=49)
        assert sweep_now(client) == 1
        run_until_idle(worker)
        assert "lead.expired" in kinds_of(client, lead_id=lead["id"])
        assert any("expired" in m["Subject"] for m in smtp.mailbox.to("leads@slow.example"))
        assert any("needs a partner" in m["Subject"] for m in smtp.mailbox.to(MANAGER))

    def test_a_managers_assignment_tells_both_partners(
        self, client: TestClient, worker: Worker, smtp: SmtpServer
    ) -> None:
        first = partner_with_contacts(client, slug="was", aws_level=5)
        chosen = partner_with_contacts(client, slug="now", aws_level=3)
        lead = post_lead(client, params={"policy": "best"})
        assert lead["assigned_partner_id"] == first
        assigned = client.post(
            f"/v1/leads/{lead['id']}/assign", json={"partner_id": chosen, "reason": "key account"}
        )
        assert assigned.status_code == 200, assigned.text
        run_until_idle(worker)
        subjects = [m["Subject"] for m in smtp.mailbox.to("leads@was.example")]
        assert f"Lead {lead['title']} moved on" in subjects
        assert len(smtp.mailbox.to("leads@now.example")) == 1


class TestNothingLostNothingInvented:
    def test_a_rolled_back_transaction_sends_nothing(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner_with_contacts(client, slug="ghost")
        sessions = client.app.state.sessionmaker  # type: ignore[attr-defined]
        try:
            with transaction(sessions) as session:
                outbox.emit(
                    session,
                    kind="lead.offered",
                    occurrence="lead.offered:ghost",
                    now=clock(),
                    payload={"title": "never happened"},
                    partner_id=1,
                )
                raise RuntimeError("the change failed after writing its event")
        except RuntimeError:
            pass
        report = run_until_idle(worker)
        assert report.sent == 0 and smtp.mailbox.messages == []
        assert kinds_of(client) == []

    def test_a_refused_accept_writes_no_event(
        self, client: TestClient, worker: Worker, smtp: SmtpServer
    ) -> None:
        partner_with_contacts(client, slug="once")
        lead = post_lead(client)
        accept(client, lead["id"])
        assert client.post(f"/v1/leads/{lead['id']}/accept").status_code == 409
        assert kinds_of(client, lead_id=lead["id"]) == ["lead.accepted", "lead.offered"]

    def test_without_an_smtp_host_mail_waits_and_goes_out_once_one_is_set(
        self, client: TestClient, worker: Worker, smtp: SmtpServer
    ) -> None:
        partner_with_contacts(client, slug="patient")
        post_lead(client)
        unconfigured = Worker(
            sessions=worker.sessions,
            settings=worker.settings.model_copy(update={"smtp_host": None}),
            clock=worker.clock,
        )
        run_until_idle(unconfigured)
        unconfigured.close()
        assert smtp.mailbox.messages == []
        with transaction(worker.sessions) as session:
            assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        assert run_until_idle(worker).sent == 1
        assert len(smtp.mailbox.to("leads@patient.example")) == 1

    def test_a_refusing_smtp_server_gets_the_mail_when_it_accepts_again(
        self, client: TestClient, worker: Worker, smtp: SmtpServer, clock: Clock
    ) -> None:
        partner_with_contacts(client, slug="retry")
        post_lead(client)
        smtp.mailbox.refusing = True
        report = run_until_idle(worker)
        assert report.failed == 1 and smtp.mailbox.messages == []
        smtp.mailbox.refusing = False
        assert run_until_idle(worker).sent == 0  # not due yet: backoff, no busy loop
        clock.advance(minutes=2)
        assert run_until_idle(worker).sent == 1
        assert len(smtp.mailbox.to("leads@retry.example")) == 1
        with transaction(worker.sessions) as session:
            (delivery,) = session.scalars(select(Delivery)).all()
            assert (delivery.status, delivery.attempts) == ("sent", 2)
