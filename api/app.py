"""The FastAPI application factory: settings, long-lived clients in the lifespan, routers."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import health
from api import keys as key_endpoints
from api.contract import DOCUMENTED_QUERY_ONLY, document_errors
from api.error_handlers import install_error_handlers
from api.limits import BodyLimitMiddleware
from api.malloc_arenas import limit_malloc_arenas
from api.metrics import install_metrics
from api.pages.install import install_pages
from api.ratelimit import RateLimitMiddleware
from api.runtime import runtime
from core.database import transaction
from core.settings import Settings
from indexing import endpoints as search_endpoints
from indexing import service as search_service
from indexing.public_views import PublicViews
from matcher.endpoints import router as matcher_router
from matcher.leads.sweep import background_sweeper
from matcher.leads.turn import RankingTurn
from matcher.notifications.worker import background_notifier
from profiles import endpoints as partner_endpoints
from scoring import endpoints as scoring_endpoints

# How long a thread may keep the GIL while another wants it (Python's default: 5 ms). On
# SQLite a request thread in a write transaction gives the GIL up in every SQL call and waited
# up to that long to get it back from a thread that was ranking, with the store's write lock
# held: 2 workers, 120 leads/s, p99 486 ms at 1 ms against 3.4 s at 5 ms (0.2 ms: worse again,
# the switches themselves cost). A networked store holds no lock of this process's; there the
# default is kept (with the notification round at 1 s, about 2.5% less CPU per routed lead
# on PostgreSQL, side by side in both orders, 75 leads/s each).
SQLITE_GIL_SWITCH_SECONDS = 0.001
NETWORKED_GIL_SWITCH_SECONDS = 0.005


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """Build the service; nothing is connected until the lifespan starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sys.setswitchinterval(
            SQLITE_GIL_SWITCH_SECONDS if settings.sqlite_store else NETWORKED_GIL_SWITCH_SECONDS
        )
        limit_malloc_arenas()  # before the request threads start
        with runtime(settings, poll=True) as opened:
            assert opened.index is not None  # runtime() opens one unless told not to
            app.state.engine = opened.engine
            app.state.sessionmaker = opened.sessions
            app.state.geocoder = opened.geocoder
            app.state.index = opened.index
            app.state.public_views = PublicViews()
            opened.index.subscribe(app.state.public_views.forget)
            if settings.in_process:  # an online geocoder is not asked anything at start
                with transaction(opened.sessions) as session:
                    search_service.warm_up(
                        session, opened.index, geocoder=opened.geocoder, now=app.state.clock()
                    )
            # What is loaded by now (the index, the gazetteer, the taxonomy, the modules)
            # lives as long as the process: out of the cyclic garbage collector's sight, a full
            # collection walks only what requests made since. Walking it all held the GIL for
            # tens of ms, with the store's write lock in the middle of a transaction: 2
            # workers, SQLite, 150 leads/s: p99 34-58 ms frozen, 105-408 ms not (5 runs each).
            gc.freeze()
            try:
                async with background_sweeper(app), background_notifier(app):
                    yield
            finally:
                gc.unfreeze()  # an app started again in this process (tests) starts clean

    app = FastAPIOffline(  # Swagger UI and ReDoc served from the package: /docs works offline
        static_url="/static/docs",
        title="partnermatch",
        version="0.1.0",
        summary="Partner directory search, lead routing and profile hygiene for PRM",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    # Ranking a lead is CPU work under this process's one GIL: rankings side by side only slow
    # each other and the one holding the store's write lock. 2 workers, SQLite, 150 leads/s:
    # p99 87 ms one at a time, 172 ms two at a time, 1.9 s unlimited. What it covers:
    # matcher.leads.turn.
    app.state.ranking_turn = RankingTurn(
        threading.BoundedSemaphore(settings.routing_concurrency), whole_plan=settings.in_process
    )
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
        timeout_seconds=settings.body_timeout_seconds,
        idle_seconds=settings.body_idle_seconds,
    )
    if settings.rate_limit != "off":
        proxies = frozenset(filter(None, (p.strip() for p in settings.trusted_proxies.split(","))))
        app.add_middleware(
            RateLimitMiddleware, per_second=settings.rate_limit, trusted_proxies=proxies
        )
    install_metrics(app)
    app.include_router(health.router)
    api_routers = (
        scoring_endpoints.router,  # before /v1/partners/{id}
        search_endpoints.router,  # before /v1/partners/{id}
        matcher_router,  # before the partners' and keys' routes: leads are matched sooner
        partner_endpoints.router,
        key_endpoints.router,
    )
    for router in api_routers:
        app.include_router(router, dependencies=[DOCUMENTED_QUERY_ONLY])
    install_pages(app, settings)
    document_errors(app)
    return app
