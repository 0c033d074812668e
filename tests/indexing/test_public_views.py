"""Search results reuse public views of partners while the index serves the same version."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.factories import create_partner


def count_partner_loads(app: FastAPI) -> list[str]:
    """The statements that load partner rows from the store, as they run."""
    loads: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM partners" in statement:
            loads.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", note)
    return loads


class TestPublicViews:
    def test_a_repeated_search_loads_no_partner_from_the_store(
        self, app: FastAPI, client: TestClient
    ) -> None:
        create_partner(client, name="Cached Cloud One")
        create_partner(client, name="Cached Cloud Two")
        first = client.get("/v1/partners/search", params={"q": "cached"}).json()
        loads = count_partner_loads(app)
        again = client.get("/v1/partners/search", params={"q": "cached"}).json()
        assert again == first
        assert loads == []

    def test_an_update_is_shown_at_once_and_a_delete_disappears(self, client: TestClient) -> None:
        kept = create_partner(client, name="Cached Cloud Kept")
        gone = create_partner(client, name="Cached Cloud Gone")
        client.get("/v1/partners/search", params={"q": "cached"})
        client.patch(f"/v1/partners/{kept['id']}", json={"description": "now with Kubernetes"})
        client.delete(f"/v1/partners/{gone['id']}")
        items = client.get("/v1/partners/search", params={"q": "cached"}).json()["items"]
        assert [(item["id"], item["description"]) for item in items] == [
            (kept["id"], "now with Kubernetes")
        ]

    def test_a_new_partner_reusing_a_deleted_id_is_shown_as_itself(
        self, client: TestClient
    ) -> None:
        old = create_partner(client, name="Cached Cloud Old")
        client.get("/v1/partners/search", params={"q": "cached"})
        client.delete(f"/v1/partners/{old['id']}")
        new = create_partner(client, name="Cached Cloud New")
        items = client.get("/v1/partners/search", params={"q": "cached"}).json()["items"]
        assert [(item["id"], item["name"]) for item in items] == [(new["id"], new["name"])]
