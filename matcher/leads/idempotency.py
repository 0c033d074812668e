"""Idempotent lead creation: the same key and body replay the first response, nothing is
created twice; the same key with another body is refused. Keys live `idempotency_ttl_hours`.

Routes take it as a dependency (`IdempotencyDep`): `replay` answers a retried request,
`respond` remembers the first answer in the request's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.deps import NowDep, SessionDep
from core.errors import Conflict, InvalidInput
from core.settings import Settings
from matcher.leads import repository
from matcher.leads.repository import StoredResponse

HEADER = "Idempotency-Key"


def request_hash(request: dict[str, Any]) -> str:
    """A digest of the validated request, independent of key order and whitespace."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_response(
    session: Session, *, key: str, digest: str, now: datetime
) -> StoredResponse | None:
    """The first response given for `key`, None for a new (or lapsed) key; 422 when the key
    was used with a different request."""
    stored = repository.stored_response(session, key)
    if stored is None:
        return None
    if stored.expires_at <= now:
        repository.forget_response(session, key)
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
    try:
        repository.remember_response(
            session,
            key=key,
            request_hash=digest,
            status_code=status_code,
            response=response,
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    except IntegrityError as exc:
        raise Conflict(f"a request with this {HEADER} is in progress; retry it") from exc


KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creation: the same key and body return the first response",
    ),
]


@dataclass
class Idempotency:
    """A request's Idempotency-Key (or none) with the request's session."""

    key: str | None
    session: Session
    now: datetime
    ttl_hours: float
    digest: str = ""

    def replay(
        self, request: dict[str, Any], *, location: Callable[[dict[str, Any]], str]
    ) -> JSONResponse | None:
        """The first response again when this key was used with this request; None when the
        request is new (or has no key). `location` names the created resource of a body."""
        if self.key is None:
            return None
        self.digest = request_hash(request)
        stored = stored_response(self.session, key=self.key, digest=self.digest, now=self.now)
        if stored is None:
            return None
        headers = {"Idempotent-Replayed": "true", "Location": location(stored.response)}
        return JSONResponse(stored.response, status_code=stored.status_code, headers=headers)

    def respond(self, body: dict[str, Any], *, status_code: int, location: str) -> JSONResponse:
        """The response, remembered under the key (when there is one) in this transaction."""
        if self.key is not None:
            remember(
                self.session,
                key=self.key,
                digest=self.digest,
                status_code=status_code,
                response=body,
                now=self.now,
                ttl_hours=self.ttl_hours,
            )
        return JSONResponse(body, status_code=status_code, headers={"Location": location})


async def idempotency(
    request: Request, session: SessionDep, now: NowDep, key: KeyHeader = None
) -> Idempotency:
    """No I/O here, so no worker thread (see core.deps): the session is only handed on. The
    settings come from the app's state, not as a dependency (see matcher.leads.deps)."""
    settings: Settings = request.app.state.settings
    return Idempotency(key=key, session=session, now=now, ttl_hours=settings.idempotency_ttl_hours)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
