"""`partnermatch keys`: create, list and revoke API keys; `demo` prints a fresh demo manager key.

Every command migrates the store first, so it works on a fresh database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from api.runtime import runtime
from core.access import service
from core.access.models import Role
from core.database import transaction
from core.errors import PartnerMatchError
from core.settings import Settings
from profiles import repository as partners

DEMO_KEY_NAME = "demo-manager"
DEMO_PARTNER_KEY_NAME = "demo-partner"

app = typer.Typer(help="API keys: create, list, revoke (a key's secret is shown once)")
console = Console(highlight=False, soft_wrap=True)


@app.command()
def create(
    role: Annotated[Role, typer.Option(help="admin, manager or partner")],
    partner: Annotated[int | None, typer.Option(help="The partner a partner key acts for")] = None,
    name: Annotated[str, typer.Option(help="What the key is for")] = "cli",
) -> None:
    """Issue a key and print it once; only its hash is stored."""
    with _unit_of_work() as session:
        issued = service.issue_key(
            session, name=name, role=role, partner_id=partner, now=datetime.now(UTC)
        )
    console.print(
        f"API key {issued.key.id} ({role}, {name!r}); store it now, it is not shown again:"
    )
    typer.echo(issued.secret)


@app.command("list")
def list_keys() -> None:
    """Every key with its role and usage; secrets are never shown."""
    table = Table("id", "name", "role", "partner", "prefix", "created", "last used", "revoked")
    with _unit_of_work() as session:
        for key in service.list_keys(session):
            table.add_row(
                str(key.id),
                key.name,
                key.role,
                _text(key.partner_id),
                key.prefix + "…",
                _text(key.created_at),
                _text(key.last_used_at),
                _text(key.revoked_at),
            )
    console.print(table)


@app.command()
def revoke(key_id: Annotated[int, typer.Argument(min=1, help="The key's id")]) -> None:
    """Revoke a key; the service refuses it from the next request on."""
    with _unit_of_work() as session:
        key = service.revoke_key(session, key_id, now=datetime.now(UTC))
    console.print(f"API key {key.id} ({key.name!r}) revoked at {key.revoked_at:%Y-%m-%d %H:%M} UTC")


@app.command()
def demo(
    url: Annotated[str, typer.Option(help="The service URL, for the example")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Print fresh demo keys, revoking the previous ones: a manager key ("demo-manager") and,
    when the store has partners, a key of its most recently updated partner ("demo-partner");
    with the three page URLs to sign in with them."""
    now = datetime.now(UTC)
    with _unit_of_work() as session:
        manager = service.renew_named_key(session, name=DEMO_KEY_NAME, role=Role.MANAGER, now=now)
        partner_id = partners.most_recently_updated_partner(session)
        partner = (
            service.renew_named_key(
                session,
                name=DEMO_PARTNER_KEY_NAME,
                role=Role.PARTNER,
                now=now,
                partner_id=partner_id,
            )
            if partner_id is not None
            else None
        )
    console.print(f"demo manager key: [bold]{manager.secret}[/]")
    console.print(f"  try: curl -H 'Authorization: Bearer {manager.secret}' '{url}/v1/partners/1'")
    if partner is not None:
        console.print(f"demo partner key (partner {partner_id}): [bold]{partner.secret}[/]")
    console.print("pages:")
    console.print(f"  directory: {url}/?near=Munich&radius_km=100")
    if partner is not None:
        console.print(f"  partner portal: {url}/portal  (sign in with the demo partner key)")
    console.print(f"  channel console: {url}/console  (sign in with the demo manager key)")


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """One transaction on the migrated store; a domain error ends the command with its message."""
    try:
        with (
            runtime(Settings(), with_index=False) as opened,
            transaction(opened.sessions) as session,
        ):
            yield session
    except PartnerMatchError as error:
        console.print(f"error: {error.message}", style="red")
        raise typer.Exit(code=1) from error


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return "-" if value is None else str(value)
