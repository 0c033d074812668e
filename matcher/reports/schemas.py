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


class OfferCounts(BaseModel):
    offers: int = Field(description="Offers made (a lead offered to three partners: three)")
    accepted: int
    declined: int
    expired: int = Field(description="Offers whose acceptance deadline passed unanswered")
    withdrawn: int = Field(description="Offers a channel manager reassigned")
    open: int = Field(description="Offers still waiting for an answer")
    acceptance_rate: float | None = Field(
        description="0-1: accepted among the offers that were accepted, declined or expired"
    )


class PartnerFigures(OfferCounts):
    partner_id: int
    won: int = Field(description="Its accepted leads closed as won")
    lost: int = Field(description="Its accepted leads closed as lost")
    median_response_seconds: float | None = Field(
        description="Median time from an offer to its first answer (accept or decline)"
    )


class RoutingReport(BaseModel):
    start: datetime = Field(description="The window's start (`from`), inclusive")
    end: datetime = Field(description="The window's end (`to`), exclusive")
    leads: int = Field(description="Leads created in [from, to)")
    by_status: dict[str, int] = Field(description="offered, accepted, unassigned, direct")
    acceptance_rate: float | None = Field(
        description="0-1: accepted offers among the offers accepted, declined or expired "
        "(a lead declined by one partner and accepted by the next counts 1 of 2)"
    )
    offers: OfferCounts = Field(description="Every offer of the window's leads and its answer")
    time_to_accept_seconds: Percentiles | None = Field(
        description="From creation to acceptance (linear interpolation between ranks)"
    )
    outcomes: Outcomes = Field(description="How the accepted leads that closed ended")
    reassignments: int = Field(description="Offers after a lead's first (declines, timeouts)")
    leads_per_partner: list[PartnerLeads] = Field(description="Distinct leads offered, most first")
    gini: float | None = Field(
        description="0 (even) - 1 (one partner gets all) over partners offered at least one lead"
    )
    partners: list[PartnerFigures] = Field(
        description="Per partner offered a lead: answers, acceptance, won/lost, response time"
    )
    unassigned_reasons: dict[str, int] = Field(
        description="Unassigned leads per reason (no_eligible_partner, max_offers_reached, ...)"
    )
