"""Fixtures for the embedded index: a clean store and an index factory closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from indexing.embedded import EmbeddedIndex
from profiles.freshness import FreshnessPolicy

IndexFactory = Callable[..., EmbeddedIndex]


@pytest.fixture
def store(clean_db: Engine) -> Engine:
    return clean_db


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def open_index(store: Engine, tmp_path: Path) -> Iterator[IndexFactory]:
    """Opens indexes on the test store (snapshots under tmp_path unless told otherwise)."""
    opened: list[EmbeddedIndex] = []

    def factory(*, snapshot_dir: Path | None = None, merge_at: int | None = None) -> EmbeddedIndex:
        index = EmbeddedIndex(
            store, policy=FreshnessPolicy(), snapshot_dir=snapshot_dir, merge_at=merge_at
        )
        index.open()
        opened.append(index)
        return index

    yield factory
    for index in opened:
        index.close()
