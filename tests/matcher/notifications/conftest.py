"""Notification tests: the app with an SMTP server of its own, no background worker (each
test runs the worker's rounds itself, on the test clock), and a portal URL for links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from bench.receivers import SmtpServer
from core.settings import Settings
from matcher.notifications.worker import Worker
from tests.conftest import Clock

MANAGER = "channel.manager@vendor.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_from": "leads@vendor.example",
            "manager_emails": MANAGER,
            "public_url": "https://prm.example.com",
            "notify_in_serve": False,
        }
    )


@pytest.fixture
def worker(app: FastAPI, settings: Settings, clock: Clock, client: object) -> Iterator[Worker]:
    """The delivery worker on the app's store and clock (after the app has started)."""
    running = Worker(sessions=app.state.sessionmaker, settings=settings, clock=clock)
    yield running
    running.close()
