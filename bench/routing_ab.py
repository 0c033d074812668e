"""CPU per routed lead of this checkout against another one, measured side by side.

    .venv/bin/python -m bench.routing_ab --baseline /path/to/other/checkout --partners 100000
    .venv/bin/python -m bench.routing_ab --baseline /path/to/other/checkout --database-url \\
        postgresql+psycopg://postgres@/bench_routing?host=/var/run/postgresql

This machine's speed drifts by tens of percent within minutes (the host's other tenants), so
two benchmark runs one after the other compare badly. Here a one-worker `partnermatch serve`
of each checkout (the baseline's packages imported through PYTHONPATH) runs at the same time
on the same store, and batches of leads go to one and then the other, the order alternating
by round; each batch's CPU is read from /proc. Printed: each server's median CPU per lead
(serving, and PostgreSQL's processes on this host during its batches) and the median and
quartiles of the per-round ratio this / baseline. Leads are posted one at a time, so this is
the cost of a lead without contention.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.preview_bench import VAR, generate_leads
from bench.routing_bench import WARM_UP, backend
from bench.routing_state import analyze_leads, forget_leads
from bench.server import Server, cpu_seconds, postgres_processes
from bench.store_seed import open_seeded_store
from core.access.models import Role
from core.access.service import renew_named_key
from core.database import make_sessionmaker, transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50, help="leads per batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    args = parser.parse_args()

    VAR.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{VAR / f'routing-{args.partners}.db'}"
    engine = open_seeded_store(url, count=args.partners, seed=args.seed)
    forget_leads(engine)
    count = 2 * (WARM_UP + args.rounds * args.batch)
    leads = iter(generate_leads(engine, count=count, seed=args.seed))
    with transaction(make_sessionmaker(engine)) as session:
        key = renew_named_key(session, name="routing-ab", role=Role.MANAGER, now=datetime.now(UTC))
    engine.dispose()

    index = VAR / f"routing-{args.partners}-{backend(args.database_url)}-index"
    codes = {"this": None, "baseline": args.baseline.resolve()}
    servers = {
        name: Server(log_dir=VAR, code=code, database_url=url, index_dir=index, rate_limit="off")
        for name, code in codes.items()
    }
    costs: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    try:
        clients = {name: _client(server.start(), key.secret) for name, server in servers.items()}
        for client in clients.values():
            _post(client, [next(leads) for _ in range(WARM_UP)])
        analyze_leads(url)
        for round_ in range(args.rounds):
            for name in sorted(servers, reverse=round_ % 2 == 1):
                batch = [next(leads) for _ in range(args.batch)]
                serving, database = servers[name].processes(), postgres_processes()
                before = cpu_seconds(serving), cpu_seconds(database)
                _post(clients[name], batch)
                spent = cpu_seconds(serving) - before[0], cpu_seconds(database) - before[1]
                costs[name].append((spent[0] / len(batch), spent[1] / len(batch)))
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"{backend(args.database_url)}, {args.partners:,} partners, {args.rounds} rounds of "
        f"{args.batch} leads to each server, one at a time"
    )
    for name, code in codes.items():
        serving_ms = statistics.median(s for s, _ in costs[name]) * 1000
        database_ms = statistics.median(d for _, d in costs[name]) * 1000
        print(
            f"  {name} ({code or 'installed'}): CPU per lead, median of the batches: "
            f"serving {serving_ms:.2f} ms, PostgreSQL on this host {database_ms:.2f} ms"
        )
    ratios = [t[0] / b[0] for t, b in zip(costs["this"], costs["baseline"], strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"  serving CPU this / baseline, per round: median {statistics.median(ratios):.3f}, "
        f"quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f}"
    )


def _client(server: Server, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    )


def _post(client: httpx.Client, leads: list[dict[str, Any]]) -> None:
    for body in leads:
        client.post("/v1/leads", json=body).raise_for_status()


if __name__ == "__main__":
    main()
