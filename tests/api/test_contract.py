"""The OpenAPI document lists each operation's error statuses with the error envelope's schema,
and the errors the service really answers are what it documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.contract import query_names
from core.access.deps import routes_of
from core.access.models import Role
from core.settings import Settings
from tests.conftest import ClientAs, Clock
from tests.core.access.factories import bearer, make_key
from tests.factories import create_partner, partner_payload


def _documented(app: FastAPI, method: str, path: str, status: int) -> dict[str, Any]:
    """The schema the document gives for this answer (fails the test if it lists none)."""
    document = app.openapi()
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def _assert_documented(app: FastAPI, method: str, path: str, response: Response) -> None:
    schema = _documented(app, method, path, response.status_code)
    jsonschema_rs.validate(schema, response.json())


class TestTheDocument:
    @pytest.mark.parametrize(
        ("method", "path", "statuses"),
        [
            ("GET", "/v1/partners/search", {401, 422, 429}),
            ("GET", "/v1/partners/{partner_id}", {401, 404, 422, 429}),
            ("PATCH", "/v1/partners/{partner_id}", {401, 403, 404, 409, 412, 413, 422, 429}),
            ("POST", "/v1/partners/import", {401, 403, 409, 413, 415, 422, 429}),
            ("POST", "/v1/leads/{lead_id}/accept", {401, 403, 404, 409, 429}),
            ("GET", "/v1/keys", {401, 403, 429}),
        ],
    )
    def test_an_operation_lists_each_status_it_can_answer(
        self, app: FastAPI, method: str, path: str, statuses: set[int]
    ) -> None:
        responses = app.openapi()["paths"][path][method.lower()]["responses"]
        assert statuses <= {int(status) for status in responses}
        for status in statuses:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}

    def test_the_query_check_admits_exactly_the_documented_query_parameters(
        self, app: FastAPI
    ) -> None:
        document = app.openapi()["paths"]
        for route in routes_of(app):
            if route.path in document:
                for method in (route.methods or set()) - {"HEAD"}:
                    parameters = document[route.path][method.lower()].get("parameters", [])
                    listed = {p["name"] for p in parameters if p["in"] == "query"}
                    assert query_names(route) == listed, f"{method} {route.path}"

    def test_a_public_search_is_never_forbidden_and_a_probe_never_unauthorized(
        self, app: FastAPI
    ) -> None:
        paths = app.openapi()["paths"]
        assert "403" not in paths["/v1/partners/search"]["get"]["responses"]
        assert "401" not in paths["/healthz"]["get"]["responses"]


@pytest.fixture
def strict(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """An app with a 4 KiB body limit and 3 requests per second, called as a manager."""
    app = create_app(
        settings.model_copy(update={"max_body_bytes": 4096, "rate_limit": 3}), clock=clock
    )
    with TestClient(app) as client:
        client.headers.update(bearer(make_key(app, role=Role.MANAGER)))
        yield client


class TestRealErrorsAreDocumented:
    def test_401_403_404_409_412_415_422(
        self, app: FastAPI, client: TestClient, client_as: ClientAs
    ) -> None:
        partner = create_partner(client, external_id="DOC-1")
        one = "/v1/partners/{partner_id}"
        answers = [
            ("GET", "/v1/keys", client_as(Role.PUBLIC).get("/v1/keys")),
            (
                "GET",
                "/v1/partners/search",
                TestClient(app, headers={"Authorization": "Bearer pm_unknown"}).get(
                    "/v1/partners/search"
                ),
            ),
            ("GET", "/v1/keys", client_as(Role.PARTNER, partner_id=partner["id"]).get("/v1/keys")),
            ("GET", one, client.get("/v1/partners/999999")),
            (
                "POST",
                "/v1/partners",
                client.post("/v1/partners", json=partner_payload(external_id="DOC-1")),
            ),
            (
                "PATCH",
                one,
                client.patch(
                    f"/v1/partners/{partner['id']}",
                    json={"name": "x"},
                    headers={"If-Match": '"99"'},
                ),
            ),
            (
                "POST",
                "/v1/partners/import",
                client.post(
                    "/v1/partners/import", content=b"a,b\n", headers={"Content-Type": "text/csv"}
                ),
            ),
            ("GET", "/v1/reports/routing", client.get("/v1/reports/routing", params={"to": "0.5"})),
        ]
        assert [response.status_code for _, _, response in answers] == [
            401,
            401,
            403,
            404,
            409,
            412,
            415,
            422,
        ]
        for method, path, response in answers:
            _assert_documented(app, method, path, response)

    def test_413_and_429(self, strict: TestClient) -> None:
        app: FastAPI = strict.app  # type: ignore[assignment]
        too_large = strict.post("/v1/partners", json=partner_payload(description="x" * 5000))
        assert too_large.status_code == 413
        _assert_documented(app, "POST", "/v1/partners", too_large)
        answers = [strict.get("/v1/partners/search") for _ in range(5)]
        assert answers[-1].status_code == 429
        _assert_documented(app, "GET", "/v1/partners/search", answers[-1])

    def test_a_422_with_pydantic_details_matches_the_schema(self, client: TestClient) -> None:
        response = client.post("/v1/partners", json={"name": 7, "unknown": True})
        assert response.status_code == 422
        _assert_documented(client.app, "POST", "/v1/partners", response)  # type: ignore[arg-type]


class TestQueryParameters:
    def test_an_undocumented_parameter_is_a_422_naming_it(self, client: TestClient) -> None:
        create_partner(client, external_id="DOC-2")
        response = client.get("/v1/partners/search", params={"skill": "aws", "q": "cloud"})
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == ["skill"]

    def test_a_nul_character_in_a_skill_is_an_unknown_name_on_every_store(
        self, client: TestClient
    ) -> None:
        response = client.get("/v1/partners/search", params={"skills": "a\x00b"})
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"].startswith("skills")


class TestDocumentedLengths:
    """A text's documented maxLength holds for the text as sent; what is stored is trimmed."""

    def test_a_name_over_the_limit_before_trimming_is_refused(self, client: TestClient) -> None:
        response = client.post("/v1/keys", json={"name": f" {'k' * 100} ", "role": "manager"})
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == ["name"]
        _assert_documented(client.app, "POST", "/v1/keys", response)  # type: ignore[arg-type]
        assert all(key["name"] != "k" * 100 for key in client.get("/v1/keys").json())

    def test_a_name_within_the_limit_is_stored_trimmed(self, client: TestClient) -> None:
        response = client.post("/v1/keys", json={"name": f" {'k' * 98} ", "role": "manager"})
        assert response.status_code == 201
        assert response.json()["name"] == "k" * 98

    def test_each_text_of_a_list_is_held_to_the_items_limit(self, client: TestClient) -> None:
        body = partner_payload(industries=[f" {'i' * 100}"])
        response = client.post("/v1/partners", json=body)
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == ["industries"]
