"""`partnermatch search`: the directory search from the command line, printed as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.runtime import runtime
from core.database import transaction
from core.errors import PartnerMatchError
from core.settings import Settings
from indexing import service
from indexing.schemas import SearchPage

console = Console()

Many = Annotated[list[str], typer.Option(help="Repeat or separate with commas")]


def search(
    q: Annotated[str | None, typer.Argument(help="Free text; every term must match")] = None,
    skill: Many = [],  # noqa: B006 - typer copies defaults
    any_skill: Many = [],  # noqa: B006
    certification: Many = [],  # noqa: B006
    tier: Many = [],  # noqa: B006
    industry: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 code")] = None,
    country: Annotated[str | None, typer.Option(help="ISO code or name")] = None,
    near: Annotated[str | None, typer.Option(help="'lat,lon' or a place")] = None,
    radius_km: Annotated[float | None, typer.Option(help="km from --near")] = None,
    include_stale: Annotated[bool, typer.Option(help="Also stale profiles")] = False,
    sort: Annotated[str, typer.Option(help="relevance or distance")] = "relevance",
    limit: Annotated[int, typer.Option(help="Rows to show (1-100)")] = 20,
) -> None:
    """Search the partner directory (opens the index from its snapshot, or builds it)."""
    params = service.SearchParams(
        q=q, skills=skill, any_skills=any_skill, certifications=certification, tier=tier,
        industry=industry, language=language, country=country, near=near, radius_km=radius_km,
        include_stale=include_stale, sort=sort, limit=limit,
    )  # fmt: skip
    with runtime(Settings()) as opened:
        assert opened.index is not None
        try:
            with transaction(opened.sessions) as session:
                now = datetime.now(UTC)
                search = service.build_query(session, params, geocoder=opened.geocoder, now=now)
                page = service.search_directory(session, opened.index, search)
        except PartnerMatchError as exc:
            console.print(f"[red]{exc.message}[/]")
            raise typer.Exit(2) from exc
    console.print(_table(page))
    console.print(f"{page.total} partners match; showing {len(page.items)}")


def _table(page: SearchPage) -> Table:
    table = Table("id", "name", "tier", "office", "km", "score", "freshness", "skills")
    for item in page.items:
        office = item.locations[0] if item.locations else None
        table.add_row(
            str(item.id),
            item.name,
            item.tier,
            f"{office.city or ''}, {office.country or ''}" if office else "",
            "" if item.distance_km is None else f"{item.distance_km:.1f}",
            f"{item.score:.3f}",
            item.freshness.status if item.freshness else "",
            ", ".join(skill.name for skill in item.skills[:4]),
        )
    return table
