"""Sign-in and sign-out with an API key, for the portal (partner keys) and the console
(manager and admin keys): the same form, session and CSRF rules for both."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.pages.rendering import redirect, render
from api.pages.session import load_session, page_rule
from core.access import service as keys
from core.access.models import Role
from core.database import transaction
from core.deps import CommittingRoute, NowDep
from core.errors import Unauthorized


@dataclass(frozen=True)
class Area:
    """A signed-in area of the site: where it lives and whose keys open it."""

    path: str
    title: str
    roles: frozenset[Role]
    key_kind: str

    @property
    def sign_in_path(self) -> str:
        return f"{self.path}/sign-in"


PORTAL = Area("/portal", "Partner portal", frozenset({Role.PARTNER}), "partner")
CONSOLE = Area("/console", "Channel console", frozenset({Role.MANAGER, Role.ADMIN}), "manager")


def sign_in_router(area: Area) -> APIRouter:
    """GET and POST {area}/sign-in and POST {area}/sign-out."""
    router = APIRouter(
        prefix=area.path,
        include_in_schema=False,
        dependencies=[page_rule()],
        route_class=CommittingRoute,
    )

    @router.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, next: str | None = None) -> HTMLResponse:
        load_session(request)
        return render(request, "sign_in.html", {"area": area, "next": _local(next, area)})

    @router.post("/sign-in", response_model=None)
    def sign_in(
        request: Request,
        now: NowDep,
        api_key: str = Form(""),
        next: str = Form(""),
    ) -> HTMLResponse | RedirectResponse:
        page = load_session(request)
        try:
            with transaction(request.app.state.sessionmaker) as session:
                key = keys.authenticate(session, api_key.strip(), now=now)
                key_id, role = key.id, Role(key.role)
        except Unauthorized as error:
            return _refused(request, area, error.message, next)
        if role not in area.roles:
            return _refused(request, area, f"this area needs a {area.key_kind} key", next)
        page.sign_in(key_id=key_id)
        return redirect(request, _local(next, area))

    @router.post("/sign-out")
    def sign_out(request: Request) -> RedirectResponse:
        load_session(request).sign_out()
        return redirect(request, area.sign_in_path)

    return router


def _refused(request: Request, area: Area, message: str, next: str) -> HTMLResponse:
    context = {"area": area, "next": _local(next, area), "error": message}
    return render(request, "sign_in.html", context, status_code=401)


def _local(next: str | None, area: Area) -> str:
    """Only a path of the area itself is followed after sign-in (no open redirect)."""
    if next and next.startswith(area.path) and not next.startswith("//"):
        return next
    return area.path
