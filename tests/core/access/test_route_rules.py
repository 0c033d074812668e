"""Access control over HTTP: the expected status of every route for every kind of caller.

A route without exactly one rule, or without a row in ROUTES, fails this suite: add the row
(with the statuses the issue asks for) in the same change as the route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.pages.session import page_rules_of
from core.access.deps import OPEN_PATHS, Role, routes_of, rules_of
from tests.core.access.factories import bearer, make_key
from tests.factories import create_partner, partner_payload


class Caller(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    PARTNER_OWN = "partner-own"  # partner A's key; {own} in a URL is partner A
    PARTNER_OTHER = "partner-other"  # partner B's key, touching partner A's resources
    PUBLIC = "public"
    REVOKED = "revoked"
    GARBAGE = "garbage"


@dataclass(frozen=True)
class Row:
    """One route: a request that reaches it and the status each caller gets."""

    url: str
    expect: dict[Caller, int]
    body: dict[str, Any] | None = None
    content: bytes | None = field(default=None, repr=False)


def row(
    url: str,
    *,
    admin: int,
    manager: int,
    own: int,
    other: int,
    public: int,
    body: dict[str, Any] | None = None,
    content: bytes | None = None,
) -> Row:
    """A row; a revoked or garbage key gets 401 on every route that has a rule."""
    expect = {
        Caller.ADMIN: admin,
        Caller.MANAGER: manager,
        Caller.PARTNER_OWN: own,
        Caller.PARTNER_OTHER: other,
        Caller.PUBLIC: public,
        Caller.REVOKED: 401,
        Caller.GARBAGE: 401,
    }
    return Row(url=url, expect=expect, body=body, content=content)


def managers_only(url: str, *, ok: int, body: dict[str, Any] | None = None) -> Row:
    return row(url, admin=ok, manager=ok, own=403, other=403, public=401, body=body)


def admin_only(url: str, *, ok: int, body: dict[str, Any] | None = None) -> Row:
    return row(url, admin=ok, manager=403, own=403, other=403, public=401, body=body)


_IMPORT_LINE = json.dumps(partner_payload(external_id="CRM-IMPORT")).encode()

# "METHOD /template" -> row. {own}: partner A's id, {key}: a spare key's id. Routes owned by
# other domains are reached with unknown ids or empty bodies: a 404 or 422 proves the rule let
# the caller through, a 401 or 403 that it did not.
ROUTES: dict[str, Row] = {
    "GET /metrics": row("/metrics", admin=200, manager=200, own=200, other=200, public=401),
    "POST /v1/partners": managers_only("/v1/partners", ok=201, body=partner_payload()),
    "POST /v1/partners/import": row(
        "/v1/partners/import",
        admin=200,
        manager=200,
        own=403,
        other=403,
        public=401,
        content=_IMPORT_LINE,
    ),
    "GET /v1/partners/{partner_id}": row(
        "/v1/partners/{own}", admin=200, manager=200, own=200, other=200, public=200
    ),
    "PATCH /v1/partners/{partner_id}": row(
        "/v1/partners/{own}",
        admin=200,
        manager=200,
        own=200,
        other=404,
        public=401,
        body={"name": "Renamed GmbH"},
    ),
    "DELETE /v1/partners/{partner_id}": managers_only("/v1/partners/{own}", ok=204),
    "POST /v1/partners/{partner_id}/attest": row(
        "/v1/partners/{own}/attest", admin=200, manager=200, own=200, other=404, public=401
    ),
    "GET /v1/partners/stale": managers_only("/v1/partners/stale", ok=200),
    "POST /v1/leads/preview": managers_only("/v1/leads/preview", ok=422, body={}),
    "POST /v1/keys": row(
        "/v1/keys",
        admin=201,
        manager=403,
        own=403,
        other=403,
        public=401,
        body={"name": "ci", "role": "manager"},
    ),
    "GET /v1/keys": row("/v1/keys", admin=200, manager=403, own=403, other=403, public=401),
    "POST /v1/keys/{key_id}/revoke": row(
        "/v1/keys/{key}/revoke", admin=200, manager=403, own=403, other=403, public=401
    ),
    "POST /v1/accounts": managers_only("/v1/accounts", ok=422, body={}),
    "GET /v1/accounts/check": managers_only("/v1/accounts/check?name=Acme", ok=200),
    "GET /v1/accounts/{account_id}": managers_only("/v1/accounts/999999", ok=404),
    "POST /v1/accounts/{account_id}/reservations": managers_only(
        "/v1/accounts/999999/reservations", ok=422, body={}
    ),
    "DELETE /v1/accounts/{account_id}/reservations/{reservation_id}": managers_only(
        "/v1/accounts/999999/reservations/1", ok=404
    ),
    "GET /v1/partners/search": row(
        "/v1/partners/search?q=cloud", admin=200, manager=200, own=200, other=200, public=200
    ),
    "POST /v1/leads": managers_only("/v1/leads", ok=422, body={}),
    # Partner-scoped lead routes on an unknown id: partners pass the rule and get the 404.
    # tests/api/test_partner_access.py checks them on a real lead offered to partner A.
    "GET /v1/leads": row("/v1/leads", admin=200, manager=200, own=200, other=200, public=401),
    "GET /v1/leads/{lead_id}": row(
        "/v1/leads/999999", admin=404, manager=404, own=404, other=404, public=401
    ),
    "POST /v1/leads/{lead_id}/accept": row(
        "/v1/leads/999999/accept", admin=404, manager=404, own=404, other=404, public=401
    ),
    "POST /v1/leads/{lead_id}/decline": row(
        "/v1/leads/999999/decline",
        admin=404,
        manager=404,
        own=404,
        other=404,
        public=401,
        body={"reason": "no capacity"},
    ),
    "POST /v1/leads/{lead_id}/close": row(
        "/v1/leads/999999/close",
        admin=404,
        manager=404,
        own=404,
        other=404,
        public=401,
        body={"outcome": "won"},
    ),
    "POST /v1/leads/{lead_id}/assign": managers_only(
        "/v1/leads/999999/assign", ok=404, body={"partner_id": 1, "reason": "key account"}
    ),
    "GET /v1/reports/routing": managers_only("/v1/reports/routing", ok=200),
    "GET /v1/notifications/events": managers_only("/v1/notifications/events", ok=200),
    "GET /v1/notifications/deliveries": managers_only("/v1/notifications/deliveries", ok=200),
    "POST /v1/notifications/deliveries/{delivery_id}/redeliver": admin_only(
        "/v1/notifications/deliveries/999999/redeliver", ok=404
    ),
    "POST /v1/webhooks": admin_only(
        "/v1/webhooks", ok=201, body={"url": "http://127.0.0.1:9/hook"}
    ),
    "GET /v1/webhooks": admin_only("/v1/webhooks", ok=200),
    "GET /v1/webhooks/{subscription_id}": admin_only("/v1/webhooks/999999", ok=404),
    "PATCH /v1/webhooks/{subscription_id}": admin_only(
        "/v1/webhooks/999999", ok=404, body={"active": False}
    ),
    "DELETE /v1/webhooks/{subscription_id}": admin_only("/v1/webhooks/999999", ok=404),
}


def served_routes(app: FastAPI) -> dict[str, Any]:
    """'METHOD /template' of every route that needs a rule (HEAD mirrors GET)."""
    served = {}
    for route in routes_of(app):
        if route.path in OPEN_PATHS or page_rules_of(route):
            continue  # web pages have their own session rule (tests/pages/test_page_access.py)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                served[f"{method} {route.path}"] = route
    return served


@dataclass(frozen=True)
class World:
    own: int
    other: int
    spare_key: int
    headers: dict[Caller, dict[str, str]]


@pytest.fixture
def app(module_client: TestClient) -> FastAPI:
    """One app for the module; every test makes its own world in it."""
    return module_client.app  # type: ignore[return-value]


@pytest.fixture
def anonymous_client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def world(module_client: TestClient, app: FastAPI) -> World:
    """Partners A and B, and a key (or none, or a bad one) for every kind of caller; new for
    each test, so what one test deletes or revokes another never meets."""
    own = create_partner(module_client, name="Partner A")["id"]
    other = create_partner(module_client, name="Partner B")["id"]
    revoked = make_key(app, role=Role.MANAGER)
    module_client.post(f"/v1/keys/{revoked.key.id}/revoke").raise_for_status()
    keys = {
        Caller.ADMIN: make_key(app, role=Role.ADMIN),
        Caller.MANAGER: make_key(app, role=Role.MANAGER),
        Caller.PARTNER_OWN: make_key(app, role=Role.PARTNER, partner_id=own),
        Caller.PARTNER_OTHER: make_key(app, role=Role.PARTNER, partner_id=other),
        Caller.REVOKED: revoked,
    }
    headers = {caller: bearer(issued) for caller, issued in keys.items()}
    headers[Caller.PUBLIC] = {}
    headers[Caller.GARBAGE] = {"Authorization": "Bearer pm_not-a-key-at-all"}
    spare = make_key(app, role=Role.MANAGER, name="spare").key.id
    return World(own=own, other=other, spare_key=spare, headers=headers)


class TestEveryRouteIsCovered:
    def test_every_route_has_exactly_one_rule_and_admin_may_use_it(self, app: FastAPI) -> None:
        for name, route in served_routes(app).items():
            rules = rules_of(route)
            assert len(rules) == 1, f"{name} needs exactly one allow(...) rule, has {len(rules)}"
            assert Role.ADMIN in rules[0].roles, f"{name}: admin may use every route"

    def test_the_table_has_a_row_for_every_route(self, app: FastAPI) -> None:
        assert sorted(served_routes(app)) == sorted(ROUTES)

    def test_open_paths_answer_without_a_key(self, anonymous_client: TestClient) -> None:
        for path in ("/healthz", "/readyz", "/docs", "/openapi.json", "/redoc"):
            assert anonymous_client.get(path).status_code == 200, path


@pytest.mark.parametrize("caller", list(Caller))
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_status_of_every_route_for_every_caller(
    route: str, caller: Caller, world: World, anonymous_client: TestClient
) -> None:
    spec = ROUTES[route]
    method = route.split(" ", 1)[0]
    url = spec.url.format(own=world.own, key=world.spare_key)
    headers = dict(world.headers[caller])
    if spec.content is not None:
        headers["Content-Type"] = "application/x-ndjson"
    response = anonymous_client.request(
        method, url, json=spec.body, content=spec.content, headers=headers
    )
    assert response.status_code == spec.expect[caller], response.text
    if response.status_code in (401, 403):
        code = "unauthorized" if response.status_code == 401 else "forbidden"
        assert response.json()["error"]["code"] == code
