"""When a failed delivery is tried again: exponential backoff with jitter (tenacity's wait
strategy), stored in the row so it survives restarts; past the retry window, a dead letter."""

from __future__ import annotations

from datetime import datetime, timedelta

from tenacity import RetryCallState, Retrying, wait_exponential_jitter

# 30 s, 1 min, 2 min, ... capped at an hour, each plus up to 30 s of jitter.
_WAIT = wait_exponential_jitter(multiplier=30, max=3600, jitter=30)


def next_attempt(attempts: int, *, now: datetime) -> datetime:
    """The time of the next try after `attempts` failed ones (1 = the first failed)."""
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempts
    return now + timedelta(seconds=_WAIT(state))
