"""Idempotent lead creation: the same key and body replay the first response, nothing is
created twice; the same key with another body is refused. Keys live `idempotency_ttl_hours`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput
from matcher.leads import repository
from matcher.leads.models import IdempotencyKey

HEADER = "Idempotency-Key"


def request_hash(request: dict[str, Any]) -> str:
    """A digest of the validated request, independent of key order and whitespace."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_response(
    session: Session, *, key: str, digest: str, now: datetime
) -> IdempotencyKey | None:
    """The first response given for `key`, None for a new (or lapsed) key; 422 when the key
    was used with a different request."""
    stored = repository.get_idempotency_key(session, key)
    if stored is None:
        return None
    if stored.expires_at <= now:
        session.delete(stored)
        session.flush()
        return None
    if stored.request_hash != digest:
        raise InvalidInput.field(HEADER, "was already used with a different request body")
    return stored


def remember(
    session: Session,
    *,
    key: str,
    digest: str,
    status_code: int,
    response: dict[str, Any],
    now: datetime,
    ttl_hours: float,
) -> None:
    """Store the response with the lead in one transaction; a concurrent request with the
    same key loses on the primary key and is rolled back whole (409, retry to replay)."""
    session.add(
        IdempotencyKey(
            key=key,
            request_hash=digest,
            status_code=status_code,
            response=response,
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a request with this {HEADER} is in progress; retry it") from exc
