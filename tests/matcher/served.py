"""A real `partnermatch serve` process on a free loopback port, for tests of routing over HTTP
where only a separate server shows what a client sees."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bench.server import Server
from core.access import service
from core.access.models import Role
from core.database import transaction


@contextmanager
def served(
    engine: Engine, *, database_url: str, index_dir: Path, **settings: object
) -> Iterator[httpx.Client]:
    """An admin client of a fresh server on the store at `database_url`, until the block ends;
    `settings` are further PARTNERMATCH_* settings by name (lead_radius_tolerance_km=5)."""
    server = Server(
        log_dir=index_dir.parent,
        database_url=database_url,
        index_dir=index_dir,
        index_poll_seconds=0.05,
        rate_limit="off",
        **settings,
    ).start()
    try:
        with transaction(sessionmaker(engine)) as session:
            key = service.issue_key(
                session, name="served", role=Role.ADMIN, partner_id=None, now=datetime.now(UTC)
            )
        headers = {"Authorization": f"Bearer {key.secret}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            yield client
    finally:
        server.stop()


def wait_indexed(client: httpx.Client) -> None:
    """Until the server's index has applied every committed write (/readyz answers 200)."""
    deadline = time.monotonic() + 30
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError("the server's index did not catch up")
        time.sleep(0.05)
