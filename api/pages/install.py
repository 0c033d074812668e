"""Mount the pages on the app: static assets, routers, and HTML answers to page errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.error_handlers import domain_error, http_error
from api.pages import console, directory, portal
from api.pages.rendering import render
from api.pages.session import CsrfRefused, SignInRequired, session_secret
from api.pages.signin import CONSOLE, PORTAL, sign_in_router
from core.errors import PartnerMatchError
from core.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
# Paths whose errors are answered with a page, not the JSON envelope.
PAGE_PREFIXES = ("/portal", "/console", "/partners/")


def install_pages(app: FastAPI, settings: Settings) -> None:
    app.state.page_serializer = URLSafeTimedSerializer(
        session_secret(settings.index_dir), salt="partnermatch-page-session"
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(sign_in_router(PORTAL))
    app.include_router(sign_in_router(CONSOLE))
    app.include_router(portal.router)
    app.include_router(console.router)
    app.include_router(directory.router)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(PartnerMatchError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(PAGE_PREFIXES)


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"{exc.sign_in_path}?next={exc.next_path}", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    message = "This form has expired or did not come from this site. Reload the page and retry."
    return _error_page(request, 403, "Form refused", message)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PartnerMatchError)
    if not is_page(request):
        return await domain_error(request, exc)
    return _error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Error"), exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not is_page(request):
        return await http_error(request, exc)
    return _error_page(request, exc.status_code, "Not found", str(exc.detail))


_TITLES = {404: "Not found", 409: "Not possible now", 422: "Check your input", 403: "Refused"}


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    context = {"title": title, "message": message, "status": status}
    return render(request, "error.html", context, status_code=status)
