"""Imports every domain's ORM models so the metadata (for Alembic autogenerate) is complete."""

from core.access import models as _access  # noqa: F401
from core.database import Base
from matcher.accounts import models as _accounts  # noqa: F401
from matcher.leads import models as _leads  # noqa: F401
from matcher.notifications import models as _notifications  # noqa: F401
from profiles import models as _profiles  # noqa: F401
from scoring import models as _scoring  # noqa: F401

metadata = Base.metadata
