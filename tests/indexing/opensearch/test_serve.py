"""The service on the OpenSearch backend: API writes are acknowledged during a cluster outage
and are all searchable once it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import Engine

from core.settings import Settings
from indexing.opensearch.indexes import IndexNames
from tests.factories import create_partner
from tests.indexing.opensearch.server import CuttableProxy
from tests.indexing.opensearch.test_sync import indexed_versions, wait_for

DEFAULT_NAMES = IndexNames()


@pytest.fixture
def settings(
    database_url: str, clean_db: Engine, proxy: CuttableProxy, os_client: OpenSearch
) -> Iterator[Settings]:
    """The app's settings (root conftest's `app`/`client` use them) on OpenSearch via the proxy."""
    yield Settings(
        database_url=database_url,
        search_backend="opensearch",
        opensearch_url=proxy.url,
        index_poll_seconds=0.05,
    )
    os_client.indices.delete(index=f"{DEFAULT_NAMES.prefix}-*")


def test_api_writes_during_an_outage_reach_the_index(
    client: TestClient, proxy: CuttableProxy, os_client: OpenSearch
) -> None:
    index = client.app.state.index  # type: ignore[attr-defined]
    before = [create_partner(client, name=f"Before {n}")["id"] for n in range(3)]
    wait_for(lambda: index.lag() == 0)

    proxy.cut()
    during = [create_partner(client, name=f"During {n}")["id"] for n in range(5)]
    patched = client.patch(f"/v1/partners/{before[0]}", json={"name": "Renamed offline"})
    assert patched.status_code == 200
    assert client.delete(f"/v1/partners/{before[1]}").status_code == 204

    proxy.restore()
    wait_for(lambda: index.lag() == 0)
    expected = {pid: 1 for pid in [before[2], *during]} | {before[0]: 2}
    assert indexed_versions(os_client, DEFAULT_NAMES) == expected
    hits = client.get("/v1/partners/search", params={"q": "renamed offline"}).json()["items"]
    assert [hit["id"] for hit in hits] == [before[0]]
