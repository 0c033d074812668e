"""ORM classes of a partner profile and of the change log every index reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, BigIntPK, UTCDateTime


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    tier: Mapped[str] = mapped_column(String(20), index=True)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{name, email, role: leads|profile|admin}]: who hears about leads and reminders
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    max_open_leads: Mapped[int] = mapped_column(Integer)
    profile_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    locations: Mapped[list[Location]] = relationship(
        cascade="all, delete-orphan", order_by="Location.position", lazy="selectin"
    )
    skills: Mapped[list[PartnerSkill]] = relationship(
        cascade="all, delete-orphan", order_by="PartnerSkill.name", lazy="selectin"
    )
    certifications: Mapped[list[Certification]] = relationship(
        cascade="all, delete-orphan", order_by="Certification.position", lazy="selectin"
    )

    @property
    def capacity(self) -> dict[str, int]:
        """The API groups capacity settings under one object."""
        return {"max_open_leads": self.max_open_leads}

    # Optimistic concurrency: every UPDATE/DELETE carries "WHERE version = <loaded version>".
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads a dict)


class Location(Base):
    __tablename__ = "partner_locations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    label: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    service_radius_km: Mapped[float] = mapped_column(Float)


class PartnerSkill(Base):
    __tablename__ = "partner_skills"
    __table_args__ = (UniqueConstraint("partner_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)


class Certification(Base):
    __tablename__ = "partner_certifications"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200), index=True)
    issuer: Mapped[str | None] = mapped_column(String(100))
    earned_at: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[date | None] = mapped_column(Date)


class ChangeLogEntry(Base):
    """Transactional outbox: one row per partner write, in the write's own transaction."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    partner_id: Mapped[int] = mapped_column(BigIntPK, index=True)
    op: Mapped[str] = mapped_column(String(10))  # "upsert" | "delete"
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoreIdentity(Base):
    """The one row naming this store (made with the schema): derived indexes record it, so a
    snapshot of another store, or of another database restored here, is never served."""

    __tablename__ = "store_identity"

    store_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
