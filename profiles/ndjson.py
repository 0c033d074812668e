"""NDJSON bodies read as they arrive: numbered, non-blank lines in batches, memory bounded."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator

from core.errors import InvalidInput

NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})


async def ndjson_batches(
    chunks: AsyncIterator[bytes], *, size: int
) -> AsyncIterator[list[tuple[int, str]]]:
    """Lists of at most `size` (line number, text) pairs; blank lines are skipped but counted.
    A body that is not UTF-8 is an InvalidInput naming `body` (batches before it stand)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending, number, batch = "", 0, []
    async for chunk in chunks:
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise InvalidInput.field("body", f"line {number + 1} is not UTF-8") from exc
        *complete, pending = pending.split("\n")
        for line in complete:
            number += 1
            if line.strip():
                batch.append((number, line))
            if len(batch) == size:
                yield batch
                batch = []
    if pending.strip():
        batch.append((number + 1, pending))
    if batch:
        yield batch
