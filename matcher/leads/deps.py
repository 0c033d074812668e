"""Where a request finds a lead's candidates, with its process's ranking turn, as a dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.settings import Settings
from matcher.leads.ranking import Retrieval


async def get_retrieval(request: Request) -> Retrieval:
    """This process's index and geocoder, the configured territory tolerance, and the turn
    that lets `Settings.routing_concurrency` rankings run at once (made with the app).

    Read from the app's state rather than through the index, geocoder and settings
    dependencies: FastAPI walks a request's whole dependency tree anew on every request,
    cached dependencies included, and for a routed lead that walk was 46% of the event loop's
    CPU (yappi, PostgreSQL, one lead at a time)."""
    state = request.app.state
    settings: Settings = state.settings
    return Retrieval(
        state.index, state.geocoder, settings.lead_radius_tolerance_km, state.ranking_turn
    )


RetrievalDep = Annotated[Retrieval, Depends(get_retrieval)]
