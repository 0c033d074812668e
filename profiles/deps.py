"""The freshness policy as a request dependency, from the process's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.settings import Settings
from profiles.freshness import FreshnessPolicy


async def get_freshness_policy(request: Request) -> FreshnessPolicy:
    settings: Settings = request.app.state.settings
    return FreshnessPolicy(
        due_after_days=settings.due_after_days, stale_after_days=settings.stale_after_days
    )


FreshnessPolicyDep = Annotated[FreshnessPolicy, Depends(get_freshness_policy)]
