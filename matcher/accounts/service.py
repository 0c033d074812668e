"""Channel-conflict behaviour: accounts, reservations, and who holds a customer. Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.database import get_or_not_found
from core.errors import Conflict, InvalidInput, NotFound
from matcher.accounts import repository
from matcher.accounts.models import ACTIVE, DIRECT, RELEASED, Account, Reservation
from matcher.accounts.names import normalise_company_name, normalise_domain, parent_domains
from matcher.accounts.schemas import (
    AccountCheck,
    AccountCreate,
    AccountFields,
    AccountMatch,
    AccountRead,
    Holder,
)
from profiles import repository as partners

_MAX_NAME_MATCHES = 20


def create_account(session: Session, data: AccountCreate, *, now: datetime) -> Account:
    if data.parent_id is not None and repository.get_account(session, data.parent_id) is None:
        raise InvalidInput.field("parent_id", f"account {data.parent_id} does not exist")
    if data.domain is not None and repository.domain_taken(session, data.domain):
        raise Conflict(
            f"an account with domain {data.domain} exists",
            details=[{"field": "domain", "message": "already used by another account"}],
        )
    account = Account(
        name=data.name,
        normalized_name=normalise_company_name(data.name),
        domain=data.domain,
        country=data.country,
        parent_id=data.parent_id,
        owner=data.owner,
        created_at=now,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create took the domain first
        raise Conflict(f"an account with domain {data.domain} exists") from exc
    return account


def get_account(session: Session, account_id: int) -> Account:
    return get_or_not_found(session, Account, account_id, what="account")


def reserve(
    session: Session, account_id: int, *, partner_id: int, until: datetime, now: datetime
) -> tuple[Reservation, bool]:
    """Reserves the account for the partner (True) or extends its own reservation (False).

    Concurrent reservers are decided by the unique index on active reservations: the loser's
    INSERT fails and becomes a 409.
    """
    account = get_account(session, account_id)
    if account.owner == DIRECT:
        raise Conflict(f"account {account_id} is owned by direct sales")
    if until <= now:
        raise InvalidInput.field("until", "must be in the future")
    if partners.get_partner(session, partner_id) is None:
        raise InvalidInput.field("partner_id", f"partner {partner_id} does not exist")
    repository.expire_reservations(session, account_id=account_id, now=now)
    current = repository.active_reservation(session, account_id)
    if current is not None and current.partner_id == partner_id:
        current.until = until
        return current, False
    if current is not None:
        raise _reserved(current)
    reservation = Reservation(
        account_id=account_id, partner_id=partner_id, until=until, status=ACTIVE, created_at=now
    )
    session.add(reservation)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"account {account_id} was just reserved by another partner") from exc
    return reservation, True


def release(session: Session, account_id: int, *, reservation_id: int, now: datetime) -> None:
    reservation = repository.get_reservation(session, reservation_id)
    if reservation is None or reservation.account_id != account_id:
        raise NotFound(f"reservation {reservation_id} of account {account_id} not found")
    if reservation.status == ACTIVE:
        reservation.status = RELEASED
        reservation.ended_at = now


def account_reads(session: Session, accounts: list[Account], *, now: datetime) -> list[AccountRead]:
    """The API view of accounts: each with its active reservation and effective holder."""
    reservations = repository.current_reservations(session, [a.id for a in accounts], now=now)
    held = holders(session, accounts, now=now)
    return [
        AccountRead.model_validate(
            {
                **AccountFields.model_validate(account).model_dump(),
                "reservation": reservations.get(account.id),
                "holder": held[account.id],
            }
        )
        for account in accounts
    ]


def list_accounts(session: Session, *, now: datetime, limit: int) -> list[AccountRead]:
    return account_reads(session, repository.list_accounts(session, limit=limit), now=now)


def holders(
    session: Session, accounts: Iterable[Account], *, now: datetime
) -> dict[int, Holder | None]:
    """Effective holder per account: its own reservation or direct ownership, else its
    nearest parent's (a subsidiary reserved separately keeps its own reservation)."""
    wanted = list(accounts)
    known = {account.id: account for account in wanted}
    missing = {a.parent_id for a in wanted if a.parent_id is not None} - known.keys()
    while missing:
        known.update((a.id, a) for a in repository.accounts_by_ids(session, missing))
        missing = {a.parent_id for a in known.values() if a.parent_id is not None} - known.keys()
    reservations = repository.current_reservations(session, known, now=now)

    def resolve(account: Account | None) -> Holder | None:
        while account is not None:
            reservation = reservations.get(account.id)
            if reservation is not None:
                return Holder(
                    kind="partner",
                    partner_id=reservation.partner_id,
                    account_id=account.id,
                    until=reservation.until,
                )
            if account.owner == DIRECT:
                return Holder(kind="direct", partner_id=None, account_id=account.id, until=None)
            account = known.get(account.parent_id) if account.parent_id is not None else None
        return None

    return {account.id: resolve(account) for account in wanted}


def check(
    session: Session, *, name: str | None, domain: str | None, now: datetime, threshold: float
) -> AccountCheck:
    """Is the customer taken? Domain matches (parent domains too) first, then names whose
    normalised form is at least `threshold` (0-100) similar."""
    if name is None and domain is None:
        raise InvalidInput.field("name", "give a name or a domain (or both)")
    scored: dict[int, tuple[str, float]] = {}
    if domain is not None:
        try:
            host = normalise_domain(domain)
        except ValueError as exc:
            raise InvalidInput.field("domain", str(exc)) from exc
        for account in repository.accounts_by_domains(session, parent_domains(host)):
            scored[account.id] = ("domain", 100.0)
    if name is not None:
        for account_id, similarity in _similar_names(session, name, threshold=threshold):
            scored.setdefault(account_id, ("name", similarity))
    if not scored:
        return AccountCheck(taken=False, holder=None, matches=[])
    accounts = repository.accounts_by_ids(session, scored)
    held = holders(session, accounts, now=now)
    matches = sorted(
        (
            AccountMatch(
                account_id=account.id,
                name=account.name,
                domain=account.domain,
                matched_on=scored[account.id][0],  # type: ignore[arg-type]
                similarity=round(scored[account.id][1], 1),
                holder=held[account.id],
            )
            for account in accounts
        ),
        key=lambda m: (m.matched_on != "domain", -m.similarity, m.account_id),
    )
    holder = next((match.holder for match in matches if match.holder is not None), None)
    return AccountCheck(taken=holder is not None, holder=holder, matches=matches)


def _similar_names(session: Session, name: str, *, threshold: float) -> list[tuple[int, float]]:
    """Account ids whose normalised name is near `name`; blocked on the first character so a
    check reads a slice of the accounts, not all of them."""
    key = normalise_company_name(name)
    if not key:
        raise InvalidInput.field("name", "must contain letters or digits")
    rows = repository.names_starting_with(session, key[0])
    found = process.extract(
        key,
        dict(rows),
        scorer=fuzz.token_sort_ratio,
        score_cutoff=threshold,
        limit=_MAX_NAME_MATCHES,
    )
    return [(account_id, similarity) for _, similarity, account_id in found]


def _reserved(current: Reservation) -> Conflict:
    return Conflict(
        f"account {current.account_id} is reserved by partner {current.partner_id} "
        f"until {current.until.isoformat()}",
        details=[{"field": "partner_id", "message": f"held by partner {current.partner_id}"}],
    )
