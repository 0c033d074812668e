"""Where a request finds a lead's candidates, and its turn to route one, as dependencies."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from core.deps import GeocoderDep, SettingsDep
from indexing.endpoints import IndexDep
from matcher.leads.ranking import Retrieval


async def get_retrieval(index: IndexDep, geocoder: GeocoderDep, settings: SettingsDep) -> Retrieval:
    """This process's index and geocoder, and the configured territory tolerance."""
    return Retrieval(index, geocoder, settings.lead_radius_tolerance_km)


RetrievalDep = Annotated[Retrieval, Depends(get_retrieval)]


async def get_routing_gate(request: Request) -> threading.BoundedSemaphore:
    """Held while a lead is routed: `Settings.routing_concurrency` leads at a time."""
    return request.app.state.routing_gate  # type: ignore[no-any-return]


RoutingGateDep = Annotated[threading.BoundedSemaphore, Depends(get_routing_gate)]
