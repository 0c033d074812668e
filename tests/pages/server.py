"""A real `partnermatch serve` process on a free port with its own SQLite store and index
directory, and the HTTP helpers the page tests set their scene with (through the API)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from api.migrate import upgrade_database
from bench.server import Server as Serve
from core.access.models import Role
from core.access.service import issue_key
from core.database import make_engine, make_sessionmaker, transaction


@dataclass
class Server:
    """The running service, and an admin key to prepare data through its API."""

    url: str
    admin_key: str
    process: Serve = field(repr=False)

    def api(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        with self.api(key) as client:
            response = client.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def partner_key(self, partner_id: int) -> str:
        body = {"name": f"portal {partner_id}", "role": "partner", "partner_id": partner_id}
        return str(self.post("/v1/keys", body)["key"])

    def manager_key(self) -> str:
        return str(self.post("/v1/keys", {"name": "console", "role": "manager"})["key"])


def start_server(workdir: Path) -> Server:
    """Migrate a fresh store, issue an admin key, serve, and wait until ready."""
    url = f"sqlite:///{workdir / 'pages.db'}"
    store = make_engine(url)
    upgrade_database(store)
    with transaction(make_sessionmaker(store)) as session:
        admin = issue_key(
            session, name="page-tests", role=Role.ADMIN, partner_id=None, now=datetime.now(UTC)
        )
    store.dispose()
    process = Serve(
        log_dir=workdir,
        database_url=url,
        index_dir=workdir / "index",
        index_poll_seconds=0.1,
        rate_limit="off",  # the tests set their scene faster than a visitor clicks
    ).start()
    return Server(url=process.url, admin_key=admin.secret, process=process)


def stop_server(server: Server) -> None:
    server.process.stop()


def wait_indexed(server: Server) -> None:
    """Until the service's index has applied every write (readyz reports no lag)."""
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.url}/readyz", timeout=2).status_code != 200:
        assert time.monotonic() < deadline, "the index did not catch up"
        time.sleep(0.1)
