"""Public profiles as directory results show them, kept per process so a search page does not
load its partners from the store every time.

A view is built from the store once per (partner, version, day: expired certifications drop
out at midnight) and used while the index serves that version; the index drops the partners
it reloads (`PartnerIndex.subscribe`), so a view never outlives what the index holds. Each
view keeps its JSON too, which the API's search pages are written from (`PublicView`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cachetools import LRUCache

from profiles.schemas import PartnerPublic

CAPACITY = 20_000  # partners; a page's worth each search, the hot ones stay


@dataclass(frozen=True, slots=True)
class PublicView:
    """A partner's public profile, and its JSON object without the closing brace: a directory
    item is that object with the hit's fields added, so an API search page is written without
    building (and serialising) twenty item models."""

    profile: PartnerPublic
    open_json: bytes

    @classmethod
    def of(cls, profile: PartnerPublic) -> PublicView:
        return cls(profile=profile, open_json=profile.model_dump_json().encode()[:-1])


class PublicViews:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._views: LRUCache[int, tuple[int, date, PublicView]] = LRUCache(capacity)
        self._lock = threading.Lock()

    def get(self, partner_id: int, *, version: int | None, day: date) -> PublicView | None:
        with self._lock:
            entry = self._views.get(partner_id)
        if entry is None or version is None or entry[:2] != (version, day):
            return None
        return entry[2]

    def put(self, view: PublicView, *, version: int, day: date) -> None:
        with self._lock:
            self._views[view.profile.id] = (version, day, view)

    def forget(self, partner_ids: Iterable[int]) -> None:
        with self._lock:
            for partner_id in partner_ids:
                self._views.pop(partner_id, None)
