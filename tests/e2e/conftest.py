"""End-to-end fixtures: a store of each test's own and real `partnermatch serve` processes on it.

The store is SQLite, or a fresh PostgreSQL database when PARTNERMATCH_TEST_DATABASE_URL names a
server, exactly as for the rest of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.server import Server
from tests.e2e.stores import Store

ServerFactory = Callable[..., Server]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    created = Store(server_url=os.environ.get("PARTNERMATCH_TEST_DATABASE_URL"), directory=tmp_path)
    yield created
    created.drop()


@pytest.fixture
def start_server(store: Store, tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts `partnermatch serve` on the test's store (index under tmp_path unless told);
    every server started is killed after the test."""
    started: list[Server] = []

    def start(**settings: Any) -> Server:
        settings = {
            "database_url": store.url,
            "index_dir": tmp_path / "index",
            "rate_limit": "off",  # the loops call faster than a client is allowed to
            **settings,
        }
        server = Server(log_dir=tmp_path, **settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def admin(store: Store) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.admin_key()}"}


def client(server: Server, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)
