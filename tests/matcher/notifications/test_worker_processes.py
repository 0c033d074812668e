"""Real `partnermatch notify` processes on one store: two deliver every event exactly once,
and one killed mid-batch loses nothing once another takes over after its lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.receivers import WebhookReceiver
from core.database import transaction
from core.settings import Settings
from matcher.notifications import outbox
from tests.conftest import Clock

pytestmark = pytest.mark.e2e  # real partnermatch notify processes
SECRET = "whsec_processes_0123456789"
EVENTS = 120


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    started = WebhookReceiver(SECRET).start()
    yield started
    started.stop()


def write_events(client: TestClient, receiver: WebhookReceiver, *, clock: Clock) -> set[int]:
    """A subscription and EVENTS committed events for it; their ids."""
    response = client.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET})
    assert response.status_code == 201, response.text
    with transaction(client.app.state.sessionmaker) as session:  # type: ignore[attr-defined]
        for n in range(EVENTS):
            outbox.emit(
                session,
                kind="lead.offered",
                occurrence=f"bench:{n}",
                now=clock(),
                payload={"title": f"lead {n}"},
            )
    listed = client.get("/v1/notifications/events", params={"limit": 500}).json()["items"]
    return {event["id"] for event in listed}


def notify(settings: Settings, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    variables = {
        **os.environ,
        "PARTNERMATCH_DATABASE_URL": settings.database_url,
        "PARTNERMATCH_NOTIFY_POLL_SECONDS": "0.05",
        "PARTNERMATCH_NOTIFY_BATCH_SIZE": "10",
        **{f"PARTNERMATCH_{name.upper()}": value for name, value in env.items()},
    }
    log = (tmp_path / f"notify-{time.monotonic_ns()}.log").open("wb")
    command = [str(Path(sys.executable).with_name("partnermatch")), "notify", *args]
    return subprocess.Popen(command, env=variables, stdout=log, stderr=subprocess.STDOUT)


def wait_for(receiver: WebhookReceiver, *, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.received.events) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.received.events)} arrived"
        time.sleep(0.05)


class TestTwoProcesses:
    def test_two_notify_processes_deliver_each_event_once(
        self,
        client: TestClient,
        settings: Settings,
        receiver: WebhookReceiver,
        clock: Clock,
        tmp_path: Path,
    ) -> None:
        ids = write_events(client, receiver, clock=clock)
        receiver.received.delay_seconds = 0.01  # so that the two overlap
        workers = [notify(settings, tmp_path) for _ in range(2)]
        try:
            wait_for(receiver, count=EVENTS)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        assert set(receiver.received.events) == ids
        assert set(receiver.received.arrivals.values()) == {1}
        assert receiver.received.bad_signatures == 0

    def test_a_worker_killed_mid_batch_loses_nothing(
        self,
        client: TestClient,
        settings: Settings,
        receiver: WebhookReceiver,
        clock: Clock,
        tmp_path: Path,
    ) -> None:
        ids = write_events(client, receiver, clock=clock)
        receiver.received.delay_seconds = 0.03
        lease = {"notify_lease_seconds": "2", "notify_concurrency": "4"}
        victim = notify(settings, tmp_path, **lease)
        wait_for(receiver, count=25)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        assert len(receiver.received.events) < EVENTS, "finished before it was killed"

        time.sleep(2.1)  # the dead worker's lease on its batch runs out (real time)
        successor = notify(settings, tmp_path, "--once", **lease)
        assert successor.wait(timeout=120) == 0

        assert set(receiver.received.events) == ids
        repeated = sum(receiver.received.arrivals.values()) - len(ids)
        assert repeated <= 4  # at most those in flight when it died (at least once)
