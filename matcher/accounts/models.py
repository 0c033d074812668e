"""ORM classes of customer accounts and the partners' reservations on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK, UTCDateTime

DIRECT = "direct"
ACTIVE, RELEASED, EXPIRED = "active", "released", "expired"


class Account(Base):
    """A customer; `owner` is "direct" when direct sales own it, else None."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    parent_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("accounts.id"), index=True)
    owner: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reservation(Base):
    """A partner's claim on an account until a time; at most one active per account."""

    __tablename__ = "account_reservations"
    # The database, not the code, guarantees one winner among concurrent reservations.
    __table_args__ = (
        Index(
            "uq_account_reservations_active",
            "account_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
