"""An import replaces known partners in bulk; one changed since the import read it fails the
batch instead of being overwritten. In a transaction rolled back after each test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from profiles import repository, service
from profiles.rows import NewPartner, new_partner
from profiles.schemas import PartnerImport
from tests.factories import partner_payload
from tests.indexing.writes import add, geocoder

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def stored(session: Session, external_id: str) -> int:
    partner_id = add(session, now=NOW, external_id=external_id)
    session.commit()
    return partner_id


def record(external_id: str, name: str, *, version: int) -> NewPartner:
    line = PartnerImport.model_validate(partner_payload(external_id=external_id, name=name))
    new = new_partner(line, geocoder=geocoder(), now=NOW)
    new.columns["version"] = version
    return new


def test_known_partners_are_replaced_with_their_next_version(session: Session) -> None:
    ids = [stored(session, "A"), stored(session, "B")]
    known = repository.known_by_external_id(session, ["A", "B", "unknown"])
    assert set(known) == {"A", "B"}

    repository.replace_partners(
        session, [(known[e], record(e, f"Renamed {e}", version=2)) for e in ("A", "B")]
    )
    session.commit()

    session.expire_all()
    partners = [service.get_partner(session, partner_id) for partner_id in ids]
    assert [(p.name, p.version) for p in partners] == [("Renamed A", 2), ("Renamed B", 2)]


def test_a_partner_changed_since_it_was_read_fails_the_batch(session: Session) -> None:
    stored(session, "A")
    stored(session, "B")
    known = repository.known_by_external_id(session, ["A", "B"])
    outdated = replace(known["B"], version=known["B"].version - 1)  # another write came first

    with pytest.raises(StaleDataError):
        repository.replace_partners(
            session,
            [
                (known["A"], record("A", "Renamed A", version=2)),
                (outdated, record("B", "X", version=1)),
            ],
        )
