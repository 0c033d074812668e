"""ORM classes of learned ranking: routing examples (what routing knew, and what came of it)
and the trained ranking models with their evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK, UTCDateTime

ACCEPTED, DECLINED, EXPIRED = "accepted", "declined", "expired"
TRAINED, ACTIVE, RETIRED = "trained", "active", "retired"


class RoutingExample(Base):
    """One ranked candidate of a routed lead: its feature values at routing time and the model
    that scored it; offer, response and deal outcome are filled in as they happen (labels)."""

    __tablename__ = "routing_examples"
    __table_args__ = (
        Index("ix_routing_examples_lead_partner", "lead_id", "partner_id", unique=True),
        Index("ix_routing_examples_routed_at", "routed_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("leads.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(BigIntPK)  # kept after a partner is deleted
    position: Mapped[int] = mapped_column(Integer)  # 0 = ranked first
    model_version: Mapped[str] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[dict[str, float]] = mapped_column(JSON)  # name -> 0-1 value
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offered: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[str | None] = mapped_column(String(10))  # accepted | declined | expired
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str | None] = mapped_column(String(10))  # won | lost
    deal_value: Mapped[float | None] = mapped_column(Float)


class RankingModel(Base):
    """A trained ranker (`scoring.ranker.LearnedRanker` params), its training and holdout
    figures, and whether it is the active one; at most one row is active."""

    __tablename__ = "ranking_models"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_until: Mapped[datetime] = mapped_column(UTCDateTime)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    training: Mapped[dict[str, Any]] = mapped_column(JSON)  # examples, wins, fit figures
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # last holdout report
    status: Mapped[str] = mapped_column(String(10), index=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(1000))
