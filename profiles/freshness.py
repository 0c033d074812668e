"""Profile freshness policy: fresh, due (reminder) or stale (blocked from leads), with reasons.

A profile is confirmed by the later of its last update and its last attestation. Ages are in
days. The policy is vectorised so the index can assess a million partners at once; the API
assesses one profile through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

FRESH, DUE, STALE = 0, 1, 2
STATUS_NAMES = ("fresh", "due", "stale")

# Reason bits, in the order they are reported.
PROFILE_NOT_UPDATED = 1
NOT_ATTESTED = 2
ALL_CERTIFICATIONS_EXPIRED = 4
NO_SKILLS = 8
REASON_NAMES = {
    PROFILE_NOT_UPDATED: "profile_not_updated",
    NOT_ATTESTED: "not_attested",
    ALL_CERTIFICATIONS_EXPIRED: "all_certifications_expired",
    NO_SKILLS: "no_skills",
}
# Reasons that make a profile stale at once, whatever its age.
_BLOCKING_ALWAYS = ALL_CERTIFICATIONS_EXPIRED | NO_SKILLS


@dataclass(frozen=True)
class FreshnessPolicy:
    """Ages in days since the profile was last confirmed; reminders repeat every
    `reminder_every_days` from the day a profile is flagged until it is fresh again."""

    due_after_days: int = 150
    stale_after_days: int = 180
    reminder_every_days: int = 7


@dataclass(frozen=True)
class Freshness:
    status: str
    reasons: list[str]
    confirmed_at: datetime
    due_at: datetime
    stale_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "reasons": self.reasons}


def assess_many(
    updated_days_ago: np.ndarray,
    *,
    attested_days_ago: np.ndarray,
    has_skills: np.ndarray,
    all_certifications_expired: np.ndarray,
    policy: FreshnessPolicy,
) -> tuple[np.ndarray, np.ndarray]:
    """Status codes (FRESH/DUE/STALE, int8) and reason bitmasks (int8) for many profiles.

    `attested_days_ago` is +inf where a profile was never attested. A due profile carries
    the reasons its reminder is about; a stale one those that block it.
    """
    confirmed_days_ago = np.minimum(updated_days_ago, attested_days_ago)
    aged = confirmed_days_ago >= policy.due_after_days
    reasons = np.zeros(updated_days_ago.shape, dtype=np.int8)
    reasons[aged & (updated_days_ago >= policy.due_after_days)] |= PROFILE_NOT_UPDATED
    reasons[aged & (attested_days_ago >= policy.due_after_days)] |= NOT_ATTESTED
    reasons[all_certifications_expired] |= ALL_CERTIFICATIONS_EXPIRED
    reasons[~has_skills] |= NO_SKILLS
    status = np.where(aged, DUE, FRESH).astype(np.int8)
    blocked = (reasons & _BLOCKING_ALWAYS) != 0
    status[blocked | (confirmed_days_ago >= policy.stale_after_days)] = STALE
    return status, reasons


def flagged_since(
    status: np.ndarray,
    *,
    reasons: np.ndarray,
    confirmed_day: np.ndarray,
    updated_day: np.ndarray,
    last_certification_expiry_day: np.ndarray,
    now_day: float,
    policy: FreshnessPolicy,
) -> np.ndarray:
    """Epoch day (float days since 1970-01-01 UTC) each profile entered its status; NaN if fresh.

    Age makes a profile due `due_after_days` after its confirmation and stale
    `stale_after_days` after it; expired certifications block it from the day after the last
    one expired, missing skills since its last update. `status` and `reasons` come from
    `assess_many` at `now_day`.
    """
    stale_by_age = confirmed_day + policy.stale_after_days
    stale_since = np.minimum.reduce(
        [
            np.where(stale_by_age <= now_day, stale_by_age, np.inf),
            np.where(
                reasons & ALL_CERTIFICATIONS_EXPIRED, last_certification_expiry_day + 1, np.inf
            ),
            np.where(reasons & NO_SKILLS, updated_day, np.inf),
        ]
    )
    due_since = confirmed_day + policy.due_after_days
    return np.select([status == STALE, status == DUE], [stale_since, due_since], np.nan)


def next_reminder_day(
    since_day: np.ndarray, *, today_day: int, policy: FreshnessPolicy
) -> np.ndarray:
    """Whole epoch day of the next reminder, today or later, for profiles flagged on `since_day`."""
    since = np.floor(since_day).astype(np.int64)
    periods = np.ceil(np.maximum(today_day - since, 0) / policy.reminder_every_days)
    return since + periods.astype(np.int64) * policy.reminder_every_days


def reason_names(mask: int) -> list[str]:
    return [name for bit, name in REASON_NAMES.items() if mask & bit]


def assess(
    *,
    profile_updated_at: datetime,
    attested_at: datetime | None,
    skill_count: int,
    certification_expiries: list[date | None],
    now: datetime,
    policy: FreshnessPolicy,
) -> Freshness:
    """Freshness of one profile at `now`; certifications without expiry never expire."""
    today = now.date()
    all_expired = bool(certification_expiries) and all(
        expiry is not None and expiry < today for expiry in certification_expiries
    )
    confirmed_at = max(profile_updated_at, attested_at or profile_updated_at)
    status, reasons = assess_many(
        np.array([days_between(profile_updated_at, now)]),
        attested_days_ago=np.array([days_between(attested_at, now)]),
        has_skills=np.array([skill_count > 0]),
        all_certifications_expired=np.array([all_expired]),
        policy=policy,
    )
    return Freshness(
        status=STATUS_NAMES[int(status[0])],
        reasons=reason_names(int(reasons[0])),
        confirmed_at=confirmed_at,
        due_at=confirmed_at + timedelta(days=policy.due_after_days),
        stale_at=confirmed_at + timedelta(days=policy.stale_after_days),
    )


def days_between(then: datetime | None, now: datetime) -> float:
    """Days (float) from `then` to `now`; +inf when `then` is None (never happened)."""
    if then is None:
        return float("inf")
    return (now - then).total_seconds() / 86400.0
