"""Index snapshots on disk: fast restarts, damage detected by checksum.

A snapshot is a joblib file (numpy arrays stored raw) plus a JSON manifest holding its
SHA-256, format version and the index's position: the store it was built from and the last
change-log entry it includes. Both are written to
temporary files and renamed into place under an exclusive file lock, so processes sharing
`index_dir` never read a half-written snapshot.

A loaded snapshot's arrays are memory-mapped read-only from the file, not copied: the worker
processes of one `serve` share one copy of the main segment in the page cache (a state is
never modified in place; a write builds a new delta). A later save renames a new file into
place; the processes keep the one they mapped until they load again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from filelock import FileLock

from indexing.embedded.state import IndexState
from indexing.embedded.sync import Position

log = logging.getLogger(__name__)

FORMAT_VERSION = 6  # 2: offices by point; 3: padded facets; 4: position; 5: language facet;
# 6: a k-d tree over unit vectors instead of a haversine BallTree
_DATA = "snapshot.joblib"
_MANIFEST = "snapshot.json"


@dataclass(frozen=True)
class Snapshot:
    state: IndexState
    position: Position


class SnapshotDamaged(Exception):
    """The snapshot on disk cannot be trusted; the caller rebuilds from the store."""


def save(directory: Path, snapshot: Snapshot) -> None:
    """Write atomically; the previous snapshot stays readable until the rename."""
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        data_tmp = directory / f".{_DATA}.{os.getpid()}"
        joblib.dump(snapshot, data_tmp)
        manifest = {
            "format": FORMAT_VERSION,
            "sha256": _digest(data_tmp),
            "store_id": snapshot.position.store_id,
            "last_seq": snapshot.position.last_seq,
            "partners": snapshot.state.partners,
        }
        manifest_tmp = directory / f".{_MANIFEST}.{os.getpid()}"
        manifest_tmp.write_text(json.dumps(manifest))
        os.replace(data_tmp, directory / _DATA)
        os.replace(manifest_tmp, directory / _MANIFEST)


def load(directory: Path) -> Snapshot | None:
    """The snapshot in `directory`; None if there is none; SnapshotDamaged if corrupt."""
    manifest_path, data_path = directory / _MANIFEST, directory / _DATA
    if not manifest_path.exists() and not data_path.exists():
        return None
    with _locked(directory):
        try:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("format") != FORMAT_VERSION:
                raise SnapshotDamaged(f"format {manifest.get('format')} != {FORMAT_VERSION}")
            if _digest(data_path) != manifest.get("sha256"):
                raise SnapshotDamaged("checksum mismatch")
            snapshot = _plain_arrays(joblib.load(data_path, mmap_mode="r"), seen=set())
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, KeyError) as exc:
            raise SnapshotDamaged(str(exc)) from exc
        except (AttributeError, ImportError, TypeError) as exc:  # names this code lacks
            raise SnapshotDamaged(f"written by another version of partnermatch: {exc}") from exc
    if not isinstance(snapshot, Snapshot) or snapshot.position.last_seq != manifest.get("last_seq"):
        raise SnapshotDamaged("unexpected content")
    return snapshot


def _plain_arrays(value: Any, *, seen: set[int]) -> Any:
    """`value` with each np.memmap inside it replaced by a plain ndarray view of the same
    mapped pages. The memmap subclass runs Python code for every slice and every array derived
    from it (`__array_finalize__`), which took 45% of a search's time on a mapped snapshot."""
    if isinstance(value, np.memmap):
        return value.view(np.ndarray)
    if isinstance(value, np.ndarray | str | bytes | int | float | type | None) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        value[:] = [_plain_arrays(item, seen=seen) for item in value]
    elif isinstance(value, dict):
        for key, item in value.items():
            value[key] = _plain_arrays(item, seen=seen)
    elif isinstance(value, tuple):
        items = [_plain_arrays(item, seen=seen) for item in value]
        return value._make(items) if hasattr(value, "_make") else tuple(items)
    elif hasattr(value, "__dict__"):
        for name, item in vars(value).items():
            object.__setattr__(value, name, _plain_arrays(item, seen=seen))
    return value


def _digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _locked(directory: Path) -> FileLock:
    """An exclusive lock shared by every process keeping snapshots in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return FileLock(directory / ".lock")
