"""The change log, which every index follows: a partner write adds its entry in its own
transaction, entries are read in order from any position, and an entry's fingerprint tells a
store that went another way since. Each test runs in a transaction rolled back after it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles import changelog, service
from profiles.models import ChangeLogEntry
from tests.indexing.writes import add

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def create(session: Session, name: str) -> int:
    partner_id = add(session, now=NOW, name=name)
    session.commit()
    return partner_id


def test_each_partner_write_adds_one_entry_in_order(session: Session) -> None:
    start = changelog.head(session)
    first = create(session, "Isar Cloud")
    second = create(session, "Lech Data")
    service.delete_partner(session, first, expected_version=None, now=NOW)
    session.commit()

    entries = changelog.entries_after(session, after=start, limit=10)

    assert [(e.partner_id, e.op, e.version) for e in entries] == [
        (first, "upsert", 1),
        (second, "upsert", 1),
        (first, "delete", 2),  # a delete is newer than every write before it
    ]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert changelog.head(session) == entries[-1].seq
    assert changelog.count_after(session, after=start) == 3


def test_a_rolled_back_write_leaves_no_entry(session: Session) -> None:
    start = changelog.head(session)
    add(session, now=NOW, name="Never Committed")
    session.rollback()

    assert changelog.head(session) == start
    assert changelog.entries_after(session, after=start, limit=10) == []


def test_reading_is_bounded_and_can_wait_for_older_entries(session: Session) -> None:
    start = changelog.head(session)
    ids = [create(session, f"Partner {n}") for n in range(4)]
    seqs = [e.seq for e in changelog.entries_after(session, after=start, limit=10)]

    page = changelog.entries_after(session, after=start, limit=2)
    window = changelog.entries_after(session, after=seqs[1], upto=seqs[2], limit=10)
    with_awaited = changelog.entries_after(session, after=seqs[2], also=[seqs[0]], limit=10)

    assert [e.partner_id for e in page] == ids[:2]
    assert [e.seq for e in window] == [seqs[2]]
    assert [e.seq for e in with_awaited] == [seqs[0], seqs[3]]


def test_a_fingerprint_names_the_entry_and_misses_an_entry_not_there(session: Session) -> None:
    partner = create(session, "Fingerprinted")
    seq = changelog.head(session)
    at = session.scalar(select(ChangeLogEntry.at).where(ChangeLogEntry.seq == seq))
    assert at is not None

    assert changelog.fingerprint(session, seq) == f"{partner}:upsert:1:{at.isoformat()}"
    assert changelog.fingerprint(session, seq + 1) is None
    assert changelog.fingerprint(session, 0) == ""  # the empty log's position
