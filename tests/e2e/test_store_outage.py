"""The store drops the service's connections (a PostgreSQL restart or failover): a request that
meets a dropped connection answers 503 with Retry-After, never 500, and the service reconnects
on its own."""

from __future__ import annotations

import os

import httpx
import pytest
from sqlalchemy import make_url, text

from tests.e2e.conftest import ServerFactory, client
from tests.e2e.stores import Store
from tests.factories import partner_payload

pytestmark = pytest.mark.skipif(
    not os.environ.get("PARTNERMATCH_TEST_DATABASE_URL"),
    reason="only a networked store drops connections; SQLite is a file the process opens",
)
NAME = "partnermatch-outage-test"


def test_dropped_connections_answer_503_then_the_service_reconnects(
    start_server: ServerFactory, store: Store, admin: dict[str, str]
) -> None:
    url = make_url(store.url).update_query_dict({"application_name": NAME})
    server = start_server(database_url=url.render_as_string(hide_password=False))
    with client(server, admin) as http:
        # Both kinds of pooled connection in use: the key's lookup and a request's session.
        assert http.post("/v1/partners", json=partner_payload()).status_code == 201
        assert http.get("/v1/leads").status_code == 200

        with store.engine.connect() as connection:
            dropped = connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": NAME},
            )
        assert dropped

        answers = [_write_then_read(http) for _ in range(4)]
    statuses = [status for pair in answers for status, _ in pair]
    assert set(statuses) <= {200, 201, 503}, statuses
    for status, response in (answer for pair in answers for answer in pair):
        if status == 503:
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"]["code"] == "unavailable"
    assert [status for status, _ in answers[-1]] == [201, 200], "not reconnected"
    created = sum(status == 201 for status in statuses)
    assert store.count_partners() == 1 + created  # a 503 changed nothing


def _write_then_read(http: httpx.Client) -> list[tuple[int, httpx.Response]]:
    written = http.post("/v1/partners", json=partner_payload())
    read = http.get("/v1/leads")
    return [(written.status_code, written), (read.status_code, read)]
