"""Prometheus metrics (prometheus-client): request counts and latency per route.

Routes are labelled by their template (`/v1/partners/{partner_id}`), never the raw path,
and methods by name only when HTTP defines them, so the number of series stays bounded:
requests no route matched share the route "unmatched", unknown methods the method "other".
"""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.access.deps import Role, allow

router = APIRouter(tags=["operations"])

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LABELS = ("method", "route", "status")


class RequestMetrics:
    """The request series of one app, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "partnermatch_http_requests",
            "HTTP requests by method, route and status.",
            _LABELS,
            registry=self.registry,
        )
        self._seconds = Histogram(
            "partnermatch_http_request_duration_seconds",
            "Time to answer a request.",
            _LABELS,
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def observe(self, *, method: str, route: str, status: int, elapsed: float) -> None:
        labels = (method if method in _METHODS else "other", route, str(status))
        self._requests.labels(*labels).inc()
        self._seconds.labels(*labels).observe(elapsed)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template and status."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe(
                method=scope["method"],
                route=getattr(scope.get("route"), "path", "unmatched"),
                status=status,
                elapsed=time.perf_counter() - started,
            )


def install_metrics(app: FastAPI) -> None:
    """Add the middleware and the /metrics route; the counters live in `app.state.metrics`."""
    app.state.metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(router)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[allow(Role.ADMIN, Role.MANAGER, Role.PARTNER)],
)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
