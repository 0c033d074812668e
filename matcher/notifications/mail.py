"""E-mail: a plain-text and HTML message per delivery from Jinja2 templates, sent over SMTP.

The standard library's smtplib and email.message do it: the worker is synchronous (it runs in
a thread of `serve` or as its own process), so an asyncio client such as aiosmtplib would only
add an event loop; smtplib covers STARTTLS, implicit TLS and AUTH.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.settings import Settings
from matcher.notifications.models import NotificationEvent

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

SUBJECTS = {
    "lead.offered": "New lead for you: {title}",
    "lead.reminder": "Reminder: accept or decline the lead {title}",
    "lead.expired": "The offer of lead {title} expired",
    "lead.moved_on": "Lead {title} moved on",
    "lead.unassigned": "Lead {title} needs a partner",
    "lead.accepted": "Lead {title} was accepted",
    "lead.closed": "Lead {title} closed",
    "profile.due": "Please confirm your partner profile",
    "profile.stale": "Your partner profile is stale and receives no leads",
    "reservation.expiring": "The reservation of {customer} is about to expire",
}
_FACTS = (
    ("title", "Lead"),
    ("customer", "Customer"),
    ("accept_by", "Accept by (UTC)"),
    ("reason", "Reason"),
    ("outcome", "Outcome"),
    ("name", "Partner"),
    ("status", "Status"),
    ("since", "Since"),
    ("until", "Reserved until"),
)


def build_message(
    event: NotificationEvent, *, recipient: str, settings: Settings, delivery_id: int
) -> EmailMessage:
    """The e-mail of one delivery; its Message-ID names the delivery, a header the event."""
    payload: dict[str, Any] = event.payload
    context = {
        "headline": SUBJECTS[event.kind].format_map(_Blank(payload)),
        "facts": [(label, payload[key]) for key, label in _FACTS if payload.get(key)],
        "link": link_of(event, settings=settings),
        "event_id": event.id,
        "kind": event.kind,
    }
    message = EmailMessage()
    message["Subject"] = context["headline"]
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Date"] = format_datetime(event.created_at)
    message["Message-ID"] = make_msgid(idstring=f"delivery-{delivery_id}", domain="partnermatch")
    message["X-Partnermatch-Event-Id"] = str(event.id)
    message["X-Partnermatch-Event"] = event.kind
    message.set_content(_TEMPLATES.get_template("email.txt.j2").render(context))
    message.add_alternative(
        _TEMPLATES.get_template("email.html.j2").render(context), subtype="html"
    )
    return message


def link_of(event: NotificationEvent, *, settings: Settings) -> str | None:
    """The partner portal's lead page (or profile page) when a public URL is configured."""
    if not settings.public_url:
        return None
    base = settings.public_url.rstrip("/")
    if event.lead_id is not None and event.kind != "lead.unassigned":
        return f"{base}/portal/leads/{event.lead_id}"
    if event.kind == "lead.unassigned":
        return f"{base}/console/leads/{event.lead_id}"
    if event.kind.startswith("profile."):
        return f"{base}/portal/profile"
    return None


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def open_smtp(settings: Settings) -> smtplib.SMTP:
    """A connection to the configured server, secured and logged in as the settings say."""
    assert settings.smtp_host is not None
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_username is not None and settings.smtp_password is not None:
        smtp.login(settings.smtp_username, settings.smtp_password)
    return smtp
