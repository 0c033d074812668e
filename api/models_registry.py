"""Imports every domain's ORM models so the metadata (for Alembic autogenerate) is complete."""

from api.database import Base
from profiles import models as _profiles  # noqa: F401

metadata = Base.metadata
