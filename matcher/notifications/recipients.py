"""Who hears about an event: the partner's contacts for its role, the channel managers for
what needs them, and every webhook subscription that asked for the kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.settings import Settings
from matcher.notifications.models import EMAIL, WEBHOOK, WebhookSubscription
from matcher.notifications.repository import Undispatched

# The partner contact role each kind goes to (admin contacts stand in when none is named).
PARTNER_ROLE = {
    "lead.offered": "leads",
    "lead.reminder": "leads",
    "lead.expired": "leads",
    "lead.moved_on": "leads",
    "lead.accepted": "leads",
    "lead.closed": "leads",
    "profile.due": "profile",
    "profile.stale": "profile",
    "reservation.expiring": "admin",
}
# What the channel managers are told about: leads that need a hand, and blocked partners.
FOR_MANAGERS = frozenset(
    {"lead.expired", "lead.unassigned", "lead.closed", "profile.stale", "reservation.expiring"}
)


@dataclass(frozen=True)
class Target:
    channel: str
    target: str
    subscription_id: int | None = None


def targets_of(
    events: Sequence[Undispatched],
    *,
    contacts: dict[int, list[dict[str, str]]],
    subscriptions: Sequence[WebhookSubscription],
    settings: Settings,
) -> dict[int, list[Target]]:
    """Event id -> its recipients; `contacts` per partner of the events, the active
    subscriptions (read once per batch)."""
    return {
        event.id: _targets(event, contacts=contacts, subscriptions=subscriptions, settings=settings)
        for event in events
    }


def _targets(
    event: Undispatched,
    *,
    contacts: dict[int, list[dict[str, str]]],
    subscriptions: Sequence[WebhookSubscription],
    settings: Settings,
) -> list[Target]:
    found: list[Target] = []
    role = PARTNER_ROLE.get(event.kind)
    if role is not None and event.partner_id is not None:
        emails = contact_emails(contacts.get(event.partner_id, []), role=role)
        found += [Target(EMAIL, email) for email in emails]
    if event.kind in FOR_MANAGERS:
        found += [Target(EMAIL, email) for email in settings.manager_addresses]
    found += [
        Target(WEBHOOK, str(subscription.id), subscription.id)
        for subscription in subscriptions
        if not subscription.event_types or event.kind in subscription.event_types
    ]
    unique = {(t.channel, t.target.casefold()): t for t in found}
    return list(unique.values())


def contact_emails(contacts: list[dict[str, str]], *, role: str) -> list[str]:
    """The contacts of the role; the admin contacts when the partner named none."""
    named = [c["email"] for c in contacts if c["role"] == role]
    return named or [c["email"] for c in contacts if c["role"] == "admin"]
