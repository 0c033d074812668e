"""Every query of the accounts domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from matcher.accounts.models import ACTIVE, EXPIRED, Account, Reservation


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def list_accounts(session: Session, *, limit: int) -> list[Account]:
    """Accounts in name order."""
    return list(session.scalars(select(Account).order_by(Account.name, Account.id).limit(limit)))


def domain_taken(session: Session, domain: str) -> bool:
    return session.scalar(select(Account.id).where(Account.domain == domain).limit(1)) is not None


def accounts_by_domains(session: Session, domains: Iterable[str]) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.domain.in_(list(domains)))))


def accounts_by_ids(session: Session, account_ids: Iterable[int]) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.id.in_(list(account_ids)))))


def names_starting_with(session: Session, initial: str) -> list[tuple[int, str]]:
    """(id, normalized_name) of accounts whose key starts with `initial` (a blocking key)."""
    upper = chr(ord(initial) + 1)
    rows = session.execute(_NAMES_BETWEEN, {"lowest": initial, "above": upper})
    return [(row.id, row.normalized_name) for row in rows]


# Every routed lead runs it: built once (a statement built per call costs more than it runs).
_NAMES_BETWEEN = select(Account.id, Account.normalized_name).where(
    Account.normalized_name >= bindparam("lowest"), Account.normalized_name < bindparam("above")
)


def expire_reservations(session: Session, *, account_id: int, now: datetime) -> None:
    """Marks the account's lapsed reservation expired; the write also serialises reservers."""
    session.execute(
        update(Reservation)
        .where(
            Reservation.account_id == account_id,
            Reservation.status == ACTIVE,
            Reservation.until <= now,
        )
        .values(status=EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    )


def active_reservation(session: Session, account_id: int) -> Reservation | None:
    query = select(Reservation).where(
        Reservation.account_id == account_id, Reservation.status == ACTIVE
    )
    return session.scalar(query)


def get_reservation(session: Session, reservation_id: int) -> Reservation | None:
    return session.get(Reservation, reservation_id)


def current_reservations(
    session: Session, account_ids: Iterable[int], *, now: datetime
) -> dict[int, Reservation]:
    """Active, unexpired reservations by account id."""
    query = select(Reservation).where(
        Reservation.account_id.in_(list(account_ids)),
        Reservation.status == ACTIVE,
        Reservation.until > now,
    )
    return {reservation.account_id: reservation for reservation in session.scalars(query)}
