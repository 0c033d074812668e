"""Restarting from a snapshot: fresh, outdated (caught up) and damaged (rebuilt)."""

from __future__ import annotations

import hashlib
import json
import mmap
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, delete

from indexing.embedded import snapshot
from indexing.protocol import SearchQuery
from profiles.models import Partner
from tests.indexing.embedded.conftest import IndexFactory
from tests.indexing.embedded.test_index import found
from tests.indexing.factories import add_partner


@pytest.fixture
def snapshots(tmp_path: Path) -> Path:
    return tmp_path / "snapshots"


def _vanish_without_log(engine: Engine, partner_id: int) -> None:
    """Remove a partner behind the index's back: only a rebuild can notice."""
    with engine.begin() as connection:
        connection.execute(delete(Partner).where(Partner.id == partner_id))


class TestRestart:
    def test_a_fresh_snapshot_is_loaded_instead_of_rebuilding(
        self, store: Engine, open_index: IndexFactory, snapshots: Path, now: datetime
    ) -> None:
        partner = add_partner(store, name="Snapshot Partner", now=now)
        first = open_index(snapshot_dir=snapshots)
        first.close()
        _vanish_without_log(store, partner)
        restarted = open_index(snapshot_dir=snapshots)
        assert found(restarted, q="snapshot") == {partner}
        assert restarted.stats().last_seq == first.stats().last_seq

    def test_a_loaded_snapshot_is_mapped_as_plain_arrays(
        self, store: Engine, open_index: IndexFactory, snapshots: Path, now: datetime
    ) -> None:
        """Shared pages of the file (one copy for every worker), without numpy's memmap
        subclass, whose Python hooks took 45% of a search's time."""
        add_partner(store, name="Mapped Partner", now=now)
        open_index(snapshot_dir=snapshots).close()
        loaded = snapshot.load(snapshots)
        assert loaded is not None
        lat = loaded.state.main.offices.lat
        assert type(lat) is np.ndarray and not lat.flags.owndata and not lat.flags.writeable
        assert isinstance(lat.base, mmap.mmap) or isinstance(lat.base.base, mmap.mmap)
        assert type(loaded.state.main.text.by_partner.data) is np.ndarray

    def test_an_outdated_snapshot_is_caught_up(
        self, store: Engine, open_index: IndexFactory, snapshots: Path, now: datetime
    ) -> None:
        old = add_partner(store, name="Old Partner", now=now)
        open_index(snapshot_dir=snapshots).close()
        new = add_partner(store, name="New Partner", now=now)
        restarted = open_index(snapshot_dir=snapshots)
        assert found(restarted, q="partner") == {old, new}
        assert restarted.lag() == 0

    @pytest.mark.parametrize("damage", ["flip_bytes", "truncate", "bad_manifest", "other_code"])
    def test_a_damaged_snapshot_is_rebuilt_from_the_store(
        self,
        store: Engine,
        open_index: IndexFactory,
        snapshots: Path,
        now: datetime,
        damage: str,
    ) -> None:
        kept = add_partner(store, name="Kept Partner", now=now)
        gone = add_partner(store, name="Gone Partner", now=now)
        open_index(snapshot_dir=snapshots).close()
        _vanish_without_log(store, gone)
        _damage(snapshots, damage)
        restarted = open_index(snapshot_dir=snapshots)
        assert found(restarted, q="partner") == {kept}  # rebuilt: the vanished one is gone
        query = SearchQuery(on_date=date.today(), q="kept")
        assert restarted.search(query).total == 1


def _damage(directory: Path, how: str) -> None:
    data = directory / "snapshot.joblib"
    if how == "flip_bytes":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    elif how == "truncate":
        data.write_bytes(data.read_bytes()[:100])
    elif how == "bad_manifest":
        (directory / "snapshot.json").write_text("{not json")
    else:  # intact, but pickled by a version whose classes this code no longer has
        data.write_bytes(b"cindexing.embedded.attribute\nFacetTable\n.")
        manifest = json.loads((directory / "snapshot.json").read_text())
        manifest["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
        (directory / "snapshot.json").write_text(json.dumps(manifest))
