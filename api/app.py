"""The FastAPI application factory: settings, long-lived clients in the lifespan, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from api import health
from api.database import make_engine, make_sessionmaker, upgrade_database
from api.error_handlers import install_error_handlers
from api.settings import Settings
from profiles import endpoints as partner_endpoints
from profiles.geocoding import make_geocoder


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """Build the service; nothing is connected until the lifespan starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        upgrade_database(engine)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.geocoder = make_geocoder(
            settings.geocoder, user_agent=settings.geocoder_user_agent
        )
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="partnermatch",
        version="0.1.0",
        summary="Partner directory search, lead routing and profile hygiene for PRM",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(partner_endpoints.router)
    return app
