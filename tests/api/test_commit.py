"""A commit the store refuses is the request's error, in the envelope, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tests.factories import partner_payload


@pytest.fixture
def refusing_partner_commits(app: FastAPI, client: TestClient) -> Iterator[None]:
    """The store fails the COMMIT of any transaction that wrote a partner (as a full disk or a
    lost connection would); other transactions, such as the key check, commit normally."""
    engine = app.state.engine

    def note_write(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PARTNERS"):
            connection.info["wrote_partner"] = True

    def refuse(connection: Any) -> None:
        if connection.info.pop("wrote_partner", False):
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(engine, "before_cursor_execute", note_write)
    event.listen(engine, "commit", refuse)
    yield
    event.remove(engine, "before_cursor_execute", note_write)
    event.remove(engine, "commit", refuse)


class TestRefusedCommit:
    def test_is_an_error_response_not_a_2xx(
        self, client: TestClient, refusing_partner_commits: None
    ) -> None:
        response = client.post("/v1/partners", json=partner_payload(name="Never Stored"))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"

    def test_leaves_nothing_behind(
        self, client: TestClient, refusing_partner_commits: None
    ) -> None:
        client.post("/v1/partners", json=partner_payload(name="Never Stored"))
        found = client.get("/v1/partners/search", params={"q": "never stored"}).json()
        assert found["total"] == 0
