"""Errors HTTP itself defines keep their headers and come in the contract's envelope."""

from __future__ import annotations

from fastapi.testclient import TestClient


class TestMethodNotAllowed:
    def test_names_the_allowed_methods(self, client: TestClient) -> None:
        response = client.put("/v1/partners/search")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET"
        assert response.json()["error"]["code"] == "method_not_allowed"
