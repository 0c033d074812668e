"""Request bodies are bounded in size and time: refused with 413 before they are read, or as
soon as they grow past the limit, and with 408 when they do not arrive in time; an API write
without any key is refused before its body is read."""

from __future__ import annotations

import asyncio
import time

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.error_handlers import envelope_response
from core.errors import Unauthorized

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
# The import takes NDJSON files; every other body is one JSON document.
_IMPORT_PATH = "/v1/partners/import"


class BodyLimitMiddleware:
    """413 (in the error envelope) for bodies over `max_bytes` (`max_import_bytes` for the
    import), judged by Content-Length before reading and by counting while reading; 408 once
    the request has waited `idle_seconds` for the next part of its body (a client that
    announced a body and sends nothing), or `timeout_seconds` in all (a client trickling
    one). Time the service spends on what already arrived does not count: an import processed
    batch by batch as it is read may take minutes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_import_bytes: int,
        timeout_seconds: float,
        idle_seconds: float,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes
        self.timeout_seconds = timeout_seconds
        self.idle_seconds = idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["path"].startswith("/v1/") and b"authorization" not in headers:
            await _unauthorized()(scope, receive, send)
            return
        limit = self.max_import_bytes if scope["path"] == _IMPORT_PATH else self.max_bytes
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        waited = 0.0  # time spent waiting for the client, not processing what it sent

        async def counted() -> Message:
            nonlocal received, waited
            started = time.monotonic()
            try:
                allowed = min(self.idle_seconds, self.timeout_seconds - waited)
                message = await asyncio.wait_for(receive(), allowed)
            except TimeoutError:
                raise HTTPException(408, "the request body did not arrive in time") from None
            waited += time.monotonic() - started
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, _message(limit))
            return message

        await self.app(scope, counted, send)


def _unauthorized() -> JSONResponse:
    error = Unauthorized("this request needs an API key: Authorization: Bearer <key>")
    return envelope_response(401, error.code, error.message, headers=error.headers)


def _too_large(limit: int) -> JSONResponse:
    return envelope_response(413, "payload_too_large", _message(limit))


def _message(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes"
