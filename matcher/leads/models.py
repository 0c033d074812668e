"""ORM classes of leads, their audit trail, per-partner lead counters and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK, UTCDateTime

OFFERED, ACCEPTED, UNASSIGNED, DIRECT = "offered", "accepted", "unassigned", "direct"


class Lead(Base):
    """An opportunity and where routing has taken it; `ranking` is the routing-time snapshot."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_status_accept_by", "status", "accept_by"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_domain: Mapped[str | None] = mapped_column(String(253))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(40))
    assigned_partner_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    offers: Mapped[int] = mapped_column(Integer, default=0)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))  # won | lost, once closed
    deal_value: Mapped[float | None] = mapped_column(Float)  # reported with the outcome
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ranking: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    # Accept, decline and the sweep race on one lead: the loser's UPDATE matches no row.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads a dict)

    # The routing-time snapshot kept in `ranking`, as the API shows it.
    @property
    def account(self) -> dict[str, Any] | None:
        return self.ranking.get("account")

    @property
    def model_version(self) -> str | None:
        return self.ranking.get("model_version", self.ranking.get("weights_version"))

    @property
    def max_km_beyond_radius(self) -> float | None:
        return self.ranking.get("max_km_beyond_radius")

    @property
    def location(self) -> dict[str, float] | None:
        return self.ranking.get("location")

    @property
    def candidates(self) -> list[dict[str, Any]]:
        return self.ranking.get("candidates", [])

    @property
    def excluded(self) -> list[dict[str, Any]]:
        return self.ranking.get("excluded", [])


class LeadEvent(Base):
    """One step of a lead's history (offered, accepted, declined, expired, unassigned, direct)."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_partner_kind_at", "partner_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    lead_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(12))
    partner_id: Mapped[int | None] = mapped_column(BigIntPK)  # kept after a partner is deleted
    actor_role: Mapped[str] = mapped_column(String(12))  # system | admin | manager | partner
    actor_key_id: Mapped[int | None] = mapped_column(BigIntPK)  # the API key used
    on_behalf_of_partner_id: Mapped[int | None] = mapped_column(BigIntPK)
    reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def actor(self) -> dict[str, Any]:
        return {
            "role": self.actor_role,
            "key_id": self.actor_key_id,
            "on_behalf_of_partner_id": self.on_behalf_of_partner_id,
        }


class PartnerLeadStats(Base):
    """Per-partner lead counters: open leads (raised only by a conditional UPDATE that keeps
    them within max_open_leads) and the offer/accept/win history the scorer reads."""

    __tablename__ = "partner_lead_stats"
    __table_args__ = (CheckConstraint("open_leads >= 0", name="ck_partner_lead_stats_open"),)

    partner_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    open_leads: Mapped[int] = mapped_column(Integer, default=0)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    won: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(Base):
    """The first response to a POST /v1/leads, replayed for the same key and body."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
