"""Rate limits per client (the `limits` library, a moving window in this process's memory).

A client is its API key when it sends one, otherwise its address. Behind a reverse proxy the
address is taken from X-Forwarded-For, but only when the connection comes from a configured
trusted proxy: the nearest address in that header not itself a trusted proxy. With several
worker processes each keeps its own window, so a client may get up to workers x the limit.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItemPerSecond, storage, strategies
from starlette.types import ASGIApp, Receive, Scope, Send

from api.error_handlers import envelope_response

# Probes, scrapes and the pages' static assets are never limited.
_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
_EXEMPT_PREFIX = "/static/"


class RateLimitMiddleware:
    """429 in the error envelope, with Retry-After, past `per_second` requests of a client."""

    def __init__(self, app: ASGIApp, *, per_second: int, trusted_proxies: frozenset[str]) -> None:
        self.app = app
        self.item = RateLimitItemPerSecond(per_second)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in _EXEMPT or path.startswith(_EXEMPT_PREFIX):
            await self.app(scope, receive, send)
            return
        client = self._client(scope)
        if self.limiter.hit(self.item, client):
            await self.app(scope, receive, send)
            return
        reset = self.limiter.get_window_stats(self.item, client).reset_time
        retry_after = str(max(1, math.ceil(reset - time.time())))
        response = envelope_response(
            429,
            "rate_limited",
            f"more than {self.item.amount} requests per second; retry after {retry_after} s",
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)

    def _client(self, scope: Scope) -> str:
        headers = dict(scope["headers"])
        credentials = headers.get(b"authorization")
        if credentials:
            return "key:" + hashlib.sha256(credentials).hexdigest()[:32]
        address = scope["client"][0] if scope.get("client") else "unknown"
        if address in self.trusted_proxies and b"x-forwarded-for" in headers:
            hops = [hop.strip() for hop in headers[b"x-forwarded-for"].decode("latin-1").split(",")]
            address = next(
                (hop for hop in reversed(hops) if hop not in self.trusted_proxies), address
            )
        return "address:" + address
