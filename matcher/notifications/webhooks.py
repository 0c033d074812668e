"""Webhooks: the event as JSON, signed with the subscription's secret so receivers can check
it came from us and is recent.

Headers: `X-Partnermatch-Event-Id` (receivers de-duplicate by it: delivery is at least once),
`X-Partnermatch-Event` (the kind) and `X-Partnermatch-Signature: t=<unix seconds>,v1=<hex>`,
where v1 is HMAC-SHA256(secret, "<t>.<raw body>").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from matcher.notifications.models import NotificationEvent, WebhookSubscription

SIGNATURE_HEADER = "X-Partnermatch-Signature"
EVENT_ID_HEADER = "X-Partnermatch-Event-Id"


def body_of(event: NotificationEvent) -> bytes:
    document: dict[str, Any] = {
        "id": event.id,
        "type": event.kind,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, *, body: bytes, timestamp: int) -> str:
    """The header value `t=<timestamp>,v1=<hex HMAC-SHA256 of "t.body">`."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post(
    client: httpx.Client,
    event: NotificationEvent,
    *,
    subscription: WebhookSubscription,
) -> None:
    """POST the event; anything but a 2xx raises (httpx.HTTPError), so it is retried. The
    signature carries the wall-clock time of sending, which receivers compare with theirs."""
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: str(event.id),
        "X-Partnermatch-Event": event.kind,
        SIGNATURE_HEADER: signature(subscription.secret, body=body, timestamp=int(time.time())),
    }
    response = client.post(subscription.url, content=body, headers=headers)
    response.raise_for_status()
