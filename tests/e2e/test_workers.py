"""`partnermatch serve --workers 2`: one port, one index snapshot mapped by both workers; each
worker answers its own connection's writes at once, and the other converges by the change log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bench.server import STARTED, Server
from tests.e2e.conftest import ServerFactory, client
from tests.e2e.stores import Store
from tests.factories import partner_payload
from tests.indexing.factories import add_partner

POLL_SECONDS = 5  # long enough to find the other worker before it catches up
CONNECTIONS = 16
ROUNDS = 5
PRESENT = "Warm-up Consulting GmbH"  # the partner in the store before the server starts


@pytest.fixture(params=[False, True], ids=["socket-per-worker", "shared-socket"])
def any_two_workers(
    request: pytest.FixtureRequest, start_server: ServerFactory, store: Store
) -> Server:
    """Two workers with a socket each (the default) or one shared socket."""
    return _two_workers(start_server, store, shared_socket=request.param)


@pytest.fixture
def two_workers(start_server: ServerFactory, store: Store) -> Server:
    """Two workers with a socket each, under partnermatch's own supervisor."""
    return _two_workers(start_server, store, shared_socket=False)


def _two_workers(start_server: ServerFactory, store: Store, *, shared_socket: bool) -> Server:
    """On a store with a partner (an empty store has no snapshot to share)."""
    add_partner(store.engine, name=PRESENT, now=datetime.now(UTC))
    return start_server(workers=2, shared_socket=shared_socket, index_poll_seconds=POLL_SECONDS)


def _finds(connection: httpx.Client, name: str) -> bool:
    response = connection.get("/v1/partners/search", params={"q": name})
    assert response.status_code == 200, response.text
    return any(item["name"] == name for item in response.json()["items"])


class TestTwoWorkers:
    def test_one_snapshot_mapped_reads_your_writes_and_the_other_worker_converges(
        self, any_two_workers: Server, admin: dict[str, str]
    ) -> None:
        two_workers = any_two_workers
        workers = two_workers.processes()
        assert len(workers) == 2
        assert _mapped_snapshot(workers[0]) and _mapped_snapshot(workers[0]) == _mapped_snapshot(
            workers[1]
        )

        # connections opened together are spread over the workers (each keeps its worker) as
        # the kernel hands them out, not evenly: rounds with fresh connections until one of
        # them is on the worker that has not caught up with that round's write yet
        for round_ in range(ROUNDS):
            connections = [client(two_workers, admin) for _ in range(CONNECTIONS)]
            with ThreadPoolExecutor(CONNECTIONS) as pool:
                list(pool.map(lambda connection: _finds(connection, PRESENT), connections))

            name = f"Workerstadt Cloud {round_} GmbH"
            writer = connections[0]
            payload = partner_payload(external_id=f"W-{round_}", name=name)
            created = writer.post("/v1/partners", json=payload)
            written = time.monotonic()
            assert created.status_code == 201, created.text
            assert _finds(writer, name)  # read-your-writes, no waiting

            behind = [connection for connection in connections[1:] if not _finds(connection, name)]
            if behind:
                break
        assert behind, "no connection reached the other worker before it caught up"
        while not all(_finds(connection, name) for connection in behind):
            assert time.monotonic() - written < POLL_SECONDS + 10, (
                "the other worker never caught up"
            )
            time.sleep(0.2)


class TestSupervisor:
    def test_a_worker_that_dies_is_replaced_and_its_waiting_connections_are_answered(
        self, two_workers: Server, admin: dict[str, str]
    ) -> None:
        killed, kept = two_workers.processes()

        def find_on_a_new_connection() -> bool:
            with client(two_workers, admin) as connection:
                return _finds(connection, PRESENT)

        os.kill(killed, signal.SIGSTOP)  # its socket still takes connections, into its queue
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            found = [pool.submit(find_on_a_new_connection) for _ in range(CONNECTIONS)]
            time.sleep(1)
            assert not all(future.done() for future in found), "no connection reached it"
            os.kill(killed, signal.SIGKILL)
            assert all(future.result() for future in found)  # the replacement answered them

        replaced = two_workers.processes()
        assert two_workers.log().count(STARTED) == 3  # the two first workers and the new one
        assert kept in replaced and killed not in replaced and len(replaced) == 2

    def test_a_second_server_on_the_same_port_is_refused(
        self, two_workers: Server, store: Store, admin: dict[str, str]
    ) -> None:
        command = [Path(sys.executable).with_name("partnermatch"), "serve", "--workers", "2"]
        second = subprocess.run(
            [*command, "--host", "127.0.0.1", "--port", str(two_workers.port)],
            env={**os.environ, "PARTNERMATCH_DATABASE_URL": store.url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "Address already in use" in second.stdout
        with client(two_workers, admin) as connection:
            assert _finds(connection, PRESENT)

    def test_sigterm_stops_every_worker(self, two_workers: Server) -> None:
        workers = two_workers.processes()
        two_workers.stop()
        _wait_until_gone(workers)

    def test_workers_stop_when_their_server_is_killed(self, two_workers: Server) -> None:
        workers = two_workers.processes()
        os.kill(two_workers.pid, signal.SIGKILL)  # the server alone: no signal for the workers
        _wait_until_gone(workers)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{two_workers.url}/readyz")


def _wait_until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        assert time.monotonic() < deadline, "a worker outlived its server"
        time.sleep(0.1)


def _mapped_snapshot(pid: int) -> set[str]:
    """The index snapshot files the process has memory-mapped."""
    paths = {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()}
    return {path for path in paths if path.endswith("snapshot.joblib")}
