"""Jinja2 templates of the pages, and the responses that carry the session cookie."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.pages.session import CSRF_FIELD, CSRF_HEADER, PageSession, save_session

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def time_left(deadline: datetime | None, now: datetime) -> str:
    """'1 d 4 h', '35 min' or 'expired' until a deadline."""
    if deadline is None:
        return "-"
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} min" if hours else f"{max(rest // 60, 1)} min"


def when(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


TEMPLATES.env.filters["when"] = when
TEMPLATES.env.globals.update(time_left=time_left, CSRF_FIELD=CSRF_FIELD, CSRF_HEADER=CSRF_HEADER)


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The page, with the session's CSRF token and user in reach of every form."""
    page: PageSession | None = getattr(request.state, "page_session", None)
    context = {
        "csrf_token": page.csrf_token if page else None,
        "principal": page.principal if page else None,
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    save_session(request, response)
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    """303 See Other after a form post (the browser then GETs `url`)."""
    response = RedirectResponse(url, status_code=303)
    save_session(request, response)
    return response
