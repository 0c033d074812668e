"""What a process needs to serve: settings, the migrated store, the geocoder and the index.

The app's lifespan and every CLI command open it the same way and close it the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from geopy.geocoders.base import Geocoder
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.migrate import upgrade_database
from core.database import make_engine, make_sessionmaker
from core.settings import Settings
from indexing.factory import open_index
from indexing.protocol import PartnerIndex
from profiles.geocoding import gazetteer, make_geocoder


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    geocoder: Geocoder
    index: PartnerIndex | None


@contextmanager
def runtime(
    settings: Settings, *, with_index: bool = True, poll: bool = False
) -> Iterator[Runtime]:
    """Migrate and open everything; with `poll` the index follows the change log by itself."""
    engine = make_engine(settings.database_url)
    index: PartnerIndex | None = None
    try:
        upgrade_database(engine)
        if with_index:
            index = open_index(settings, engine, poll=poll)
            gazetteer()  # what the first search with `near` needs, loaded before serving
        yield Runtime(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            geocoder=make_geocoder(settings.geocoder, user_agent=settings.geocoder_user_agent),
            index=index,
        )
    finally:
        if index is not None:
            index.close()
        engine.dispose()
