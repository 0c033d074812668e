"""Prometheus text metrics: request counts and latency per route, kept by a small ASGI middleware.

Routes are labelled by their template (`/v1/partners/{partner_id}`), never the raw path, so
the number of series stays bounded; requests no route matched share the label "unmatched".
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access.deps import Role, allow

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"

router = APIRouter(tags=["operations"])

_Series = tuple[str, str, str]  # method, route template, status


@dataclass
class RequestMetrics:
    """Counters of one app. Only touched on the event loop, so no lock is needed."""

    counts: defaultdict[_Series, int] = field(default_factory=lambda: defaultdict(int))
    seconds: defaultdict[_Series, float] = field(default_factory=lambda: defaultdict(float))

    def observe(self, series: _Series, *, elapsed: float) -> None:
        self.counts[series] += 1
        self.seconds[series] += elapsed

    def render(self) -> str:
        lines = [
            "# HELP partnermatch_http_requests_total HTTP requests by method, route and status.",
            "# TYPE partnermatch_http_requests_total counter",
            *(f"partnermatch_http_requests_total{_labels(s)} {n}" for s, n in self.counts.items()),
            "# HELP partnermatch_http_request_duration_seconds Time to answer a request.",
            "# TYPE partnermatch_http_request_duration_seconds summary",
        ]
        for series, count in self.counts.items():
            name = "partnermatch_http_request_duration_seconds"
            lines.append(f"{name}_sum{_labels(series)} {self.seconds[series]:.6f}")
            lines.append(f"{name}_count{_labels(series)} {count}")
        return "\n".join(lines) + "\n"


def _labels(series: _Series) -> str:
    method, route, status = (_escape(value) for value in series)
    return f'{{method="{method}",route="{route}",status="{status}"}}'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


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
            route = getattr(scope.get("route"), "path", "unmatched")
            series = (scope["method"], route, str(status))
            self.metrics.observe(series, elapsed=time.perf_counter() - started)


def install_metrics(app: FastAPI) -> None:
    """Add the middleware and the /metrics route; the counters live in `app.state.metrics`."""
    app.state.metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(router)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    dependencies=[allow(Role.ADMIN, Role.MANAGER, Role.PARTNER)],
)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text exposition; async so it reads the counters on the loop that writes them."""
    text = request.app.state.metrics.render()
    return PlainTextResponse(text, media_type=PROMETHEUS_TEXT)
