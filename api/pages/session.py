"""Browser sessions of the portal and the console: a signed cookie, a CSRF token, page access.

The cookie holds only the id of the API key the user signed in with and the session's CSRF
token, signed with a server secret (itsdangerous). Every request looks the key up again, so a
revoked key ends its sessions at once. The cookie is HttpOnly, SameSite=Lax, and Secure
whenever the request came over TLS. Every POST must carry the session's CSRF token, as the
form field `csrf_token` or the `X-CSRF-Token` header (htmx sends it).
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from core.access import repository
from core.access.deps import Principal
from core.access.models import Role
from core.database import transaction

COOKIE = "pm_session"
MAX_AGE_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SALT = "partnermatch-page-session"


class SignInRequired(Exception):
    """The page needs a signed-in user of another role; answered with a redirect to sign-in."""

    def __init__(self, sign_in_path: str, *, next_path: str) -> None:
        super().__init__(sign_in_path)
        self.sign_in_path = sign_in_path
        self.next_path = next_path


class CsrfRefused(Exception):
    """A POST without the session's CSRF token; answered with 403."""


@dataclass
class PageSession:
    """The session of one request; `changed` says the cookie must be (re)sent."""

    csrf_token: str
    key_id: int | None = None
    changed: bool = False
    principal: Principal | None = None

    def sign_in(self, *, key_id: int) -> None:
        """A fresh CSRF token at sign-in, so a token seen before it is worthless after."""
        self.key_id, self.csrf_token, self.changed = key_id, secrets.token_urlsafe(32), True

    def sign_out(self) -> None:
        self.key_id, self.principal = None, None
        self.csrf_token, self.changed = secrets.token_urlsafe(32), True


def session_secret(index_dir: str) -> str:
    """The signing secret: kept beside the index data so every worker and restart shares it."""
    path = Path(index_dir).resolve().parent / "session-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _serializer(request: Request) -> URLSafeTimedSerializer:
    serializer: URLSafeTimedSerializer = request.app.state.page_serializer
    return serializer


def load_session(request: Request) -> PageSession:
    """The request's session (once per request), a new anonymous one without a valid cookie."""
    cached: PageSession | None = getattr(request.state, "page_session", None)
    if cached is not None:
        return cached
    page_session = PageSession(csrf_token=secrets.token_urlsafe(32), changed=True)
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data: dict[str, Any] = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
            page_session = PageSession(csrf_token=str(data["c"]), key_id=data.get("k"))
        except (BadSignature, KeyError, TypeError):
            pass
    if page_session.key_id is not None:
        page_session.principal = _principal(request, page_session.key_id)
        if page_session.principal is None:  # revoked or deleted since sign-in
            page_session.sign_out()
    request.state.page_session = page_session
    return page_session


def _principal(request: Request, key_id: int) -> Principal | None:
    with transaction(request.app.state.sessionmaker) as session:
        key = repository.get_key(session, key_id)
        if key is None or key.revoked_at is not None:
            return None
        return Principal(role=Role(key.role), key_id=key.id, partner_id=key.partner_id)


def save_session(request: Request, response: Response) -> None:
    """Sends the cookie when the session is new or changed."""
    page_session: PageSession | None = getattr(request.state, "page_session", None)
    if page_session is None or not page_session.changed:
        return
    value = _serializer(request).dumps({"c": page_session.csrf_token, "k": page_session.key_id})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
        path="/",
    )


async def check_csrf(request: Request, page_session: PageSession) -> None:
    """CsrfRefused unless a POST carries the session's token (form field or header)."""
    if request.method != "POST":
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent, page_session.csrf_token):
        raise CsrfRefused()


@dataclass(frozen=True)
class PageRule:
    """A page's access rule: the roles it admits (None: anyone) and where to sign in."""

    roles: frozenset[Role] | None
    sign_in_path: str | None = None

    async def __call__(self, request: Request) -> PageSession | None:
        if self.roles is None and request.method != "POST":
            return None  # public pages read no session and set no cookie
        page_session = load_session(request)
        await check_csrf(request, page_session)
        if self.roles is None:
            return page_session
        principal = page_session.principal
        if principal is None or principal.role not in self.roles:
            assert self.sign_in_path is not None
            raise SignInRequired(self.sign_in_path, next_path=request.url.path)
        return page_session


def page_rule(*roles: Role, sign_in: str | None = None) -> DependsParam:
    """The rule for a page router's `dependencies=[...]`: no roles admits everyone."""
    return Depends(PageRule(roles=frozenset(roles) if roles else None, sign_in_path=sign_in))


def page_rules_of(route: Any) -> list[PageRule]:
    """The page rules of a route (tests check every page route has one)."""
    dependencies = getattr(route, "dependencies", [])
    return [dep.dependency for dep in dependencies if isinstance(dep.dependency, PageRule)]
