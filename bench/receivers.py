"""Real receivers at the edge of the outside world, for the notification tests and
benchmark: an SMTP server (aiosmtpd) and an HTTP webhook receiver that checks signatures and
de-duplicates by event id, both on free ports. Both note when each message arrived."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received; while `refusing`, every recipient gets a 451."""

    messages: list[EmailMessage] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)  # time.time() per message
    refusing: bool = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refusing:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        self.arrived_at.append(time.time())
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def verify(secret: str, header: str, body: bytes, *, tolerance_seconds: float = 300) -> bool:
    """A receiver's check of `X-Partnermatch-Signature: t=..,v1=..` (written from the docs)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(parts["t"])) <= tolerance_seconds
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


@dataclass
class Received:
    """Events a de-duplicating receiver took (by id), how often each came, bad signatures."""

    secret: str
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    arrivals: dict[int, int] = field(default_factory=dict)
    first_arrival: dict[int, float] = field(default_factory=dict)  # time.time() per event
    bad_signatures: int = 0
    failing: bool = False  # answer 500 while set
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class WebhookReceiver:
    """A real HTTP server on a free port; `stop()` takes it down (connection refused) and
    `start()` brings it back on the same port."""

    def __init__(self, secret: str) -> None:
        self.received = Received(secret=secret)
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if received.delay_seconds:
                    time.sleep(received.delay_seconds)
                if not verify(received.secret, self.headers["X-Partnermatch-Signature"], body):
                    with received.lock:
                        received.bad_signatures += 1
                    self.send_response(401)
                elif received.failing:
                    self.send_response(500)
                else:
                    event_id = int(self.headers["X-Partnermatch-Event-Id"])
                    with received.lock:
                        received.arrivals[event_id] = received.arrivals.get(event_id, 0) + 1
                        received.events.setdefault(event_id, json.loads(body))
                        received.first_arrival.setdefault(event_id, time.time())
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
