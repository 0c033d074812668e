"""Scoring behaviour: the active ranker (learned model or hand weights), flagged profiles.

Never commits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from profiles.freshness import (
    STATUS_NAMES,
    FreshnessPolicy,
    assess_many,
    days_between,
    flagged_since,
    next_reminder_day,
    reason_names,
)
from scoring import repository
from scoring.ranker import HAND_RANKER, LearnedRanker, Ranker
from scoring.repository import FlaggedRow
from scoring.schemas import (
    StalePage,
    StalePartner,
)

_EPOCH = date(1970, 1, 1)


ACTIVE_MODEL_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class _Active:
    ranker: Ranker
    until: float  # time.monotonic() after which the store is asked again


_ACTIVE: dict[str, _Active] = {}


def active_ranker(session: Session) -> Ranker:
    """The promoted learned model, else the hand weights; preview and routing both ask here.

    Each process asks its store at most every ACTIVE_MODEL_TTL_SECONDS, so a promotion or a
    rollback reaches every worker within that time without a query per ranking."""
    store = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _ACTIVE.get(store)
    if cached is not None and cached.until > now:
        return cached.ranker
    active = repository.active_model(session)
    ranker: Ranker = HAND_RANKER
    if active is not None:
        model_id, version = active
        ranker = LearnedRanker.from_params(version, repository.model_params(session, model_id))
    _ACTIVE[store] = _Active(ranker=ranker, until=now + ACTIVE_MODEL_TTL_SECONDS)
    return ranker


def forget_active_ranker() -> None:
    """This process asks the store again at the next ranking (after a promotion here)."""
    _ACTIVE.clear()


def list_flagged(
    session: Session,
    *,
    now: datetime,
    policy: FreshnessPolicy,
    status: Literal["due", "stale"] | None,
    limit: int,
    cursor: str | None,
) -> StalePage:
    """One page of due and stale profiles in id order; `cursor` continues a listing."""
    rows = repository.flagged_partners(
        session,
        due_cutoff=now - timedelta(days=policy.due_after_days),
        stale_cutoff=now - timedelta(days=policy.stale_after_days),
        today=now.date(),
        status=status,
        after_id=int(cursor or 0),
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = str(page[-1].id) if len(rows) > limit else None
    return StalePage(items=_flagged_items(page, now=now, policy=policy), next_cursor=next_cursor)


def _flagged_items(
    rows: Sequence[FlaggedRow], *, now: datetime, policy: FreshnessPolicy
) -> list[StalePartner]:
    """Status, reasons, since when and next reminder of a page of rows, assessed at `now`."""
    updated_ago = np.array([days_between(row.profile_updated_at, now) for row in rows])
    attested_ago = np.array([days_between(row.attested_at, now) for row in rows])
    codes, reasons = assess_many(
        updated_ago,
        attested_days_ago=attested_ago,
        has_skills=np.array([bool(row.has_skills) for row in rows], dtype=bool),
        all_certifications_expired=np.array(
            [bool(row.certifications_expired) for row in rows], dtype=bool
        ),
        policy=policy,
    )
    now_day = now.timestamp() / 86400.0
    today = (now.date() - _EPOCH).days
    since = flagged_since(
        codes,
        reasons=reasons,
        confirmed_day=now_day - np.minimum(updated_ago, attested_ago),
        updated_day=now_day - updated_ago,
        last_certification_expiry_day=np.array(
            [_epoch_day(row.last_certification_expiry) for row in rows], dtype=np.float64
        ),
        now_day=now_day,
        policy=policy,
    )
    since_day = np.floor(since).astype(np.int64)
    reminder_day = next_reminder_day(since, today_day=today, policy=policy)
    return [
        StalePartner(
            partner_id=row.id,
            name=row.name,
            status=STATUS_NAMES[code],  # type: ignore[arg-type]
            reasons=reason_names(mask),
            confirmed_at=max(row.profile_updated_at, row.attested_at or row.profile_updated_at),
            since=_EPOCH + timedelta(days=first),
            days_overdue=today - first,
            reminder_due_on=_EPOCH + timedelta(days=reminder),
        )
        for row, code, mask, first, reminder in zip(
            rows,
            codes.tolist(),
            reasons.tolist(),
            since_day.tolist(),
            reminder_day.tolist(),
            strict=True,
        )
    ]


def _epoch_day(day: date | None) -> float:
    return np.nan if day is None else float((day - _EPOCH).days)
