"""Store writes for index tests, through the same service calls (and transactions) as the API."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from geopy.geocoders.base import Geocoder
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from profiles import service
from profiles.geocoding import make_geocoder
from profiles.models import Partner
from profiles.schemas import PartnerCreate, PartnerUpdate
from tests.factories import partner_payload


@cache
def geocoder() -> Geocoder:
    return make_geocoder("offline", user_agent="partnermatch-tests")


def add(session: Session, *, now: datetime | None = None, **fields: Any) -> int:
    """A partner built from tests.factories.partner_payload(**fields), written through the
    profile service in the caller's transaction (not committed); its id."""
    data = PartnerCreate.model_validate(partner_payload(**fields))
    now = now or datetime.now(UTC)
    return service.create_partner(session, data, geocoder=geocoder(), now=now).id


def create(sessions: sessionmaker[Session], *, now: datetime | None = None, **fields: Any) -> int:
    """A committed partner built from tests.factories.partner_payload(**fields); its id."""
    with transaction(sessions) as session:
        return add(session, now=now, **fields)


def update(sessions: sessionmaker[Session], partner_id: int, **fields: Any) -> None:
    data = PartnerUpdate.model_validate(fields)
    with transaction(sessions) as session:
        service.update_partner(
            session,
            partner_id,
            data=data,
            expected_version=None,
            geocoder=geocoder(),
            now=datetime.now(UTC),
        )


def delete(sessions: sessionmaker[Session], partner_id: int) -> None:
    with transaction(sessions) as session:
        service.delete_partner(session, partner_id, expected_version=None, now=datetime.now(UTC))


def versions(sessions: sessionmaker[Session]) -> dict[int, int]:
    """{partner id: version} of every partner in the store."""
    with sessions() as session:
        return {
            pid: version for pid, version in session.execute(select(Partner.id, Partner.version))
        }
