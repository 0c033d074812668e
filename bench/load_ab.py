"""Open-loop lead routing on this checkout and another one at the same time, side by side.

    .venv/bin/python -m bench.load_ab --baseline /path/to/other/checkout --rate 75 --seconds 30
    .venv/bin/python -m bench.load_ab --baseline /path/to/other/checkout --database-url \\
        postgresql+psycopg://postgres@/bench_load?host=/var/run/postgresql

`bench.routing_ab` compares the CPU of a lead posted alone; what a lead waits for under load
(its worker's routing turn, the GIL, PostgreSQL's answers while both cores are busy) it cannot
see, and open-loop runs one after the other do not compare on this machine, whose speed drifts
by tens of percent within minutes. Here a one-worker `partnermatch serve` of each checkout (the
baseline's packages imported through PYTHONPATH) runs on the same store, and each gets leads at
`--rate` per second at the same time, scheduled as `bench.load_bench` does (latency from the
scheduled send time). Each round prints both servers' achieved rate, p50, p99 and errors:
within a round they shared the machine's good and bad moments.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path
from typing import Any

import uvloop

from bench.load_bench import VAR, open_loop, prepare, summary
from bench.routing_bench import backend
from bench.routing_state import analyze_leads
from bench.server import Server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=75, help="leads per second, each server")
    parser.add_argument("--seconds", type=float, default=30, help="each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    args = parser.parse_args()

    url, leads, secret = prepare("routing", partners=args.partners, database_url=args.database_url)
    index_dir = VAR / f"load-{args.partners}-{backend(args.database_url)}-index"
    codes = {"this": None, "baseline": args.baseline.resolve()}
    servers = {
        name: Server(
            log_dir=VAR, code=code, database_url=url, index_dir=index_dir, rate_limit="off"
        )
        for name, code in codes.items()
    }
    headers = {"Authorization": f"Bearer {secret}"}
    half = len(leads) // 2
    requests = {  # each server its own leads
        name: itertools.cycle(("POST", "/v1/leads", lead) for lead in part)
        for name, part in zip(servers, (leads[:half], leads[half:]), strict=True)
    }
    print(
        f"routing, {backend(args.database_url)}, {args.partners:,} partners, one worker each, "
        f"each offered {args.rate:.0f}/s for {args.seconds:.0f} s a round"
    )
    try:
        urls = {name: server.start().url for name, server in servers.items()}
        uvloop.run(_side_by_side(urls, headers, requests, rate=args.rate, seconds=3))  # warm-up
        analyze_leads(url)
        for round_ in range(1, args.rounds + 1):
            runs = uvloop.run(
                _side_by_side(urls, headers, requests, rate=args.rate, seconds=args.seconds)
            )
            for name, (results, elapsed) in runs.items():
                print(
                    f"  round {round_}, {name} ({codes[name] or 'installed'}): "
                    f"{summary(results, elapsed)}"
                )
    finally:
        for server in servers.values():
            server.stop()


async def _side_by_side(
    urls: dict[str, str],
    headers: dict[str, str],
    requests: dict[str, itertools.cycle[tuple[str, str, Any]]],
    *,
    rate: float,
    seconds: float,
) -> dict[str, tuple[list[tuple[bool, float]], float]]:
    runs = await asyncio.gather(
        *(
            open_loop(url, headers, requests[name], rate=rate, seconds=seconds)
            for name, url in urls.items()
        )
    )
    return dict(zip(urls, runs, strict=True))


if __name__ == "__main__":
    main()
