"""The process's turn to rank (`routing_concurrency` leads at a time): with the store in this
process (SQLite) it covers a lead's whole planning, reads included; with a networked store
(PostgreSQL) the lead's reads wait for the store outside the turn, which another lead's
ranking can take meanwhile. Observed on the store's own statements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.matcher.factories import post_lead, skilled_partner


@pytest.fixture
def turn_held_at_context_reads(client: TestClient) -> Iterator[list[bool]]:
    """For each read of the candidates' lead counters: was the process's turn held?"""
    app: Any = client.app
    engine: Engine = app.state.engine
    gate = app.state.ranking_turn.gate
    held: list[bool] = []

    def observe(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT partner_lead_stats."):
            free = gate.acquire(blocking=False)
            if free:
                gate.release()
            held.append(not free)

    event.listen(engine, "before_cursor_execute", observe)
    yield held
    event.remove(engine, "before_cursor_execute", observe)


def test_the_turn_covers_the_reads_only_of_a_store_in_this_process(
    client: TestClient, turn_held_at_context_reads: list[bool]
) -> None:
    partner = skilled_partner(client, aws_level=5)
    lead = post_lead(client)
    assert lead["assigned_partner_id"] == partner
    in_process = client.app.state.settings.in_process  # type: ignore[attr-defined]
    assert turn_held_at_context_reads == [in_process]
