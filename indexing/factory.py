"""The configured PartnerIndex for a process: opened (snapshot or rebuild), caught up, polling."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from core.settings import Settings
from indexing.embedded import EmbeddedIndex
from indexing.protocol import PartnerIndex
from profiles.freshness import FreshnessPolicy

log = logging.getLogger(__name__)


def open_index(settings: Settings, engine: Engine, *, poll: bool = True) -> PartnerIndex:
    """The embedded index, caught up with the store; with `poll`, it then follows the change
    log every `settings.index_poll_seconds` until `close()`. The OpenSearch backend (an
    optional extra) is imported only when configured."""
    if settings.search_backend == "opensearch":
        from indexing.opensearch.backend import open_opensearch_index

        return open_opensearch_index(settings, engine, poll=poll)
    index = EmbeddedIndex(
        engine,
        policy=FreshnessPolicy(
            due_after_days=settings.due_after_days, stale_after_days=settings.stale_after_days
        ),
        snapshot_dir=_usable(Path(settings.index_dir) / "embedded"),
    )
    index.open()
    if poll:
        index.start_polling(settings.index_poll_seconds, check_seconds=settings.index_check_seconds)
    return index


def _usable(directory: Path) -> Path | None:
    """`directory` if snapshots can be kept there; None (the index lives in memory only and
    is rebuilt at each start) if not, e.g. when a file stands where the folder should be."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".writable"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        log.error(
            "cannot keep index snapshots in %s (%s); the index stays in memory", directory, exc
        )
        return None
    return directory
