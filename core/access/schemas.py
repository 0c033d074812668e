"""API key models of the v1 contract: the secret appears once, in the creation response."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.access.models import Role
from core.schemas import Strict


class KeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "manager", "partner"]
    partner_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class KeyRead(BaseModel):
    """A key as listed: `prefix` identifies it, the secret is never shown again."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    partner_id: int | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The API key; shown only in this response")
