"""API key behaviour: issue, authenticate, revoke. Keys are random; only their hash is kept.

Never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from core.access import repository
from core.access.models import ApiKey, Role
from core.access.repository import KeyFacts
from core.errors import InvalidInput, NotFound, Unauthorized

KEY_PREFIX = "pm_"
# last_used_at is informational: refreshing it at most this often keeps requests read-only.
TOUCH_INTERVAL = timedelta(minutes=1)
_SHOWN_PREFIX_LENGTH = 10
_MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the stored row and the secret, which exists nowhere else."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest; enough for 256-bit random keys (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(
    session: Session, *, name: str, role: Role, partner_id: int | None, now: datetime
) -> IssuedKey:
    """A new key; a partner key needs an existing partner, other roles must not name one."""
    _check_binding(session, role=role, partner_id=partner_id)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=role.value,
        partner_id=partner_id,
        key_hash=hash_secret(secret),
        prefix=secret[:_SHOWN_PREFIX_LENGTH],
        created_at=now,
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, secret=secret)


def authenticate(session: Session, secret: str, *, now: datetime) -> KeyFacts:
    """The live key behind `secret`, its last use recorded (at most once a minute)."""
    key = live_key(session, secret)
    if touch_due(key, now=now):
        touch(session, key, now=now)
    return key


def live_key(store: Session | Connection, secret: str) -> KeyFacts:
    """What a request needs of the key behind `secret` (`repository.key_by_hash`; a read
    only); Unauthorized when it is unknown or revoked."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > _MAX_KEY_LENGTH:
        raise Unauthorized("unknown API key")
    digest = hash_secret(secret)
    key = repository.key_by_hash(store, digest)
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        raise Unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise Unauthorized("this API key has been revoked")
    return key


def touch_due(key: KeyFacts, *, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL


def touch(session: Session, key: KeyFacts, *, now: datetime) -> None:
    """Record a use; a no-op when another request recorded one within the minute."""
    repository.touch_key(session, key.id, now=now, not_since=now - TOUCH_INTERVAL)


def list_keys(session: Session) -> Sequence[ApiKey]:
    return repository.list_keys(session)


def revoke_key(session: Session, key_id: int, *, now: datetime) -> ApiKey:
    """Revoke at once (every request looks the key up); revoking twice keeps the first time."""
    key = repository.get_key(session, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    key.revoked_at = key.revoked_at or now
    session.flush()
    return key


def renew_named_key(
    session: Session, *, name: str, role: Role, now: datetime, partner_id: int | None = None
) -> IssuedKey:
    """Revoke the live keys called `name` and issue a fresh one (a lost secret cannot be shown
    again, so re-using a key means replacing it)."""
    for key in repository.active_keys_named(session, name):
        key.revoked_at = now
    return issue_key(session, name=name, role=role, partner_id=partner_id, now=now)


def _check_binding(session: Session, *, role: Role, partner_id: int | None) -> None:
    if role is Role.PUBLIC:
        raise InvalidInput.field("role", "must be admin, manager or partner")
    if role is Role.PARTNER and partner_id is None:
        raise InvalidInput.field("partner_id", "a partner key needs the partner's id")
    if role is not Role.PARTNER and partner_id is not None:
        raise InvalidInput.field("partner_id", f"only a partner key names a partner, not {role}")
    if partner_id is not None and not _partner_exists(session, partner_id):
        raise InvalidInput.field("partner_id", f"partner {partner_id} does not exist")


def _partner_exists(session: Session, partner_id: int) -> bool:
    """Through the key's foreign key to the partners table, so the core needs no partner model."""
    (reference,) = ApiKey.__table__.c.partner_id.foreign_keys
    return (
        session.scalar(select(reference.column).where(reference.column == partner_id)) is not None
    )
