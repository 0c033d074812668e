"""Account and reservation models of the v1 contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.schemas import Strict
from matcher.accounts.names import normalise_domain
from profiles.schemas import CountryCode, Name, UtcDateTime

Domain = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(normalise_domain)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class AccountCreate(Strict):
    name: Name
    domain: Domain | None = None
    country: CountryCode | None = None
    parent_id: Id | None = None
    owner: Literal["direct"] | None = None


class ReservationCreate(Strict):
    partner_id: Id
    until: UtcDateTime


class ReservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    partner_id: int
    until: datetime
    status: Literal["active", "released", "expired"]
    created_at: datetime


class Holder(BaseModel):
    """Who holds an account: direct sales or a partner, through `account_id` (self or parent)."""

    kind: Literal["direct", "partner"]
    partner_id: int | None
    account_id: int
    until: datetime | None


class AccountFields(BaseModel):
    """An account's own stored fields."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    normalized_name: str
    domain: str | None
    country: str | None
    parent_id: int | None
    owner: Literal["direct"] | None
    created_at: datetime


class AccountRead(AccountFields):
    """An account with its active reservation and effective holder."""

    reservation: ReservationRead | None = Field(description="This account's active reservation")
    holder: Holder | None = Field(description="Effective holder, a parent's reservation included")


class AccountMatch(BaseModel):
    account_id: int
    name: str
    domain: str | None
    matched_on: Literal["domain", "name"]
    similarity: float = Field(description="0-100; 100 for a domain or an exact name match")
    holder: Holder | None


class AccountCheck(BaseModel):
    taken: bool
    holder: Holder | None = Field(description="The holder of the best match that is held")
    matches: list[AccountMatch]
