"""Stable pages: keyset cursors over (sort key, partner id), so paging never repeats or skips.

The sort key is -score for relevance and the distance (km) for distance; ties break on the
partner id. A cursor carries the last item's key and id plus a fingerprint of the query, so
it cannot be replayed against a different search.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from api.errors import InvalidInput


@dataclass(frozen=True)
class Position:
    key: float
    partner_id: int


def encode_cursor(position: Position, *, fingerprint: str) -> str:
    payload = json.dumps([repr(position.key), position.partner_id, fingerprint])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


# Ours are under 100 characters; anything much longer is not a cursor of this service.
MAX_CURSOR_LENGTH = 256


def decode_cursor(token: str, *, fingerprint: str) -> Position:
    """The position a cursor points at; InvalidInput naming `cursor` if it is not ours."""
    try:
        if len(token) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key, partner_id, issued_for = json.loads(raw)
        position = Position(float(key), int(partner_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput.field("cursor", "is not a cursor returned by this search") from exc
    if issued_for != fingerprint:
        raise InvalidInput.field("cursor", "belongs to a different search; start again")
    return position


def fingerprint(*parts: object) -> str:
    """A short digest of the query fields a cursor is bound to."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def select_page(
    keys: np.ndarray, ids: np.ndarray, *, after: Position | None, limit: int
) -> tuple[np.ndarray, bool]:
    """Indices of the next `limit` items in (key, id) order after `after`, and whether more
    follow. Linear time: a partition, then a sort of the page only."""
    candidates = None
    if after is not None:
        later = (keys > after.key) | ((keys == after.key) & (ids > after.partner_id))
        candidates = np.flatnonzero(later)
        keys, ids = keys[candidates], ids[candidates]
    has_more = len(keys) > limit
    chosen = _smallest(keys, ids, limit=limit) if has_more else np.arange(len(keys))
    chosen = chosen[np.lexsort((ids[chosen], keys[chosen]))]
    return (chosen if candidates is None else candidates[chosen]), has_more


def _smallest(keys: np.ndarray, ids: np.ndarray, *, limit: int) -> np.ndarray:
    """Positions of the `limit` items smallest in (key, id), unordered."""
    kth = np.partition(keys, limit - 1)[limit - 1]
    below = np.flatnonzero(keys < kth)
    tied = np.flatnonzero(keys == kth)
    needed = limit - len(below)
    if len(tied) > needed:
        tied = tied[np.argpartition(ids[tied], needed - 1)[:needed]]
    return np.concatenate([below, tied])
