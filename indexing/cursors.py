"""Page cursors of both backends: opaque tokens bound to the query that issued them.

A cursor is base64 of JSON `[values, fingerprint]`: the backend's position after the last
item, and a digest of the query fields that decide a page's items, so a cursor cannot be
replayed against another search. Decoding is bounded: a token longer than any this service
issues, or JSON nested too deeply, is refused like any other foreign cursor.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from typing import Any

from core.errors import InvalidInput
from indexing.protocol import SearchQuery

MAX_LENGTH = 512  # issued cursors are well under 200 characters


def query_fingerprint(query: SearchQuery) -> str:
    """Digest of what decides a page's items: not the position, page size or date."""
    bound = dataclasses.replace(query, cursor=None, limit=0, on_date=query.on_date.min, now=None)
    return hashlib.blake2b(repr(bound).encode(), digest_size=8).hexdigest()


def encode_cursor(values: list[Any], *, fingerprint: str) -> str:
    payload = json.dumps([values, fingerprint]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(token: str, *, fingerprint: str) -> list[Any]:
    """The position values of a cursor; InvalidInput naming `cursor` if it is not ours."""
    try:
        if len(token) > MAX_LENGTH:
            raise ValueError("longer than any cursor this service issues")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values, issued_for = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise not_ours() from exc
    if issued_for != fingerprint or not isinstance(values, list):
        raise InvalidInput.field("cursor", "belongs to a different search; start again")
    return values


def not_ours() -> InvalidInput:
    return InvalidInput.field("cursor", "is not a cursor returned by this search")
