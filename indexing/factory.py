"""The configured PartnerIndex for a process: opened (snapshot or rebuild), caught up, polling."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from api.settings import Settings
from indexing.embedded import EmbeddedIndex
from indexing.opensearch.backend import OpenSearchIndex, open_opensearch_index
from scoring.freshness import FreshnessPolicy


def open_index(
    settings: Settings, engine: Engine, *, poll: bool = True
) -> EmbeddedIndex | OpenSearchIndex:
    """The embedded index, caught up with the store; with `poll`, it then follows the change
    log every `settings.index_poll_seconds` until `close()`."""
    if settings.search_backend == "opensearch":
        return open_opensearch_index(settings, engine, poll=poll)
    index = EmbeddedIndex(
        engine,
        policy=FreshnessPolicy(
            due_after_days=settings.due_after_days, stale_after_days=settings.stale_after_days
        ),
        snapshot_dir=Path(settings.index_dir) / "embedded",
    )
    index.open()
    if poll:
        index.start_polling(settings.index_poll_seconds)
    return index
