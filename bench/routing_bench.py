"""Lead routing throughput: leads routed per second through HTTP, with p50/p99 latency.

    .venv/bin/python -m bench.routing_bench --partners 100000 --leads 2000 --concurrency 4
    .venv/bin/python -m bench.routing_bench --partners 100000 --leads 2000 --concurrency 4 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_routing

The store is seeded once with profiles.seed partners (bench.store_seed); routing state
(`bench.routing_state.forget_leads`) is emptied before each run so runs compare.
`partnermatch serve` runs in a second process on 127.0.0.1; this process drives a bounded
load: `--concurrency` clients, each posting its share of `--leads` leads back to back
(POST /v1/leads with an Idempotency-Key, the default balanced policy). A lead is counted
when its routing response (offered, unassigned or direct) has arrived. Also printed: the CPU
a lead took in the serving process and in PostgreSQL's processes on this host (with
`--concurrency 1`, the cost of a lead without contention).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.preview_bench import VAR, generate_leads, report, serving
from bench.routing_state import analyze_leads, forget_leads
from bench.server import cpu_seconds, postgres_processes
from bench.store_seed import open_seeded_store
from core.access.models import Role
from core.access.service import renew_named_key
from core.database import make_sessionmaker, transaction
from core.settings import Settings

# Leads routed before measuring, so that neither the measured time nor the CPU includes what a
# fresh server does once (its first notification pass over every profile, lazy imports).
WARM_UP = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    args = parser.parse_args()

    VAR.mkdir(exist_ok=True)
    settings = Settings(
        database_url=args.database_url or f"sqlite:///{VAR / f'routing-{args.partners}.db'}",
        index_dir=str(VAR / f"routing-{args.partners}-{backend(args.database_url)}-index"),
    )
    engine = open_seeded_store(settings.database_url, count=args.partners, seed=args.seed)
    forget_leads(engine)
    generated = generate_leads(engine, count=WARM_UP + args.leads, seed=args.seed)
    warm_up, leads = generated[:WARM_UP], generated[WARM_UP:]
    with transaction(make_sessionmaker(engine)) as session:
        key = renew_named_key(
            session, name="routing-bench", role=Role.MANAGER, now=datetime.now(UTC)
        )
    engine.dispose()

    with serving(settings) as server:
        _load(server.url, warm_up, secret=key.secret, concurrency=1, keys="warm-up")
        analyze_leads(settings.database_url)
        serving_cpu = cpu_seconds(server.processes())
        database_cpu = cpu_seconds(postgres_processes())  # ended processes drop out
        started = time.perf_counter()
        results = _load(
            server.url, leads, secret=key.secret, concurrency=args.concurrency, keys="bench"
        )
        elapsed = time.perf_counter() - started
        serving_cpu = cpu_seconds(server.processes()) - serving_cpu
        database_cpu = cpu_seconds(postgres_processes()) - database_cpu
    statuses = Counter(status for status, _ in results)
    print(
        f"{backend(args.database_url)}, {args.partners:,} partners, {len(leads)} leads, "
        f"{args.concurrency} client(s): {len(leads) / elapsed:.1f} leads/s routed over HTTP"
    )
    report("POST /v1/leads", [seconds for _, seconds in results])
    print(f"  outcomes: {dict(statuses)}")
    print(
        f"  CPU per lead: serving {serving_cpu / len(leads) * 1000:.2f} ms, "
        f"PostgreSQL on this host {database_cpu / len(leads) * 1000:.2f} ms"
    )


def _load(
    url: str, leads: list[dict[str, Any]], *, secret: str, concurrency: int, keys: str
) -> list[tuple[str, float]]:
    """Post every lead once, `concurrency` at a time, with Idempotency-Keys named `keys`-n;
    (status, seconds) per lead."""
    headers = {"Authorization": f"Bearer {secret}"}
    shares = [list(enumerate(leads))[i::concurrency] for i in range(concurrency)]

    def client_loop(share: list[tuple[int, dict[str, Any]]]) -> list[tuple[str, float]]:
        timings = []
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for n, body in share:
                started = time.perf_counter()
                response = client.post(
                    "/v1/leads", json=body, headers={"Idempotency-Key": f"{keys}-{n}"}
                )
                seconds = time.perf_counter() - started
                response.raise_for_status()
                timings.append((response.json()["status"], seconds))
        return timings

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return [result for share in pool.map(client_loop, shares) for result in share]


def backend(url: str | None) -> str:
    return "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"


if __name__ == "__main__":
    main()
