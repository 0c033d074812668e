"""Every query of the access domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from core.access.models import ApiKey


def get_key(session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(_KEY_BY_HASH, {"key_hash": key_hash})


# Every request with a key runs it: built once (building costs more than running it).
_KEY_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("key_hash"))


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
