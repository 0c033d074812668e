"""The routing report of the v1 contract."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Percentiles(BaseModel):
    median: float
    p90: float


class Outcomes(BaseModel):
    won: int = Field(description="Accepted leads closed as won")
    lost: int = Field(description="Accepted leads closed as lost")
    win_rate: float | None = Field(description="0-1: won among the closed")
    won_value: float = Field(description="Sum of the deal values reported with the wins")
    lost_value: float = Field(description="Sum of the deal values reported with the losses")


class PartnerLeads(BaseModel):
    partner_id: int
    leads: int


class RoutingReport(BaseModel):
    start: datetime = Field(description="The window's start (`from`), inclusive")
    end: datetime = Field(description="The window's end (`to`), exclusive")
    leads: int = Field(description="Leads created in [from, to)")
    by_status: dict[str, int] = Field(description="offered, accepted, unassigned, direct")
    acceptance_rate: float | None = Field(
        description="0-1: accepted leads among the leads offered to at least one partner"
    )
    time_to_accept_seconds: Percentiles | None = Field(
        description="From creation to acceptance (linear interpolation between ranks)"
    )
    outcomes: Outcomes = Field(description="How the accepted leads that closed ended")
    reassignments: int = Field(description="Offers after a lead's first (declines, timeouts)")
    leads_per_partner: list[PartnerLeads] = Field(description="Distinct leads offered, most first")
    gini: float | None = Field(
        description="0 (even) - 1 (one partner gets all) over partners offered at least one lead"
    )
    unassigned_reasons: dict[str, int] = Field(
        description="Unassigned leads per reason (no_eligible_partner, max_offers_reached, ...)"
    )
