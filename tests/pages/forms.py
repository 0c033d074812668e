"""Signing in to the portal or console the way a browser does: a form with its CSRF token."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, area: str, key: str) -> str:
    """Signs in with `key` at /portal or /console; returns the session's CSRF token."""
    token = csrf_token(client.get(f"{area}/sign-in").text)
    response = client.post(
        f"{area}/sign-in",
        data={"csrf_token": token, "api_key": key, "next": area},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_token(client.get(area).text)
