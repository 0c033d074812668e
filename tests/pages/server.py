"""A real `partnermatch serve` process on a free port with its own SQLite store and index
directory, and the HTTP helpers the page tests set their scene with (through the API)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

READY_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The running service, and an admin key to prepare data through its API."""

    url: str
    admin_key: str
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False)

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


def cli() -> str:
    found = shutil.which("partnermatch", path=str(Path(sys.executable).parent))
    assert found is not None, "the partnermatch command is not installed in this environment"
    return found


def start_server(workdir: Path) -> Server:
    """Migrate a fresh store, issue an admin key with the CLI, serve, and wait until ready."""
    env = {
        **os.environ,
        "PARTNERMATCH_DATABASE_URL": f"sqlite:///{workdir / 'pages.db'}",
        "PARTNERMATCH_INDEX_DIR": str(workdir / "index"),
        "PARTNERMATCH_INDEX_POLL_SECONDS": "0.1",
    }
    created = subprocess.run(
        [cli(), "keys", "create", "--role", "admin", "--name", "page-tests"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    admin_key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {(workdir / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return Server(url=url, admin_key=admin_key, process=process, env=env)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("partnermatch serve did not become ready")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def wait_indexed(server: Server) -> None:
    """Until the service's index has applied every write (readyz reports no lag)."""
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.url}/readyz", timeout=2).status_code != 200:
        assert time.monotonic() < deadline, "the index did not catch up"
        time.sleep(0.1)
