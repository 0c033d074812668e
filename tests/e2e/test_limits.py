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
        request = (
            "POST /v1/partners HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: {admin['Authorization']}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            connection.sendall(request.encode())
            answer = _response(connection)
        assert answer.startswith("HTTP/1.1 408")
        assert '"request_timeout"' in answer
        assert time.monotonic() - started < 5


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
