"""Typed factories for API keys, written straight to the store of a running app."""

from __future__ import annotations

from fastapi import FastAPI

from core.access import service
from core.access.models import Role
from core.access.service import IssuedKey
from core.database import transaction


def make_key(
    app: FastAPI, *, role: Role, partner_id: int | None = None, name: str = "test"
) -> IssuedKey:
    """A committed key of `role`; the app's lifespan must have started."""
    with transaction(app.state.sessionmaker) as session:
        return service.issue_key(
            session, name=name, role=role, partner_id=partner_id, now=app.state.clock()
        )


def bearer(issued: IssuedKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {issued.secret}"}
