"""Every store query of the embedded index: bulk Core selects, no ORM objects.

Timestamps are read as float days since 1970-01-01 UTC ("epoch days") computed by the
database, and JSON lists as raw text parsed in one call per batch, so reading a million
partners stays a matter of seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from typing import cast as cast_type

import numpy as np
from sqlalchemy import Connection, Float, Text, cast, func, select
from sqlalchemy.sql import ColumnElement, Select

from profiles.models import Certification, Location, Partner, PartnerSkill
from profiles.schemas import TIERS

_TIER_CODES = {name: code for code, name in enumerate(TIERS)}
_JULIAN_DAY_OF_EPOCH = 2440587.5
_IN_CHUNK = 1000


@dataclass
class PartnerBatch:
    """Partners read from the store, sorted by id; child rows name their partner's row."""

    ids: np.ndarray  # int64
    tier: np.ndarray  # int8, index into profiles.schemas.TIERS
    max_open_leads: np.ndarray  # int32
    version: np.ndarray  # int32, the profile's version (checked against the store)
    updated_day: np.ndarray  # float64 epoch days of profile_updated_at
    attested_day: np.ndarray  # float64 epoch days of attested_at, NaN if never
    texts: list[str]  # name and description
    industries: list[list[str]]
    products: list[list[str]]
    languages: list[list[str]]
    skill_row: np.ndarray  # int64
    skill_name: list[str]
    skill_level: np.ndarray  # int8 1-5
    skill_verified: np.ndarray  # bool
    cert_row: np.ndarray  # int64
    cert_name: list[str]
    cert_expiry_day: np.ndarray  # float64 epoch days, +inf if it never expires
    office_row: np.ndarray  # int64, offices sorted by (row, position)
    office_lat: np.ndarray  # float64 degrees
    office_lon: np.ndarray  # float64 degrees
    office_radius_km: np.ndarray  # float64
    office_country: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def epoch_days(connection: Connection, column: Any) -> ColumnElement[Any]:
    """A timestamp or date column as float days since 1970-01-01 UTC, computed in SQL."""
    if connection.dialect.name == "sqlite":
        return func.julianday(column) - _JULIAN_DAY_OF_EPOCH
    return cast(func.extract("epoch", column), Float) / 86400.0


PartnerFilter = Callable[[Any], ColumnElement[bool]]


def iter_batches(connection: Connection, *, size: int = 50_000) -> Iterator[PartnerBatch]:
    """Every partner, in id order, `size` partners per batch."""
    after = 0
    while True:
        (ids,) = _rows(
            connection,
            select(Partner.id).where(Partner.id > after).order_by(Partner.id).limit(size),
            types=(np.int64,),
        )
        if not len(ids):
            return
        low, high = int(ids[0]), int(ids[-1])
        yield _load(connection, _id_between(low, high))
        after = high


def iter_partners(connection: Connection, ids: Sequence[int]) -> Iterator[PartnerBatch]:
    """The current state of the given partners; ids no longer in the store are absent."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        yield _load(connection, _id_in(chunk))


def _id_between(low: int, high: int) -> PartnerFilter:
    return lambda column: column.between(low, high)


def _id_in(ids: list[int]) -> PartnerFilter:
    return lambda column: column.in_(ids)


def _load(connection: Connection, where: PartnerFilter) -> PartnerBatch:
    """One batch; `where` selects partners given a partner-id column (of any table)."""
    head = _partner_columns(connection, where(Partner.id))
    ids = head["ids"]
    skills = _rows(
        connection,
        select(
            PartnerSkill.partner_id, PartnerSkill.name, PartnerSkill.level, PartnerSkill.verified
        ).where(where(PartnerSkill.partner_id)),
        types=(np.int64, object, np.int8, np.bool_),
    )
    certs = _rows(
        connection,
        select(
            Certification.partner_id,
            Certification.name,
            epoch_days(connection, Certification.expires_at),
        ).where(where(Certification.partner_id)),
        types=(np.int64, object, np.float64),
    )
    offices = _rows(
        connection,
        select(
            Location.partner_id,
            Location.lat,
            Location.lon,
            Location.service_radius_km,
            Location.country,
        )
        .where(where(Location.partner_id))
        .order_by(Location.partner_id, Location.position),
        types=(np.int64, np.float64, np.float64, np.float64, object),
    )
    expiry = certs[2]  # NULL (never expires) was read as NaN
    return PartnerBatch(
        **head,
        skill_row=_row_of(ids, skills[0]),
        skill_name=skills[1].tolist(),
        skill_level=skills[2],
        skill_verified=skills[3],
        cert_row=_row_of(ids, certs[0]),
        cert_name=certs[1].tolist(),
        cert_expiry_day=np.where(np.isnan(expiry), np.inf, expiry),
        office_row=_row_of(ids, offices[0]),
        office_lat=offices[1],
        office_lon=offices[2],
        office_radius_km=offices[3],
        office_country=[country or "" for country in offices[4].tolist()],
    )


def _partner_columns(connection: Connection, where: ColumnElement[bool]) -> dict[str, Any]:
    columns = _rows(
        connection,
        select(
            Partner.id,
            Partner.tier,
            Partner.max_open_leads,
            Partner.version,
            epoch_days(connection, Partner.profile_updated_at),
            epoch_days(connection, Partner.attested_at),
            Partner.name,
            Partner.description,
            cast(Partner.industries, Text),
            cast(Partner.products, Text),
            cast(Partner.languages, Text),
        )
        .where(where)
        .order_by(Partner.id),
        types=(np.int64, object, np.int32, np.int32, np.float64, np.float64, *[object] * 5),
    )
    ids, tiers, capacity, version, updated, attested, names, descriptions = columns[:8]
    return {
        "ids": ids,
        "tier": np.asarray([_TIER_CODES.get(tier, 0) for tier in tiers.tolist()], dtype=np.int8),
        "max_open_leads": capacity,
        "version": version,
        "updated_day": updated,
        "attested_day": attested,  # NULL (never attested) was read as NaN
        "texts": [f"{n} {d}" for n, d in zip(names.tolist(), descriptions.tolist(), strict=True)],
        "industries": _json_lists(columns[8].tolist()),
        "products": _json_lists(columns[9].tolist()),
        "languages": _json_lists(columns[10].tolist()),
    }


def _rows(
    connection: Connection, statement: Select[*tuple[Any, ...]], *, types: Sequence[Any]
) -> list[np.ndarray]:
    """The result as one numpy array per selected column, of the given `types`.

    Runs on the DBAPI cursor and converts its rows in C with `np.fromiter` (NULL becomes
    NaN in float columns): no SQLAlchemy row objects and no Python-level transposition,
    which is most of the time of a full load.
    """
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters = compiled.params
    if compiled.positiontup is not None:
        parameters = tuple(parameters[name] for name in compiled.positiontup)
    dtype = np.dtype([(f"c{i}", kind) for i, kind in enumerate(types)])
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, parameters)
        rows = cast_type(Iterable[tuple[Any, ...]], cursor)  # DB-API cursors iterate rows
        table = np.fromiter(rows, dtype=dtype)
    finally:
        cursor.close()
    return [np.ascontiguousarray(table[name]) for name in dtype.names or ()]


def _json_lists(texts: Sequence[str | None]) -> list[list[str]]:
    """Parse many JSON lists with one json.loads call."""
    return json.loads("[" + ",".join(text or "[]" for text in texts) + "]")


def _row_of(ids: np.ndarray, partner_ids: np.ndarray) -> np.ndarray:
    return np.searchsorted(ids, partner_ids).astype(np.int64)


def empty_batch() -> PartnerBatch:
    """A batch of no partners (the state of an index before its first build)."""
    no_ids = np.empty(0, dtype=np.int64)
    no_days = np.empty(0, dtype=np.float64)
    return PartnerBatch(
        ids=no_ids,
        tier=np.empty(0, dtype=np.int8),
        max_open_leads=np.empty(0, dtype=np.int32),
        version=np.empty(0, dtype=np.int32),
        updated_day=no_days,
        attested_day=no_days,
        texts=[],
        industries=[],
        products=[],
        languages=[],
        skill_row=no_ids,
        skill_name=[],
        skill_level=np.empty(0, dtype=np.int8),
        skill_verified=np.empty(0, dtype=bool),
        cert_row=no_ids,
        cert_name=[],
        cert_expiry_day=no_days,
        office_row=no_ids,
        office_lat=no_days,
        office_lon=no_days,
        office_radius_km=no_days,
        office_country=[],
    )
