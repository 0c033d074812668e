"""`partnermatch reindex`, `sync` and `opensearch-node`: the OpenSearch backend's operations.

The backend is an optional extra (`partnermatch[opensearch]`): its modules are imported when
one of these commands runs, so the rest of the CLI works without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from api.migrate import upgrade_database
from core.database import make_engine, make_sessionmaker
from core.settings import Settings

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

console = Console()


def _connect(settings: Settings) -> tuple[OpenSearch, sessionmaker[Session]]:
    """The cluster client (healthy) and the store's sessions (migrated)."""
    from indexing.opensearch.client import make_client, wait_until_healthy

    if not settings.opensearch_url:
        console.print("set PARTNERMATCH_OPENSEARCH_URL to the cluster's URL", style="red")
        raise typer.Exit(code=2)
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    client = make_client(settings.opensearch_url)
    wait_until_healthy(client, timeout_s=60)
    return client, make_sessionmaker(engine)


def reindex_command(
    prefix: Annotated[str, typer.Option(help="Index name prefix")] = "partnermatch",
) -> None:
    """Rebuild the OpenSearch index from the store and swap the alias once it is verified."""
    from indexing.opensearch.indexes import IndexNames
    from indexing.opensearch.reindex import reindex
    from indexing.opensearch.sync import SyncConfig

    client, sessions = _connect(Settings())
    report = reindex(client, sessions=sessions, names=IndexNames(prefix), config=SyncConfig())
    console.print(
        f"{report.index}: {report.documents} documents; all {report.store_partners} partners "
        f"unchanged since its checkpoint present, {report.changed_meanwhile} changed meanwhile "
        f"follow from the log; alias swapped, dropped {', '.join(report.dropped) or 'nothing'}"
    )


def sync_command(
    prefix: Annotated[str, typer.Option(help="Index name prefix")] = "partnermatch",
    poll_seconds: Annotated[float, typer.Option(min=0.01, help="Idle poll interval")] = 0.5,
    once: Annotated[bool, typer.Option(help="Catch up once and exit")] = False,
) -> None:
    """Ship the store's change log into OpenSearch (runs until interrupted, or --once)."""
    from indexing.opensearch.indexes import IndexNames, ensure_layout
    from indexing.opensearch.sync import ChangeShipper, SyncConfig
    from indexing.opensearch.worker import SyncWorker

    client, sessions = _connect(Settings())
    names = IndexNames(prefix)
    ensure_layout(client, names)
    shipper = ChangeShipper(client, sessions=sessions, names=names, config=SyncConfig())
    if once:
        console.print(f"shipped {shipper.catch_up()} changes; lag {shipper.lag()}")
        return
    console.print(f"shipping the change log into {names.alias} (Ctrl-C to stop)")
    try:
        SyncWorker(shipper, poll_s=poll_seconds).run()
    except KeyboardInterrupt:
        console.print(f"stopped; lag {shipper.lag()}")


def node_command(
    port: Annotated[int, typer.Option(min=0, max=65535, help="HTTP port (0: a free one)")] = 9200,
    data: Annotated[Path, typer.Option(help="Data folder (created if missing)")] = Path(
        "var/opensearch"
    ),
    opensearch_version: Annotated[
        str | None,
        typer.Option(
            help="OpenSearch release (default: the launcher's 2.x; 3.x: JAVA_HOME at a JDK 21+)"
        ),
    ] = None,
    heap: Annotated[
        str | None,
        typer.Option(help="JVM heap, e.g. 2g (1,000,000 partners need 2g); default 512m-1g"),
    ] = None,
) -> None:
    """Run a real single-node OpenSearch (from its published jars) in the foreground on
    127.0.0.1; it prints its URL once it serves. Ctrl-C stops it cleanly."""
    from indexing.opensearch.node import (
        DEFAULT_HEAP,
        DEFAULT_VERSION,
        NodeUnavailable,
        fixed_heap,
        java_command,
    )

    data.mkdir(parents=True, exist_ok=True)
    try:
        command = java_command(
            port=port,
            data_dir=data.resolve(),
            heap=fixed_heap(heap) if heap else DEFAULT_HEAP,
            version=opensearch_version or DEFAULT_VERSION,
        )
    except NodeUnavailable as error:
        console.print(str(error), style="red")
        raise typer.Exit(code=2) from error
    os.execvp(command[0], command)
