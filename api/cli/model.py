"""`partnermatch model train|evaluate|promote|list|rollback`: learned ranking from outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from api.runtime import runtime
from core.database import transaction
from core.errors import PartnerMatchError
from core.settings import Settings
from scoring import model_registry, repository
from scoring.ranker import HAND_RANKER

app = typer.Typer(help="Learned ranking: train on routing outcomes, evaluate, promote, roll back")
console = Console(highlight=False, soft_wrap=True)

Instant = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="UTC")
]
ModelId = Annotated[int, typer.Argument(help="The model's id (see `model list`)")]
From = Annotated[datetime | None, typer.Option("--from", help="Holdout start; default: cut-off")]
To = Annotated[datetime | None, typer.Option("--to", help="Holdout end; default: now")]
METRICS = (
    "leads",
    "offers_answered",
    "offers_decided",
    "auc_acceptance",
    "ndcg5_accepted",
    "ndcg5_won",
    "brier",
    "calibration_error",
)


@app.command()
def train(until: Instant = None) -> None:
    """Fit a model on the leads routed before --until (default: now); not activated."""
    now = datetime.now(UTC)
    with _session() as session:
        trained = model_registry.train(session, until=_utc(until) or now, now=now)
    console.print(trained.message)


@app.command("evaluate")
def evaluate_command(model_id: ModelId, start: From = None, end: To = None) -> None:
    """Holdout figures of the model, the hand weights and the active model on the same leads."""
    with _session() as session:
        model = model_registry.get_model(session, model_id)
        window = _window(model.trained_until, start, end)
        figures = model_registry.evaluate_model(session, model, start=window[0], end=window[1])
        _print_figures(figures, candidate=model.version)


@app.command()
def promote(model_id: ModelId, start: From = None, end: To = None) -> None:
    """Activate the model only if it beats the active ranker on the holdout."""
    with _session() as session:
        model = model_registry.get_model(session, model_id)
        window = _window(model.trained_until, start, end)
        promoted, decision, figures = model_registry.promote(
            session, model, start=window[0], end=window[1], now=datetime.now(UTC)
        )
        _print_figures(figures, candidate=model.version)
    console.print(decision, style="green" if promoted else "yellow")


@app.command("list")
def list_models() -> None:
    """Every stored model, which one is active, and the last decision about it."""
    table = Table("id", "version", "status", "trained until", "offers", "wins", "decision")
    with _session() as session:
        rows = repository.models(session)
        active = any(row.status == "active" for row in rows)
        for row in rows:
            table.add_row(
                str(row.id),
                row.version,
                row.status,
                f"{row.trained_until:%Y-%m-%d %H:%M}",
                str(row.training.get("offers")),
                str(row.training.get("wins")),
                row.decision or "",
            )
    console.print(table)
    if not active:
        console.print(f"no learned model is active: the hand weights {HAND_RANKER.version} rank")


@app.command()
def rollback() -> None:
    """Retire the active model; the one active before it (or the hand weights) ranks again."""
    with _session() as session:
        console.print(model_registry.rollback(session, now=datetime.now(UTC)))


@contextmanager
def _session() -> Iterator[Session]:
    with runtime(Settings(), with_index=False) as opened:
        try:
            with transaction(opened.sessions) as session:
                yield session
        except PartnerMatchError as exc:
            console.print(exc.message, style="red")
            raise typer.Exit(code=2) from exc


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _window(
    cutoff: datetime, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    return _utc(start) or cutoff, _utc(end) or datetime.now(UTC)


def _print_figures(figures: dict[str, Any], *, candidate: str) -> None:
    """One row per metric, one column per ranker (fits a narrow terminal)."""
    window = figures["window"]
    rankers = {
        (candidate if name == "candidate" else name): values
        for name, values in figures.items()
        if name != "window"
    }
    table = Table(title=f"holdout {window['from']} - {window['to']}")
    table.add_column("metric")
    for name in rankers:
        table.add_column(name, justify="right")
    for metric in METRICS:
        table.add_row(metric, *(_cell(values[metric]) for values in rankers.values()))
    console.print(table)


def _cell(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return str(value) if isinstance(value, int) else f"{value:.4f}"
