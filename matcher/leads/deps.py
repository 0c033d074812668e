"""Where a request finds a lead's candidates, with its process's ranking turn, as a dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.deps import GeocoderDep, SettingsDep
from indexing.endpoints import IndexDep
from matcher.leads.ranking import Retrieval
from matcher.leads.turn import RankingTurn


async def get_retrieval(
    request: Request, index: IndexDep, geocoder: GeocoderDep, settings: SettingsDep
) -> Retrieval:
    """This process's index and geocoder, the configured territory tolerance, and the turn
    that lets `Settings.routing_concurrency` rankings run at once (made with the app)."""
    turn: RankingTurn = request.app.state.ranking_turn
    return Retrieval(index, geocoder, settings.lead_radius_tolerance_km, turn)


RetrievalDep = Annotated[Retrieval, Depends(get_retrieval)]
