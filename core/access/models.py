"""ORM class of an API key (only its SHA-256 hash is stored) and the roles a principal can hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, BigIntPK, UTCDateTime


class Role(StrEnum):
    """Who a caller is: a key's role, or PUBLIC for a request without a key."""

    ADMIN = "admin"
    MANAGER = "manager"
    PARTNER = "partner"
    PUBLIC = "public"


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'manager', 'partner')", name="ck_api_keys_role"),
        # A partner key is bound to exactly one partner; no other key is.
        CheckConstraint(
            "(role = 'partner') = (partner_id IS NOT NULL)", name="ck_api_keys_partner_binding"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # Deleting a partner deletes its keys: they could no longer act for anything.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
