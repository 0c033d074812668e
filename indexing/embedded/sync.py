"""Following the change log without skipping entries that commit out of order.

On PostgreSQL a sequence number is taken when a transaction inserts its change-log row but
becomes visible only when it commits, so seq 41 can appear after seq 42 was read. The
follower remembers every number it skipped over ("gaps") and asks for them again on each
poll for `GAP_GRACE_SECONDS`; a gap still missing then belongs to a rolled-back transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
from sqlalchemy import Connection

from indexing.embedded import repository

GAP_GRACE_SECONDS = 60.0
# At most this many recent gaps are tracked (a jump of the sequence is not a backlog).
GAP_WINDOW = 10_000
BATCH_SIZE = 10_000


class ChangeFollower:
    """The position of one index in the change log: highest seq applied and open gaps."""

    def __init__(self, *, last_seq: int = 0, gaps: Iterable[int] = ()) -> None:
        self.last_seq = last_seq
        now = time.monotonic()
        self._gaps: dict[int, float] = {seq: now for seq in gaps}

    @classmethod
    def at_head(cls, connection: Connection) -> ChangeFollower:
        """Positioned at the newest committed entry; recent missing numbers become gaps."""
        head = repository.max_seq(connection)
        low = max(1, head - GAP_WINDOW + 1)
        present = repository.seqs_between(connection, low=low, high=head)
        missing = np.setdiff1d(np.arange(low, head + 1), present)
        return cls(last_seq=head, gaps=missing.tolist())

    @property
    def gaps(self) -> list[int]:
        return sorted(self._gaps)

    def poll(self, connection: Connection) -> tuple[list[int], list[int]]:
        """Entries not applied yet: (their seqs, the distinct partner ids they touch)."""
        entries = repository.changes(
            connection, after=self.last_seq, also=self.gaps, limit=BATCH_SIZE
        )
        seqs = [seq for seq, _ in entries]
        return seqs, sorted({partner_id for _, partner_id in entries})

    def advance(self, seqs: list[int]) -> None:
        """Record `seqs` as applied; numbers skipped on the way become gaps.

        The gap map is replaced, never changed in place, so `lag()` may read it from another
        thread at any time.
        """
        now = time.monotonic()
        applied = set(seqs)
        gaps = {seq: noticed for seq, noticed in self._gaps.items() if seq not in applied}
        head = max(seqs, default=self.last_seq)
        if head > self.last_seq:
            start = max(self.last_seq + 1, head - GAP_WINDOW + 1)
            gaps.update({seq: now for seq in range(start, head) if seq not in applied})
        self._gaps = {
            seq: noticed
            for seq, noticed in gaps.items()
            if now - noticed < GAP_GRACE_SECONDS and seq > head - GAP_WINDOW
        }
        self.last_seq = max(head, self.last_seq)

    def lag(self, connection: Connection) -> int:
        """Committed entries not applied yet (0 when the index is caught up)."""
        return repository.count_changes(connection, after=self.last_seq, also=self.gaps)
