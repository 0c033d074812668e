"""Shipping partner documents with the bulk helpers, externally versioned, checking every item.

A bulk request does not raise on per-item failures, so every item's status is classified:
- applied (2xx), or already newer in the index (409 on an external version: a replayed or
  out-of-order change), or a delete of something absent (404 "not_found"): done;
- 429 and 5xx, the whole request failing (connection refused, timeout) or the index missing
  (404 index_not_found): retried with backoff, only the items that failed;
- any other status is a bug in the document or mapping: `BulkRejected`, nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch, helpers
from tenacity import retry_if_result

from indexing.opensearch.client import RETRYABLE_STATUS, Backoff, SearchUnavailable
from indexing.opensearch.mapping import partner_document
from profiles.models import Partner

Action = dict[str, Any]


class BulkRejected(RuntimeError):
    """The cluster refused items for a reason a retry cannot fix (mapping, malformed body)."""


@dataclass
class ShipReport:
    applied: int = 0
    stale: int = 0  # the index already held this or a newer version

    def add(self, other: ShipReport) -> None:
        self.applied += other.applied
        self.stale += other.stale


def upsert_action(index: str, partner: Partner) -> Action:
    """Index the partner's current row, versioned with the store's version."""
    return {
        "_op_type": "index",
        "_index": index,
        "_id": str(partner.id),
        "version": partner.version,
        "version_type": "external",
        "_source": partner_document(partner),
    }


def delete_action(index: str, partner_id: int, *, version: int) -> Action:
    """Delete the partner unless the index already holds a newer version of it."""
    return {
        "_op_type": "delete",
        "_index": index,
        "_id": str(partner_id),
        "version": version,
        "version_type": "external",
    }


def ship(
    client: OpenSearch,
    actions: Sequence[Action],
    *,
    backoff: Backoff,
    chunk_size: int = 500,
    through_alias: bool = False,
) -> ShipReport:
    """Apply every action or raise (SearchUnavailable once retries are spent, or BulkRejected).

    `through_alias`: the actions name an alias, and a missing alias fails the items rather than
    auto-creating an index with a dynamic mapping under its name.
    """
    report = ShipReport()
    pending = list(actions)

    def attempt() -> list[Action]:
        """Send what is pending; what failed retryably is pending for the next attempt."""
        nonlocal pending
        pending, outcome = _ship_once(
            client, pending, chunk_size=chunk_size, through_alias=through_alias
        )
        report.add(outcome)
        return pending

    policy = backoff.retrying(retry_if_result(bool), retry_error_callback=lambda _: pending)
    if policy(attempt):
        raise SearchUnavailable(f"{len(pending)} bulk items still failing after retries")
    return report


def _ship_once(
    client: OpenSearch, actions: list[Action], *, chunk_size: int, through_alias: bool
) -> tuple[list[Action], ShipReport]:
    """One pass: the actions to retry and what was done. Results come back in action order."""
    results = helpers.streaming_bulk(
        client,
        actions,
        chunk_size=chunk_size,
        raise_on_error=False,
        raise_on_exception=False,
        params={"require_alias": "true"} if through_alias else None,
    )
    retry: list[Action] = []
    report = ShipReport()
    rejected: list[Mapping[str, Any]] = []
    for action, (ok, result) in zip(actions, results, strict=True):
        item = next(iter(result.values()))
        status = item.get("status")
        if ok or (status == 404 and item.get("result") == "not_found"):
            report.applied += 1
        elif status == 409:
            report.stale += 1
        elif not isinstance(status, int) or status in RETRYABLE_STATUS or status == 404:
            retry.append(action)
        else:
            rejected.append(item)
    if rejected:
        raise BulkRejected(f"{len(rejected)} bulk items rejected, first: {rejected[0]}")
    return retry, report
