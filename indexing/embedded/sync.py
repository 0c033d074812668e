"""Following the change log: an index's position in it and the entries it has not applied.

Partner writes are serialised while they append (see `profiles.changelog`), so entries
become visible in sequence order: reading `seq > last_seq` never skips an entry, however
long the transaction that wrote it ran, and a missing number is a rolled-back transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from profiles import changelog

BATCH_SIZE = 10_000


@dataclass(frozen=True)
class Position:
    """Where an index stands: the store it follows and the last entry it applied, named by
    the entry's fingerprint so a store that went another way since is recognised."""

    store_id: str
    last_seq: int
    fingerprint: str

    @classmethod
    def at_head(cls, connection: Connection) -> Position:
        head = changelog.head(connection)
        return cls.at(connection, head)

    @classmethod
    def at(cls, connection: Connection, seq: int) -> Position:
        return cls(
            store_id=changelog.store_id(connection),
            last_seq=seq,
            fingerprint=changelog.fingerprint(connection, seq) or "",
        )

    def problem_with(self, connection: Connection) -> str | None:
        """Why this position does not belong to the store behind `connection` (None if it
        does): another store, or a log that lacks or differs at the position's entry."""
        if self.store_id != changelog.store_id(connection):
            return f"it was built from store {self.store_id}, not this one"
        if changelog.fingerprint(connection, self.last_seq) != self.fingerprint:
            return f"the store's change log differs at seq {self.last_seq} (a restored backup?)"
        return None


def pending(
    connection: Connection, *, after: int, upto: int | None = None
) -> tuple[list[int], list[int]]:
    """Entries after `after` (and up to `upto`), at most BATCH_SIZE: (their seqs, the
    partner ids they touch)."""
    entries = changelog.entries_after(connection, after=after, upto=upto, limit=BATCH_SIZE)
    return [e.seq for e in entries], sorted({e.partner_id for e in entries})
