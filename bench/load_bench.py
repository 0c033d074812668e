"""Open-loop load over HTTP: a fixed arrival rate, latency counted from each request's
scheduled send time (so queueing in the server or the client is not hidden).

    .venv/bin/python -m bench.load_bench search --partners 100000 --rate 600 --seconds 20
    .venv/bin/python -m bench.load_bench routing --partners 100000 --rate 150 --seconds 20
    .venv/bin/python -m bench.load_bench search --cold --rate 100 --seconds 10
    .venv/bin/python -m bench.load_bench search --workers 2 --rate 600 --seconds 20
    .venv/bin/python -m bench.load_bench routing --workers 2 --shared-socket --rate 150
    ... --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_load
    ... --database-url 'postgresql+psycopg://postgres@/bench_load?host=/var/run/postgresql'

The store is seeded once (bench.store_seed, as the other benchmarks; `routing` first deletes
the leads of earlier runs) and `partnermatch serve`
runs in a second process (rate limit off: one generator stands for many clients). `search`
sends the six-query directory mix (near a city + skills + radius, near only, free text,
country, sort by distance, text + near); `routing` posts leads. `--cold` measures from the
server's start instead of after a warm-up. Prints the achieved rate, p50/p99/max, errors and
each serving process's resident memory: RSS and PSS (a page shared by k workers counts 1/k in
each, so the PSS total is what the workers take together).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import uvloop

from bench.preview_bench import generate_leads
from bench.routing_state import analyze_leads, forget_leads
from bench.server import Server
from bench.store_seed import open_seeded_store
from core.access.models import Role
from core.access.service import renew_named_key
from core.database import make_sessionmaker, transaction

VAR = Path(__file__).parent / "var"
CONNECTIONS = 64  # concurrent requests at most, as many keep-alive connections
SEARCHES: list[dict[str, Any]] = [
    {"near": "Munich", "skills": "aws", "radius_km": 100},
    {"near": "Berlin"},
    {"q": "cloud migration"},
    {"country": "FR"},
    {"near": "48.85,2.35", "radius_km": 200, "sort": "distance"},
    {"q": "kubernetes", "near": "Hamburg", "radius_km": 150},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("search", "routing"))
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cold", action="store_true", help="no warm-up before measuring")
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--shared-socket", action="store_true", help="serve --shared-socket")
    args = parser.parse_args()

    url, leads, secret = prepare(args.kind, partners=args.partners, database_url=args.database_url)
    store = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    index_dir = VAR / f"load-{args.partners}-{store}-index"
    server = Server(
        log_dir=VAR,
        workers=args.workers,
        shared_socket=args.shared_socket,
        database_url=url,
        index_dir=index_dir,
        rate_limit="off",
    )
    server.start()
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        requests = _requests(args.kind, leads)
        if not args.cold:
            uvloop.run(open_loop(server.url, headers, requests, rate=args.rate, seconds=3))
            if args.kind == "routing":
                analyze_leads(url)
        results, elapsed = uvloop.run(  # elapsed: until the last answer, backlog included
            open_loop(server.url, headers, requests, rate=args.rate, seconds=args.seconds)
        )
        memory = server.memory_mb()
    finally:
        server.stop()
    start = "a cold start" if args.cold else "a warm server"
    sockets = " (one shared socket)" if args.shared_socket and args.workers > 1 else ""
    per_worker = ", ".join(f"{rss:.0f}/{pss:.0f}" for rss, pss in memory.values())
    total_pss = sum(pss for _, pss in memory.values())
    print(
        f"{args.kind}, {store}, {args.partners:,} partners, "
        f"{args.workers} worker(s){sockets}, {start}, "
        f"offered {args.rate:.0f}/s for {args.seconds:.0f} s: {summary(results, elapsed)}; "
        f"RSS/PSS per worker {per_worker} MB, total PSS {total_pss:.0f} MB"
    )


def prepare(
    kind: str, *, partners: int, database_url: str | None
) -> tuple[str, list[dict[str, Any]], str]:
    """The store's URL (seeded once; for routing its earlier leads deleted), 2,000 leads to
    post (none for search) and a manager key's secret."""
    VAR.mkdir(exist_ok=True)
    url = database_url or f"sqlite:///{VAR / f'load-{partners}.db'}"
    engine = open_seeded_store(url, count=partners, seed=0)
    leads = []
    if kind == "routing":
        forget_leads(engine)
        leads = generate_leads(engine, count=2_000, seed=0)
    with transaction(make_sessionmaker(engine)) as session:
        key = renew_named_key(session, name="load-bench", role=Role.MANAGER, now=datetime.now(UTC))
    engine.dispose()
    return url, leads, key.secret


def summary(results: list[tuple[bool, float]], elapsed: float) -> str:
    """Achieved rate (answers over the time to the last one), p50, p99, max and errors."""
    latencies = np.array([seconds for ok, seconds in results if ok]) * 1000
    errors = sum(not ok for ok, _ in results)
    p50, p99 = np.percentile(latencies, [50, 99])
    return (
        f"achieved {len(latencies) / elapsed:.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {latencies.max():.1f} ms, {errors} errors"
    )


def _requests(kind: str, leads: list[dict[str, Any]]) -> itertools.cycle[tuple[str, str, Any]]:
    if kind == "search":
        return itertools.cycle(("GET", "/v1/partners/search", params) for params in SEARCHES)
    return itertools.cycle(("POST", "/v1/leads", lead) for lead in leads)


async def open_loop(
    base_url: str,
    headers: dict[str, str],
    requests: itertools.cycle[tuple[str, str, Any]],
    *,
    rate: float,
    seconds: float,
) -> tuple[list[tuple[bool, float]], float]:
    """Schedule one request every 1/rate s whatever the answers: (ok, s since scheduled) for
    each, and the seconds from the first scheduled time to the last answer.

    CONNECTIONS senders take the scheduled requests in order, each waiting for its answer
    before it takes the next, over a pool of as many keep-alive connections, opened as the
    first requests come due; a request no sender is free for waits, and that wait counts in
    its latency. A connection stays with the worker that took it, so how they split decides
    each worker's share. With a socket per worker (the default) the kernel splits them by a
    hash of their addresses. With one shared socket (`--shared-socket`) the worker that wakes
    first takes them: the warm-up's pool reused for the measurement split 33/4 and routing's
    p99 went from 47 to 570 ms, and opened here, at full rate, they stalled about one search
    run in three for 0.4-1.5 s (under load uvloop accepts one connection per loop
    iteration). The generator shares the server's 2 cores, so it is as lean as it can be:
    aiohttp (its HTTP parser is C) on uvloop takes about a third of the CPU per request that
    httpx on asyncio took (60% of a core at 570 requests/s), which the server got to use."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        base_url=base_url, headers=headers, connector=connector, timeout=timeout
    ) as session:
        start = time.perf_counter() + 0.1
        schedule: asyncio.Queue[tuple[float, str, str, Any]] = asyncio.Queue()
        for n in range(int(rate * seconds)):
            schedule.put_nowait((start + n / rate, *next(requests)))
        results: list[tuple[bool, float]] = []

        async def sender() -> None:
            while not schedule.empty():
                scheduled, method, path, payload = schedule.get_nowait()
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                arguments = {"params": payload} if method == "GET" else {"json": payload}
                try:
                    async with session.request(method, path, **arguments) as response:
                        await response.read()
                        ok = response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                results.append((ok, time.perf_counter() - scheduled))

        await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
    return results, time.perf_counter() - start


if __name__ == "__main__":
    main()
