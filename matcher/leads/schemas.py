"""Lead routing models of the v1 contract (the lead itself is `payload.LeadIn`); the views
read the stored rows through `from_attributes`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.schemas import Strict
from matcher.accounts.schemas import Holder
from matcher.leads.models import Lead as LeadRow
from matcher.leads.models import LeadEvent as LeadEventRow
from scoring.schemas import Coordinates, ExcludedCandidate, RankedCandidate

LeadStatus = Literal["offered", "accepted", "unassigned", "direct"]
Policy = Literal["balanced", "best"]


class DeclineIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class CloseIn(Strict):
    outcome: Literal["won", "lost"]
    value: float | None = Field(default=None, ge=0, le=1e12, description="The deal's value")


class OverrideIn(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Why the conflict is crossed")


class AssignIn(Strict):
    """A channel manager hands the lead to a chosen partner, saying why."""

    partner_id: int = Field(ge=1, le=2**63 - 1)
    reason: str = Field(min_length=1, max_length=500)
    override_conflict: OverrideIn | None = Field(
        default=None,
        description="Needed when the customer is reserved by another partner or is direct",
    )


class Actor(BaseModel):
    role: Literal["system", "admin", "manager", "partner"]
    key_id: int | None
    on_behalf_of_partner_id: int | None = Field(
        description="The partner a manager or admin acted for"
    )


class LeadEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: Literal[
        "created",
        "widened",
        "offered",
        "accepted",
        "declined",
        "expired",
        "closed",
        "unassigned",
        "direct",
        "assigned",
        "withdrawn",
        "override",
    ]
    partner_id: int | None
    actor: Actor
    reason: str | None


class LeadSummary(BaseModel):
    """A lead in a list: where it stands, without its ranking."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    status: LeadStatus
    reason: str | None = Field(description="Why the lead is unassigned or direct")
    assigned_partner_id: int | None
    offered_at: datetime | None
    accept_by: datetime | None
    accepted_at: datetime | None
    outcome: Literal["won", "lost"] | None
    deal_value: float | None = Field(description="Reported when the lead was closed")
    offers: int = Field(description="How many partners it has been offered to")
    created_at: datetime


class LeadPage(BaseModel):
    items: list[LeadSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


class LeadRead(LeadSummary):
    policy: Policy
    account: Holder | None = Field(description="The customer's holder, when the account is held")
    model_version: str | None = Field(description="The ranking model that ranked the candidates")
    max_km_beyond_radius: float | None = Field(
        description="km beyond partners' service radii the lead was allowed (0: territories)"
    )
    location: Coordinates | None
    candidates: list[RankedCandidate]
    excluded: list[ExcludedCandidate]
    updated_at: datetime


class LeadDetail(LeadRead):
    history: list[LeadEventRead]


def lead_detail(lead: LeadRow, events: list[LeadEventRow]) -> LeadDetail:
    """The stored lead and its history, as the API shows them."""
    history = [LeadEventRead.model_validate(event) for event in events]
    return LeadDetail(**dict(LeadRead.model_validate(lead)), history=history)
