"""HTTP routes of customer accounts and reservations: parse, call the service, return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from core.access.deps import Role, allow
from core.deps import CommittingRoute, NowDep, SessionDep, SettingsDep
from matcher.accounts import service
from matcher.accounts.models import Account
from matcher.accounts.schemas import (
    AccountCheck,
    AccountCreate,
    AccountRead,
    ReservationCreate,
    ReservationRead,
)

# Accounts are channel-conflict data: channel managers only (a router-wide access rule).
router = APIRouter(
    route_class=CommittingRoute,
    prefix="/v1/accounts",
    tags=["accounts"],
    dependencies=[allow(Role.ADMIN, Role.MANAGER)],
)

AccountId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The account's id")]
ReservationId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The reservation's id")]


def _read(session: Session, account: Account, *, now: datetime) -> AccountRead:
    return service.account_reads(session, [account], now=now)[0]


@router.post("", status_code=201, response_model=AccountRead)
def create_account(
    data: AccountCreate, session: SessionDep, now: NowDep, response: Response
) -> AccountRead:
    account = service.create_account(session, data, now=now)
    response.headers["Location"] = f"/v1/accounts/{account.id}"
    return _read(session, account, now=now)


@router.get("/check", response_model=AccountCheck)
def check_account(
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    domain: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
) -> AccountCheck:
    """Whether a customer is taken and by whom, by domain and by normalised company name."""
    return service.check(
        session, name=name, domain=domain, now=now, threshold=settings.account_match_threshold
    )


@router.get("/{account_id}", response_model=AccountRead)
def get_account(session: SessionDep, now: NowDep, account_id: AccountId) -> AccountRead:
    return _read(session, service.get_account(session, account_id), now=now)


@router.post("/{account_id}/reservations", status_code=201, response_model=ReservationRead)
def reserve_account(
    data: ReservationCreate,
    session: SessionDep,
    now: NowDep,
    response: Response,
    account_id: AccountId,
) -> ReservationRead:
    """Reserve for a partner (201), or extend that partner's own reservation (200)."""
    reservation, created = service.reserve(
        session, account_id, partner_id=data.partner_id, until=data.until, now=now
    )
    response.status_code = 201 if created else 200
    return ReservationRead.model_validate(reservation)


@router.delete(
    "/{account_id}/reservations/{reservation_id}", status_code=204, response_class=Response
)
def release_reservation(
    session: SessionDep, now: NowDep, account_id: AccountId, reservation_id: ReservationId
) -> None:
    service.release(session, account_id, reservation_id=reservation_id, now=now)
