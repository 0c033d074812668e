"""Who is calling, and whether a route admits them. EVERY route states its rule.

How to protect a route::

    from core.access.deps import CurrentPrincipal, Role, allow, require_own

    @router.get("/{lead_id}", dependencies=[allow(Role.ADMIN, Role.MANAGER, Role.PARTNER)])
    def get_lead(session: SessionDep, principal: CurrentPrincipal, lead_id: int) -> LeadRead:
        lead = service.get_lead(session, lead_id)
        missing = NotFound(f"lead {lead_id} not found")
        require_own(principal, lead.assigned_partner_id, missing=missing)
        return LeadRead.model_validate(lead)

- Give each route exactly one rule: per route as above, or once for a whole router,
  `APIRouter(prefix=..., dependencies=[allow(Role.ADMIN, Role.MANAGER)])`, whose routes
  then add none.
- `allow(*roles)` admits the listed roles; name Role.ADMIN on every route (admin may do
  everything) and Role.PUBLIC only where callers without a key are welcome.
- A caller the rule does not admit gets 401 without a key and 403 with one. A key that is
  malformed, unknown or revoked gets 401 on every route, even a public one: it is never
  silently downgraded to the public view.
- Partner keys are admitted by role; what is *theirs* is decided per resource. Pass
  `own="partner_id"` when a path parameter is the partner's id, or call `require_own` (or
  filter by `principal.partner_id`) once the resource is loaded. Another partner's resource
  answers exactly like an unknown id (404), so a partner cannot probe which ids exist.
- The test `tests/api/test_access.py` enumerates `app.routes`: a route without exactly one
  rule, or without a row in its table, fails the suite. Only OPEN_PATHS need no rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.params import Depends as DependsParam
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.access import service
from core.access.models import Role
from core.access.repository import KeyFacts
from core.database import transaction
from core.deps import NowDep, in_process_or_thread
from core.errors import Forbidden, NotFound, PartnerMatchError, Unauthorized

__all__ = [
    "OPEN_PATHS",
    "AccessRule",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "allow",
    "refuse_fields",
    "require_own",
    "routes_of",
    "rules_of",
]

# Probes and API documentation: reachable by anyone, with or without a key.
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer pm_…`")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a key's id, role and (for partner keys) partner, or the anonymous public."""

    role: Role
    key_id: int | None = None
    partner_id: int | None = None

    def may_act_for(self, partner_id: int | None) -> bool:
        """Whether the caller may see and change this partner's own data."""
        if self.role in (Role.ADMIN, Role.MANAGER):
            return True
        return (
            self.role is Role.PARTNER and partner_id is not None and partner_id == self.partner_id
        )


PUBLIC = Principal(role=Role.PUBLIC)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    now: NowDep,
) -> Principal:
    """Resolve the bearer key with one indexed lookup per request, so a revocation holds at once.

    The lookup is a read of its own (on the event loop for an in-process store); the
    throttled last_used_at write always runs in a worker thread, in a short transaction of its
    own, so a writer holding SQLite's lock never stalls the loop.
    """
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("send the API key as `Authorization: Bearer <key>`")
        return PUBLIC
    engine: Engine = request.app.state.engine

    def lookup() -> KeyFacts:
        # Core, without a session: half the CPU. Autocommit: a read alone needs no
        # transaction, and PostgreSQL's BEGIN and ROLLBACK around it were two round trips.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return service.live_key(connection, credentials.credentials)

    key = await in_process_or_thread(request, lookup)
    if service.touch_due(key, now=now):
        await run_in_threadpool(_touch, request.app.state.sessionmaker, key, now)
    return Principal(role=Role(key.role), key_id=key.id, partner_id=key.partner_id)


def _touch(sessions: sessionmaker[Session], key: KeyFacts, now: datetime) -> None:
    with transaction(sessions) as session:
        service.touch(session, key, now=now)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class AccessRule:
    """A route's rule: the roles it admits, and the path parameter a partner key must own."""

    roles: frozenset[Role]
    own: str | None = None

    async def __call__(self, request: Request, principal: CurrentPrincipal) -> Principal:
        if principal.role not in self.roles:
            if principal.role is Role.PUBLIC:
                raise Unauthorized("this endpoint needs an API key")
            raise Forbidden(f"a {principal.role} key may not use this endpoint")
        if self.own is not None and principal.role is Role.PARTNER:
            raw = request.path_params.get(self.own)
            if raw != str(principal.partner_id):
                raise NotFound(f"partner {raw} not found")
        return principal


def allow(*roles: Role, own: str | None = None) -> DependsParam:
    """The rule for `dependencies=[...]` of a route; see the module docstring."""
    if not roles:
        raise ValueError("name at least one role")
    return Depends(AccessRule(roles=frozenset(roles), own=own))


def routes_of(app: FastAPI) -> list[RouteContext]:
    """Every route the app serves, included routers flattened (FastAPI includes them lazily)."""
    return list(iter_route_contexts(app.routes))


def rules_of(route: RouteContext) -> list[AccessRule]:
    """The access rules of a route: its own dependencies and those of its routers."""
    dependencies = getattr(route, "dependencies", [])
    return [dep.dependency for dep in dependencies if isinstance(dep.dependency, AccessRule)]


def require_own(
    principal: Principal, partner_id: int | None, *, missing: PartnerMatchError
) -> None:
    """Raise `missing` (the error an unknown id gets) unless the caller may act for the partner."""
    if not principal.may_act_for(partner_id):
        raise missing


def refuse_fields(given: set[str], *, reserved: frozenset[str], reason: str) -> None:
    """403 naming every reserved field the caller tried to set."""
    refused = sorted(given & reserved)
    if refused:
        details = [{"field": name, "message": reason} for name in refused]
        raise Forbidden(f"you may not change {', '.join(refused)}: {reason}", details=details)
