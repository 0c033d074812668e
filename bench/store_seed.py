"""Seed the SQL store fast: profiles.seed dicts written with Core bulk inserts.

Rows are written exactly as the import service would store them (same tables, one
change-log entry per partner), but in large executemany batches instead of per-partner ORM
flushes, so a million partners take minutes rather than hours.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from api.migrate import upgrade_database
from core.database import make_engine
from profiles.models import Certification, ChangeLogEntry, Location, Partner, PartnerSkill
from profiles.seed import generate_partners

CHUNK = 20_000


def open_seeded_store(url: str, *, count: int, seed: int) -> Engine:
    """The migrated store at `url`, seeded with `count` partners the first time."""
    engine = make_engine(url)
    upgrade_database(engine)
    if seeded_count(engine) == 0:
        started = time.perf_counter()
        seed_store(engine, count=count, seed=seed, today=datetime.now(UTC).date())
        print(f"seeded {count:,} partners in {time.perf_counter() - started:.0f} s")
    return engine


def skills_by_partner(connection: Connection, partner_ids: list[int]) -> dict[int, list[str]]:
    """The skill names of each of these partners (benchmarks build requests from them)."""
    skills: dict[int, list[str]] = {}
    query = select(PartnerSkill.partner_id, PartnerSkill.name).where(
        PartnerSkill.partner_id.in_(partner_ids)
    )
    for partner_id, name in connection.execute(query):
        skills.setdefault(partner_id, []).append(name)
    return skills


def seeded_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Partner)) or 0)


def seed_store(engine: Engine, *, count: int, seed: int, today: date) -> None:
    """Write `count` generated partners with ids 1..count (the store must be empty)."""
    partners = generate_partners(count, seed=seed, today=today)
    next_id = 1
    while chunk := list(islice(partners, CHUNK)):
        tables = _rows(chunk, first_id=next_id)
        with engine.begin() as connection:
            for table, rows in tables.items():
                if rows:
                    connection.execute(insert(table), rows)
        next_id += len(chunk)


def _rows(chunk: list[dict[str, Any]], *, first_id: int) -> dict[Any, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    tables: dict[Any, list[dict[str, Any]]] = {
        Partner.__table__: [],
        Location.__table__: [],
        PartnerSkill.__table__: [],
        Certification.__table__: [],
        ChangeLogEntry.__table__: [],
    }
    for partner_id, data in enumerate(chunk, start=first_id):
        for table, rows in zip(tables, _partner_rows(partner_id, data, now=now), strict=True):
            tables[table].extend(rows)
    return tables


def _partner_rows(
    partner_id: int, data: dict[str, Any], *, now: datetime
) -> Iterator[list[dict[str, Any]]]:
    updated = _timestamp(data.get("profile_updated_at")) or now
    yield [
        {
            "id": partner_id,
            "external_id": data.get("external_id"),
            "name": data["name"],
            "description": data.get("description", ""),
            "website": data.get("website"),
            "tier": data.get("tier", "registered"),
            "industries": data.get("industries", []),
            "products": data.get("products", []),
            "languages": data.get("languages", []),
            "max_open_leads": data.get("capacity", {}).get("max_open_leads", 10),
            "profile_updated_at": updated,
            "attested_at": _timestamp(data.get("attested_at")),
            "created_at": updated,
            "updated_at": updated,
            "version": 1,
        }
    ]
    yield [
        {"partner_id": partner_id, "position": position, **location}
        for position, location in enumerate(data["locations"])
    ]
    yield [
        {
            "partner_id": partner_id,
            "name": skill["name"],
            "level": skill.get("level", 3),
            "verified": skill.get("verified", False),
        }
        for skill in data.get("skills", [])
    ]
    yield [
        {
            "partner_id": partner_id,
            "position": position,
            "name": cert["name"],
            "issuer": cert.get("issuer"),
            "earned_at": date.fromisoformat(cert["earned_at"]),
            "expires_at": date.fromisoformat(cert["expires_at"])
            if cert.get("expires_at")
            else None,
        }
        for position, cert in enumerate(data.get("certifications", []))
    ]
    yield [{"partner_id": partner_id, "op": "upsert", "version": 1, "at": now}]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _timestamp(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
