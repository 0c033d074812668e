"""Every query of the access domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, bindparam, or_, select, update
from sqlalchemy.orm import Session

from core.access.models import ApiKey
from core.database import table_of


def get_key(session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def key_by_hash(store: Session | Connection, key_hash: str) -> KeyFacts | None:
    """What a request needs of its key (id, role, partner_id, key_hash, last_used_at,
    revoked_at) as a row: loading the key through the ORM cost twice the CPU of the read."""
    return store.execute(_KEY_BY_HASH, {"key_hash": key_hash}).first()


_KEYS = table_of(ApiKey)
KeyFacts = Row[int, str, int | None, str, datetime | None, datetime | None]
# Every request with a key runs it: built once (building costs more than running it).
_KEY_BY_HASH = select(
    _KEYS.c.id,
    _KEYS.c.role,
    _KEYS.c.partner_id,
    _KEYS.c.key_hash,
    _KEYS.c.last_used_at,
    _KEYS.c.revoked_at,
).where(_KEYS.c.key_hash == bindparam("key_hash"))


def list_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def active_keys_named(session: Session, name: str) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
    return session.scalars(query).all()


def touch_key(session: Session, key_id: int, *, now: datetime, not_since: datetime) -> None:
    """Set last_used_at unless it is already newer than `not_since` (one write per interval,
    even when several processes see the same request burst)."""
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < not_since),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
