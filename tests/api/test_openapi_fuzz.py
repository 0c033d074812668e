"""Schemathesis over the whole OpenAPI schema: no input, however odd, gets a 5xx, and every
error comes in the contract's envelope.

Schemathesis's pytest plugin does not run on pytest 9, so its hypothesis strategies are driven
directly, one test per operation of the live schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from core.settings import Settings
from tests.factories import create_partner

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 30


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx: object, value: object) -> bytes:
    """Generated strings go out as the NDJSON body, anything else as one JSON line."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _cases() -> list[tuple[str, schemathesis.GenerationMode]]:
    """Every operation with valid inputs; those that take any input with invalid ones too."""
    schema = create_app(Settings(database_url="sqlite://")).openapi()
    cases = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            cases.append((name, schemathesis.GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((name, schemathesis.GenerationMode.NEGATIVE))
    return sorted(cases)


@pytest.mark.parametrize(("operation", "mode"), _cases(), ids=lambda v: getattr(v, "value", v))
def test_no_input_causes_a_server_error(
    app: FastAPI, client: TestClient, operation: str, mode: schemathesis.GenerationMode
) -> None:
    create_partner(client, external_id="FUZZ-1")  # id-based routes also meet a real row
    method, path = operation.split(" ", 1)
    strategy = schemathesis.openapi.from_dict(app.openapi())[path][method].as_strategy(mode)

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
        if "data" in kwargs:
            kwargs["content"] = kwargs.pop("data")
        kwargs["headers"] = {**client.headers, **(kwargs.get("headers") or {})}
        if not all(str(value).isascii() for value in kwargs["headers"].values()):
            return  # HTTP cannot carry such a header; the client refuses to send it
        client.cookies = kwargs.pop("cookies", None) or {}
        response = client.request(**kwargs)
        assert response.status_code < 500, (operation, kwargs, response.text)
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}, response.text

    call()
