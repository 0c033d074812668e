"""The `partnermatch` command line: serve, seed, import (more commands register here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress

from api.app import create_app
from api.cli import keys as keys_cli
from api.cli import model as model_cli
from api.cli import opensearch as opensearch_cli
from api.cli import route as scoring_cli
from api.cli import search as search_cli
from api.cli import sweep as matcher_cli
from api.cli.workers import LOG_LEVEL, check_port_free, serve_workers
from api.runtime import Runtime, runtime
from core.database import transaction
from core.settings import Settings
from profiles import repository, service
from profiles.schemas import ImportReport
from profiles.seed import generate_partners

WORKER_HEALTHCHECK_SECONDS = 60

app = typer.Typer(help="partnermatch: partner search, lead routing and profile hygiene")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(model_cli.app, name="model")
app.command("route")(scoring_cli.route)
app.command("search")(search_cli.search)
app.command("reindex")(opensearch_cli.reindex_command)
app.command("sync")(opensearch_cli.sync_command)
app.command("opensearch-node")(opensearch_cli.node_command)
app.command("sweep")(matcher_cli.sweep)
app.command("notify")(matcher_cli.notify)
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes behind the port; default: the cores")
    ] = os.cpu_count() or 1,
    shared_socket: Annotated[
        bool,
        typer.Option(
            help="Workers accept from one shared socket (uvicorn's supervisor) instead of a "
            "socket each: for a few long-lived client connections carrying heavy requests"
        ),
    ] = False,
) -> None:
    """Run the HTTP service (migrations are applied at start).

    With several workers, the store is migrated and the index snapshot brought up to date once,
    here, before they start: each then maps that snapshot (one copy in memory for all), catches
    up from the change log, answers its own requests' writes at once and follows the others'
    by polling the change log (PARTNERMATCH_INDEX_POLL_SECONDS).

    Each worker listens on a socket of its own on the port, and the kernel spreads new
    connections evenly over them, by a hash of their addresses, not by load. With one shared
    socket (`--shared-socket`) the worker free at that moment accepts: better when a handful of
    connections carry all the load (a CRM posting leads over five connections may otherwise
    find four of them on one worker), worse under bursts of new connections (the worker that
    wakes first takes most of them, and keeps them)."""
    settings = Settings()
    if workers > 1 and not shared_socket:
        _listen_or_exit(check_port_free, host, port)  # before the migrations and the index
    console.print(
        f"partnermatch serving on [bold]http://{host}:{port}[/] with {workers} worker(s) "
        "(API docs: /docs)"
    )
    example = f"http://{host}:{port}/v1/partners/search?q=cloud&near=Munich&radius_km=300"
    console.print(f"  try: curl '{example}'")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=LOG_LEVEL)
        return
    with runtime(settings):  # migrate, open the index, leave its snapshot at the head
        pass
    if not shared_socket:
        _listen_or_exit(serve_workers, host, port, workers)
        return
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=LOG_LEVEL,
        # a worker opening its index on a busy machine may not answer the supervisor's ping
        # for a while; the default 5 s got starting workers killed and restarted in a loop
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _listen_or_exit(listen: Callable[..., None], host: str, port: int, *args: int) -> None:
    """`listen(host, port, *args)`; exit 1 with the reason when the port cannot be had."""
    try:
        listen(host, port, *args)
    except OSError as exc:
        console.print(f"cannot listen on {host}:{port}: {exc.strerror}")
        raise typer.Exit(code=1) from exc


@app.command()
def seed(
    partners: Annotated[int, typer.Option(min=1, help="How many partners to generate")] = 5000,
    if_empty: Annotated[bool, typer.Option(help="Only when the store has no partners")] = False,
    random_seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    ndjson: Annotated[Path | None, typer.Option(help="Write NDJSON here, not the store")] = None,
) -> None:
    """Generate realistic synthetic partners (demo data, benchmarks)."""
    today = datetime.now(UTC).date()
    records = generate_partners(partners, seed=random_seed, today=today)
    if ndjson is not None:
        with ndjson.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
        console.print(f"wrote {partners} partners to {ndjson}")
        return
    settings = Settings()
    with runtime(settings, with_index=False) as opened:
        with transaction(opened.sessions) as session:
            existing = repository.count_partners(session)
        if if_empty and existing:
            console.print(f"store already holds {existing} partners; not seeding")
            return
        lines = (json.dumps(record) for record in records)
        _run_import(opened, lines, total=partners, label="seeding")


BENCHMARKS = (
    "search",
    "preview",
    "routing",
    "opensearch",
    "write_path",
    "pages",
    "load",
    "notify",
    "abuse",
)
_CHECKOUT = Path(__file__).resolve().parents[2]


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(BENCHMARKS)}")],
) -> None:
    """Run a benchmark of bench/ (in a source checkout); other options go to it (--help)."""
    if name not in BENCHMARKS:
        console.print(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
        raise typer.Exit(code=2)
    if not (_CHECKOUT / "bench" / f"{name}_bench.py").is_file():
        console.print("benchmarks run from a source checkout of partnermatch (bench/ is missing)")
        raise typer.Exit(code=2)
    command = [sys.executable, "-m", f"bench.{name}_bench", *ctx.args]
    raise typer.Exit(code=subprocess.call(command, cwd=_CHECKOUT))


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="NDJSON file")],
) -> None:
    """Import partners from NDJSON, upserting by external_id; bad lines are reported."""
    settings = Settings()
    with file.open(encoding="utf-8") as counting:
        total = sum(1 for line in counting if line.strip())
    with file.open(encoding="utf-8") as source, runtime(settings, with_index=False) as opened:
        report = _run_import(opened, source, total=total, label="importing")
    for error in report.errors[:50]:
        console.print(f"line {error.line}: {error.reasons()}", style="red")
    if report.failed:
        raise typer.Exit(code=1)


def _run_import(opened: Runtime, lines: Iterable[str], *, total: int, label: str) -> ImportReport:
    """Import in committed batches with a progress bar; prints profiles/s at the end."""
    batch_size = opened.settings.import_batch_size
    report = ImportReport()
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        for batch in service.batches(numbered, batch_size):
            with transaction(opened.sessions) as session:
                service.import_partners(
                    session,
                    batch,
                    geocoder=opened.geocoder,
                    now=datetime.now(UTC),
                    batch_size=batch_size,
                    report=report,
                )
            progress.advance(task, len(batch))
    elapsed = time.perf_counter() - started
    done = report.created + report.updated
    console.print(
        f"{label}: {report.created} created, {report.updated} updated, {report.failed} failed "
        f"in {elapsed:.1f} s ({done / max(elapsed, 1e-9):,.0f} profiles/s)"
    )
    return report
