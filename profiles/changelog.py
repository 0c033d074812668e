"""The change log: one row per partner write, in the write's own transaction; every index
follows it. This module owns it: appending, the write lock, the head, and reading entries.

Appends are serialised: on PostgreSQL a transaction-scoped advisory lock is taken before a
transaction's first partner write and held until it ends (SQLite has one writer at a time
anyway). A sequence number is therefore only drawn while no other partner write is open,
so numbers become visible in order: once seq n is visible, every lower seq is visible too
or belonged to a transaction that rolled back. A follower reads `seq > last` and never has
to wait on a gap, however long the transaction that wrote an entry ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, func, insert, select, text
from sqlalchemy.orm import Session

from core.database import note_search_change
from profiles.models import (
    Certification,
    ChangeLogEntry,
    Location,
    Partner,
    PartnerSkill,
    StoreIdentity,
)

# pg_advisory_xact_lock key of partner writes ("pmcl").
_LOCK_KEY = 0x706D636C
_LOCKED = "partnermatch.change_log_locked"
_PARTNER_ROWS = (Partner, Location, PartnerSkill, Certification)


@dataclass(frozen=True)
class Change:
    seq: int
    partner_id: int
    op: str  # "upsert" | "delete"
    version: int


def lock_for_writes(session: Session) -> None:
    """Serialise this transaction's partner writes with every other's (see the module doc).
    Idempotent within a transaction; taken before any partner row is written, so writers
    always lock in the same order and cannot deadlock on it."""
    transaction = session.get_transaction()
    if session.info.get(_LOCKED) is transaction:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    session.info[_LOCKED] = transaction


@event.listens_for(Session, "before_flush")
def _lock_before_partner_flush(session: Session, _context: Any, _instances: Any) -> None:
    pending = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, _PARTNER_ROWS) for row in pending):
        lock_for_writes(session)


def append(session: Session, changes: list[dict[str, object]]) -> None:
    """Add entries (partner_id, op, version, at) in the caller's transaction."""
    if changes:
        lock_for_writes(session)
        note_search_change(session)
        session.execute(insert(ChangeLogEntry.__table__), changes)  # type: ignore[arg-type]


def head(connection: Connection | Session) -> int:
    """The highest committed seq (0 for an empty log)."""
    return int(connection.scalar(select(func.max(ChangeLogEntry.seq))) or 0)


def entries_after(
    connection: Connection | Session,
    *,
    after: int,
    limit: int,
    upto: int | None = None,
    also: Sequence[int] = (),
) -> list[Change]:
    """Up to `limit` entries with seq > `after` (and <= `upto` if given), or among `also`
    (seqs a follower still waits for), in seq order."""
    condition = ChangeLogEntry.seq > after
    if upto is not None:
        condition &= ChangeLogEntry.seq <= upto
    if also:
        condition |= ChangeLogEntry.seq.in_(list(also))
    rows = connection.execute(
        select(
            ChangeLogEntry.seq, ChangeLogEntry.partner_id, ChangeLogEntry.op, ChangeLogEntry.version
        )
        .where(condition)
        .order_by(ChangeLogEntry.seq)
        .limit(limit)
    )
    return [Change(int(seq), int(pid), op, int(version)) for seq, pid, op, version in rows]


def count_after(connection: Connection | Session, *, after: int) -> int:
    """How many entries have seq > `after` (an index's lag)."""
    condition = ChangeLogEntry.seq > after
    return int(connection.scalar(select(func.count()).where(condition)) or 0)


def fingerprint(connection: Connection | Session, seq: int) -> str | None:
    """What entry `seq` says (partner, op, version, instant); None if the log has no such
    entry. An index records it with its position: a store whose entry differs (a restored
    backup that went another way since) is not the one the index followed."""
    if seq == 0:
        return ""
    row = connection.execute(
        select(
            ChangeLogEntry.partner_id, ChangeLogEntry.op, ChangeLogEntry.version, ChangeLogEntry.at
        ).where(ChangeLogEntry.seq == seq)
    ).first()
    if row is None:
        return None
    partner_id, op, version, at = row
    return f"{partner_id}:{op}:{version}:{at.isoformat()}"


def store_id(connection: Connection | Session) -> str:
    """This store's identity, made with its schema."""
    return str(connection.scalar(select(StoreIdentity.store_id)))
