"""Store queries of the search endpoints (the indexes read the store in their own modules)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.models import Partner


def partners_by_id(session: Session, ids: Sequence[int]) -> dict[int, Partner]:
    """The given partners with their offices, skills and certifications (one page's worth)."""
    if not ids:
        return {}
    partners = session.scalars(select(Partner).where(Partner.id.in_(list(ids))))
    return {partner.id: partner for partner in partners}
