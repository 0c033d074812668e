"""Schemathesis over the whole OpenAPI schema with its checks: no input, however odd, gets a
5xx, every answer (errors in the envelope included) is what the document says, invalid input
is refused, auth is not ignored, unsupported methods are 405 with Allow.

Two checks are left out where they cannot hold: `positive_data_acceptance` everywhere, because
the service refuses schema-valid input that breaks a rule JSON Schema cannot state (an
ISO 3166 country code, a certification not earned in the future, a location with lat/lon or a
city, `from` before `to`) with a 422 naming the field, as it must; and
`negative_data_rejection` for the NDJSON import, whose body is text on the wire whatever value
the generator made (a non-string goes out as one JSON line and is reported per line).

Schemathesis's pytest plugin does not run on pytest 9, so its hypothesis strategies are driven
directly, one test per operation of the live schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.auths import AuthStorage
from schemathesis.checks import CHECKS, load_all_checks
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from core.access.models import Role
from core.settings import Settings
from tests.core.access.factories import bearer, make_key
from tests.factories import create_partner

MAX_EXAMPLES = 25
NDJSON_OPERATIONS = frozenset({"POST /v1/partners/import"})

pytestmark = pytest.mark.slow

load_all_checks()
CHECKS_RUN = [check for check in CHECKS.get_all() if check.__name__ != "positive_data_acceptance"]
TEXT_BODY_CHECKS = [check for check in CHECKS_RUN if check.__name__ != "negative_data_rejection"]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx: object, value: object) -> bytes:
    """Generated strings go out as the NDJSON body, anything else as one JSON line."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


# The document of every test's app: built once (generating it takes longer than a test).
DOCUMENT = create_app(Settings(database_url="sqlite://")).openapi()


def _cases() -> list[tuple[str, schemathesis.GenerationMode]]:
    """Every operation with valid inputs; those that take any input with invalid ones too."""
    cases = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            cases.append((name, schemathesis.GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((name, schemathesis.GenerationMode.NEGATIVE))
    return sorted(cases)


def _without_lifespan(app: FastAPI) -> ASGIApp:
    """The app, started once for the module by `module_client`: schemathesis would start its
    lifespan a second time and keep it running for the rest of the process (an index, a
    sweeper and a notifier more per test)."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            phase = (await receive())["type"].rsplit(".", 1)[-1]  # startup or shutdown
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return

    return serve


@pytest.mark.parametrize(("operation", "mode"), _cases(), ids=lambda v: getattr(v, "value", v))
def test_no_input_causes_a_server_error(
    module_client: TestClient, operation: str, mode: schemathesis.GenerationMode
) -> None:
    app: FastAPI = module_client.app  # type: ignore[assignment]
    # A key of this test's own: a case of an earlier test may have revoked the last one.
    module_client.headers.update(bearer(make_key(app, role=Role.ADMIN, name="fuzz")))
    create_partner(module_client, external_id=None)  # id-based routes also meet a real row
    method, path = operation.split(" ", 1)

    schema = schemathesis.openapi.from_dict(DOCUMENT)
    schema.app = _without_lifespan(app)  # called in-process
    keys = AuthStorage()  # left out where a case omits it
    keys.auth()(_admin_key(module_client.headers["Authorization"]))
    strategy = schema[path][method].as_strategy(mode, auth_storage=keys)
    checks = TEXT_BODY_CHECKS if operation in NDJSON_OPERATIONS else CHECKS_RUN

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        if not all(str(value).isascii() for value in (case.headers or {}).values()):
            return  # HTTP cannot carry such a header; no client sends it
        if any(isinstance(value, dict) for value in (case.query or {}).values()):
            return  # a query string has no objects: one goes out as other parameters or none
        case.call_and_validate(checks=checks)

    call()


def _admin_key(authorization: str) -> type:
    class AdminKey:
        def get(self, _case: schemathesis.Case, _ctx: object) -> str:
            return authorization

        def set(self, case: schemathesis.Case, data: str, _ctx: object) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    return AdminKey
