"""Through a real `partnermatch serve`: the worker inside it e-mails the offered partner,
and the process stops cleanly with the worker running."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bench.receivers import SmtpServer
from bench.server import Server
from core.access.models import Role
from core.settings import Settings
from tests.core.access.factories import bearer, make_key
from tests.factories import partner_payload
from tests.matcher.factories import lead_payload
from tests.matcher.notifications.factories import contacts_of

pytestmark = pytest.mark.e2e  # real partnermatch serve processes


def test_serve_mails_the_offer_and_stops_cleanly(
    app: FastAPI, client: TestClient, settings: Settings, smtp: SmtpServer, tmp_path: Path
) -> None:
    headers = bearer(make_key(app, role=Role.MANAGER, name="serve-test"))
    server = Server(
        log_dir=tmp_path,
        database_url=settings.database_url,
        index_dir=tmp_path / "serve-index",
        rate_limit="off",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        public_url="https://prm.example.com",
    ).start()
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            created = http.post(
                "/v1/partners",
                json=partner_payload(contacts=contacts_of("served"), name="Served GmbH"),
            )
            assert created.status_code == 201, created.text
            lead = http.post("/v1/leads", json=lead_payload())
            assert lead.json()["status"] == "offered"
        deadline = time.monotonic() + 30
        while not smtp.mailbox.to("leads@served.example"):
            assert time.monotonic() < deadline, "no e-mail from the worker inside serve"
            time.sleep(0.05)
        (mail,) = smtp.mailbox.to("leads@served.example")
        assert f"/portal/leads/{lead.json()['id']}" in mail.get_body(("plain",)).get_content()
    finally:
        server.stop()  # SIGTERM; waits for the exit (at most 60 s)
    (log,) = tmp_path.glob("serve-*.log")
    text = log.read_text()
    assert "Application shutdown complete" in text and "Traceback" not in text
