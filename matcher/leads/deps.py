"""Where a request finds a lead's candidates, as a request dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.deps import GeocoderDep, SettingsDep
from indexing.endpoints import IndexDep
from matcher.leads.ranking import Retrieval


async def get_retrieval(index: IndexDep, geocoder: GeocoderDep, settings: SettingsDep) -> Retrieval:
    """This process's index and geocoder, and the configured territory tolerance."""
    return Retrieval(index, geocoder, settings.lead_radius_tolerance_km)


RetrievalDep = Annotated[Retrieval, Depends(get_retrieval)]
