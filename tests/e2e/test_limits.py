"""Bounded requests, over real sockets: a body that never arrives does not hold a worker; an
import that takes long to process is not mistaken for one."""

from __future__ import annotations

import json
import socket
import time

from tests.e2e.conftest import ServerFactory, client
from tests.factories import partner_payload


class TestSlowBody:
    def test_a_body_that_never_arrives_is_a_408_within_the_timeout(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        server = start_server(body_timeout_seconds=1)
        answer, took = _send_slowly(server.port, admin, parts=["{"], pause=0)
        assert answer.startswith("HTTP/1.1 408")
        assert '"request_timeout"' in answer
        assert took < 5

    def test_a_body_that_stops_arriving_is_a_408_after_the_idle_time(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        server = start_server(body_idle_seconds=1)  # the whole body may take 30 s
        answer, took = _send_slowly(server.port, admin, parts=["{"], pause=0)
        assert answer.startswith("HTTP/1.1 408")
        assert took < 5

    def test_a_body_that_keeps_arriving_slowly_is_read(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        server = start_server(body_idle_seconds=1)
        body = json.dumps(partner_payload(name="Slow Upload GmbH"))
        parts = [body[n : n + len(body) // 4 + 1] for n in range(0, len(body), len(body) // 4 + 1)]
        answer, took = _send_slowly(server.port, admin, parts=parts, pause=0.6, length=len(body))
        assert answer.startswith("HTTP/1.1 201"), answer
        assert took > 1.2  # longer than the idle time in all, never that long between parts


class TestLongImport:
    def test_an_import_processed_longer_than_the_body_timeout_is_not_cut_off(
        self, start_server: ServerFactory, admin: dict[str, str]
    ) -> None:
        server = start_server(body_timeout_seconds=1, import_batch_size=1)
        lines = [json.dumps(partner_payload(external_id=f"LONG-{n}")) for n in range(300)]
        started = time.monotonic()
        response = client(server, admin).post(
            "/v1/partners/import",
            content="\n".join(lines).encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert time.monotonic() - started > 1, "the import must outlast the body timeout"
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 300


def _send_slowly(
    port: int, admin: dict[str, str], *, parts: list[str], pause: float, length: int = 1000
) -> tuple[str, float]:
    """POST /v1/partners announcing `length` bytes and sending `parts` `pause` s apart: the
    response, and the seconds until it came."""
    head = (
        "POST /v1/partners HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {admin['Authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head.encode())
        for part in parts:
            time.sleep(pause)
            connection.sendall(part.encode())
        return _response(connection), time.monotonic() - started


def _response(connection: socket.socket) -> str:
    """One whole HTTP response (head and Content-Length body) as text."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()
