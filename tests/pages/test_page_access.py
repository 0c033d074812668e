"""Page access: every page route has one session rule, the cookie is Secure over TLS, and a
revoked key ends its browser sessions at once."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.pages.session import page_rules_of
from core.access.deps import routes_of, rules_of
from core.access.models import Role
from tests.core.access.factories import make_key
from tests.factories import create_partner
from tests.pages.forms import csrf_token, sign_in

PAGE_PREFIXES = ("/portal", "/console", "/partners/")


def test_every_page_route_has_exactly_one_page_rule_and_no_api_rule(app: FastAPI) -> None:
    pages = [
        route
        for route in routes_of(app)
        if route.path == "/" or (route.path or "").startswith(PAGE_PREFIXES)
    ]
    assert len(pages) >= 15
    for route in pages:
        assert len(page_rules_of(route)) == 1, route.path
        assert rules_of(route) == [], route.path


def test_the_session_cookie_is_secure_over_tls(client: TestClient) -> None:
    cookie = client.get("https://testserver/console/sign-in").headers["set-cookie"].lower()
    assert "secure" in cookie.replace("httponly", "")
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_revoked_key_ends_its_sessions(client: TestClient, anonymous_client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    issued = make_key(app, role=Role.MANAGER, name="console user")
    sign_in(anonymous_client, "/console", issued.secret)
    assert anonymous_client.get("/console", follow_redirects=False).status_code == 200
    client.post(f"/v1/keys/{issued.key.id}/revoke").raise_for_status()
    response = anonymous_client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in")


def test_sign_in_follows_only_a_path_of_its_own_area(
    client: TestClient, anonymous_client: TestClient
) -> None:
    partner = create_partner(client)
    app: FastAPI = client.app  # type: ignore[assignment]
    key = make_key(app, role=Role.PARTNER, partner_id=partner["id"]).secret
    token = csrf_token(anonymous_client.get("/portal/sign-in").text)
    response = anonymous_client.post(
        "/portal/sign-in",
        data={"csrf_token": token, "api_key": key, "next": "https://evil.example/portal"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/portal"


def test_sign_out_ends_the_session(client: TestClient, anonymous_client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    token = sign_in(anonymous_client, "/console", make_key(app, role=Role.MANAGER).secret)
    anonymous_client.post("/console/sign-out", data={"csrf_token": token})
    assert anonymous_client.get("/console", follow_redirects=False).status_code == 303
