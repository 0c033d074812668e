"""A commit the store refuses is the request's error, in the envelope, and changes nothing."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, get_args, get_type_hints

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.access.deps import routes_of
from core.deps import CommittingRoute
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


def test_every_sync_route_taking_the_session_commits_it_in_its_own_thread(app: FastAPI) -> None:
    """Such a route's answer must not wait for a worker thread with the transaction still
    open (see core.deps.CommittingRoute and the concurrent-reservations test)."""
    not_committing = [
        f"{sorted(context.methods or [])} {context.path}"
        for context in routes_of(app)
        if _takes_a_session_in_a_thread(context.endpoint)
        and not isinstance(context.route, CommittingRoute)
    ]
    assert not_committing == []


def _takes_a_session_in_a_thread(endpoint: Callable[..., Any] | None) -> bool:
    if endpoint is None or inspect.iscoroutinefunction(inspect.unwrap(endpoint)):
        return False
    hints = get_type_hints(inspect.unwrap(endpoint), include_extras=True)
    return any(_is_session(hint) for hint in hints.values())


def _is_session(hint: Any) -> bool:
    return hint is Session or get_args(hint)[:1] == (Session,)
