"""The opensearch-py client: construction, health wait and the retry policy for 429/5xx.

Failures of the search server map back to the contract's errors like opensearch-py's own
status table does: unreachable, overloaded (429) or failing (5xx) becomes `SearchUnavailable`
(503); anything else is a bug in a request we built and propagates as is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import TransportError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.retry import retry_base

from core.errors import Unavailable

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class SearchUnavailable(Unavailable):
    """The search cluster is unreachable or overloaded; the store still accepts writes."""

    code = "search_unavailable"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `attempts` tries, waiting initial_s, 2x, 4x ... capped at max_s."""

    attempts: int = 5
    initial_s: float = 0.2
    max_s: float = 5.0

    def retrying(self, retry: retry_base, **options: Any) -> Retrying:
        """A tenacity policy of this backoff that retries while `retry` says so."""
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.initial_s, max=self.max_s),
            retry=retry,
            **options,
        )


def make_client(url: str, *, timeout_s: float = 10.0) -> OpenSearch:
    """A client for one cluster URL; transport-level retries are ours, not the client's."""
    return OpenSearch(hosts=[url], timeout=timeout_s, max_retries=0, retry_on_timeout=False)


def is_retryable(error: BaseException) -> bool:
    """Connection failures, timeouts, 429 and 5xx are worth retrying; 4xx are not."""
    if isinstance(error, TransportConnectionError):
        return True
    return isinstance(error, TransportError) and error.status_code in RETRYABLE_STATUS


def with_retries(call: Callable[[], T], *, backoff: Backoff) -> T:
    """Run `call`, retrying retryable failures; the last one becomes SearchUnavailable."""
    try:
        return backoff.retrying(retry_if_exception(is_retryable), reraise=True)(call)
    except TransportError as error:
        if is_retryable(error):
            raise SearchUnavailable(f"search cluster unavailable: {error}") from error
        raise


def wait_until_healthy(client: OpenSearch, *, timeout_s: float) -> None:
    """Block until the cluster answers with status yellow or green (or raise after timeout_s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            health = client.cluster.health(params={"request_timeout": 2})
            if health.get("status") in ("yellow", "green"):
                return
        except TransportError:
            pass
        if time.monotonic() > deadline:
            raise SearchUnavailable(f"search cluster not healthy after {timeout_s:.0f} s")
        time.sleep(0.1)
