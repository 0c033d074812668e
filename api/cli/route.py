"""`partnermatch route LEAD.json --preview`: the ranking a lead would get, with explanations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from api.cli.sweep import route_lead
from api.runtime import runtime
from core.database import transaction
from core.errors import PartnerMatchError, invalid_input
from core.settings import Settings
from matcher.leads import ranking
from matcher.leads.payload import LeadIn, LeadPreview

console = Console()


def route(
    lead_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A lead (JSON)")],
    *,
    preview: Annotated[bool, typer.Option("--preview", help="Rank only, assign nothing")] = False,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Candidates to print")] = 10,
) -> None:
    """Route a lead from a JSON file; with --preview, print its ranking and store nothing."""
    lead = _read_lead(lead_file)
    if not preview:
        return route_lead(lead, limit=limit)
    with runtime(Settings()) as opened, transaction(opened.sessions) as session:
        assert opened.index is not None
        try:
            retrieval = ranking.Retrieval(
                opened.index, opened.geocoder, opened.settings.lead_radius_tolerance_km
            )
            result = ranking.preview_lead(
                session, lead, retrieval, now=datetime.now(UTC), limit=limit
            )
        except PartnerMatchError as exc:
            _fail(exc)
    print_preview(result)


def _read_lead(path: Path) -> LeadIn:
    try:
        return LeadIn.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        _fail(invalid_input(exc.errors()))


def print_preview(result: LeadPreview) -> None:
    """The ranked candidates, each with its contributions (largest first), then exclusions."""
    ranked = Table(title=f"Candidates (model {result.model_version}; scores 0-1)")
    for column in ("#", "partner", "score", "km", "contributions"):
        ranked.add_column(column, justify="left" if column == "contributions" else "right")
    for position, candidate in enumerate(result.candidates, start=1):
        parts = sorted(candidate.explanation, key=lambda part: -part.contribution)
        why = ", ".join(f"{p.feature} {p.contribution:.3f}" for p in parts if p.contribution)
        ranked.add_row(
            str(position),
            str(candidate.partner_id),
            f"{candidate.score:.4f}",
            f"{candidate.distance_km:.1f}",
            why,
        )
    console.print(ranked)
    if result.excluded:
        excluded = Table(title="Excluded")
        excluded.add_column("partner", justify="right")
        excluded.add_column("reason")
        for item in result.excluded:
            excluded.add_row(str(item.partner_id), item.reason)
        console.print(excluded)


def _fail(error: PartnerMatchError) -> NoReturn:
    for detail in error.details or [{"field": "lead", "message": error.message}]:
        console.print(f"{detail['field']}: {detail['message']}", style="red")
    raise typer.Exit(code=2)
