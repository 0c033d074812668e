"""Who hears about an event: the partner's contacts for its role, the channel managers for
what needs them, and every webhook subscription that asked for the kind."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.settings import Settings
from matcher.notifications import repository
from matcher.notifications.models import EMAIL, WEBHOOK, NotificationEvent
from profiles.models import Partner

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


def targets_of(session: Session, event: NotificationEvent, *, settings: Settings) -> list[Target]:
    found: list[Target] = []
    role = PARTNER_ROLE.get(event.kind)
    if role is not None and event.partner_id is not None:
        partner = session.get(Partner, event.partner_id)
        if partner is not None:
            found += [Target(EMAIL, email) for email in contact_emails(partner, role=role)]
    if event.kind in FOR_MANAGERS:
        found += [Target(EMAIL, email) for email in settings.manager_addresses]
    for subscription in repository.subscriptions_for(session, event.kind):
        found.append(Target(WEBHOOK, str(subscription.id), subscription.id))
    unique = {(t.channel, t.target.casefold()): t for t in found}
    return list(unique.values())


def contact_emails(partner: Partner, *, role: str) -> list[str]:
    contacts = partner.contacts or []
    named = [c["email"] for c in contacts if c["role"] == role]
    return named or [c["email"] for c in contacts if c["role"] == "admin"]
