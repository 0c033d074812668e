"""A real `partnermatch serve` process on a free loopback port, for tests of routing over HTTP
where only a separate server shows what a client sees."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from api.access import service
from api.access.models import Role
from api.database import transaction


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    engine: Engine, *, database_url: str, index_dir: Path, env: dict[str, str] | None = None
) -> Iterator[httpx.Client]:
    """An admin client of a fresh server on the store at `database_url`, until the block ends."""
    port = free_port()
    settings_env = {
        "PARTNERMATCH_DATABASE_URL": database_url,
        "PARTNERMATCH_INDEX_DIR": str(index_dir),
        "PARTNERMATCH_INDEX_POLL_SECONDS": "0.05",
        **(env or {}),
    }
    command = [str(Path(sys.executable).parent / "partnermatch"), "serve", "--port", str(port)]
    log = index_dir.parent / f"serve-{port}.log"  # a file: a full pipe would stall the server
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env={**os.environ, **settings_env}, stdout=output, stderr=output
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(server, base_url, log=log)
        with transaction(sessionmaker(engine)) as session:
            key = service.issue_key(
                session, name="served", role=Role.ADMIN, partner_id=None, now=datetime.now(UTC)
            )
        headers = {"Authorization": f"Bearer {key.secret}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_indexed(client: httpx.Client) -> None:
    """Until the server's index has applied every committed write (/readyz answers 200)."""
    deadline = time.monotonic() + 30
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError("the server's index did not catch up")
        time.sleep(0.05)


def _wait_healthy(server: subprocess.Popen[bytes], base_url: str, *, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"partnermatch serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError("partnermatch serve did not start")
