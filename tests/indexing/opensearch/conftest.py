"""Fixtures: one real OpenSearch node per run (started from OpenSearch's jars, or the cluster named
by PARTNERMATCH_OPENSEARCH_URL), a fresh index prefix per test, the backend over the test store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.database import make_sessionmaker
from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.client import Backoff, make_client, wait_until_healthy
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.node import OpenSearchNode
from indexing.opensearch.sync import SyncConfig
from profiles.freshness import FreshnessPolicy
from tests.indexing.opensearch.server import URL_ENV, CuttableProxy

FAST_BACKOFF = Backoff(attempts=3, initial_s=0.05, max_s=0.2)


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get(URL_ENV)
    if configured:
        yield configured
        return
    with OpenSearchNode(tmp_path_factory.mktemp("opensearch")) as node:
        yield node.url


@pytest.fixture
def os_client(opensearch_url: str) -> Iterator[OpenSearch]:
    client = make_client(opensearch_url, timeout_s=5)
    wait_until_healthy(client, timeout_s=30)
    yield client
    client.close()


@pytest.fixture
def names(os_client: OpenSearch) -> Iterator[IndexNames]:
    """A prefix of this test's own; its indexes are deleted afterwards."""
    prefix = IndexNames(prefix=f"pmtest-{uuid.uuid4().hex[:10]}")
    yield prefix
    os_client.indices.delete(index=f"{prefix.prefix}-*", params={"ignore_unavailable": "true"})


@pytest.fixture
def sessions(clean_db: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(clean_db)


@pytest.fixture
def sync_config() -> SyncConfig:
    return SyncConfig(batch_size=200, gap_timeout_s=0.5, backoff=FAST_BACKOFF)


@pytest.fixture
def backend(
    os_client: OpenSearch,
    sessions: sessionmaker[Session],
    names: IndexNames,
    sync_config: SyncConfig,
) -> OpenSearchIndex:
    index = OpenSearchIndex(
        os_client, sessions=sessions, policy=FreshnessPolicy(), names=names, sync=sync_config
    )
    index.open()
    return index


@pytest.fixture
def proxy(opensearch_url: str) -> Iterator[CuttableProxy]:
    cuttable = CuttableProxy(opensearch_url)
    yield cuttable
    cuttable.close()
