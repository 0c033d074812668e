"""The abuse cases of issue "Serving at public scale", each against a real `partnermatch serve`:
its status, how long it took, the serving processes' RSS growth, and the slowest /healthz
answered meanwhile (a request that stalls the process shows there).

    .venv/bin/python -m bench.abuse_bench [--partners 2000] [--import-mb 20] [--workers 1]
    ... --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_abuse
    ... --only import   (the cases whose name holds this text)

Targets: no 5xx, no request over 5 s (the slow body is held for PARTNERMATCH_BODY_IDLE_SECONDS,
4 s by default), RSS growth under 100 MB each. An import's own time grows with its body (the
issue's case is 100 MB); what must stay under 5 s are the writes and reads made meanwhile,
which the import case times ("slowest").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.server import Server
from bench.store_seed import open_seeded_store
from core.access.models import Role
from core.access.service import renew_named_key
from core.database import make_sessionmaker, transaction
from profiles.seed import generate_partners

VAR = Path(__file__).parent / "var"
_SOURCE_TIMES = frozenset({"profile_updated_at", "attested_at"})  # an import's, not an API write's
Case = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[str]]


async def huge_body_without_key(client: httpx.AsyncClient, _: dict[str, str]) -> str:
    """200 MB of JSON announced and sent as fast as the server takes it, without a key; the
    answer is timed from the request's start."""
    host, port = client.base_url.host, client.base_url.port
    assert port is not None
    size = 200 * 1024 * 1024
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"POST /v1/partners HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n\r\n".encode()
    )

    async def send_body() -> None:
        chunk = b"0," * (512 * 1024)
        with contextlib.suppress(ConnectionError):
            for _ in range(size // len(chunk)):
                writer.write(chunk)
                await writer.drain()

    sending = asyncio.create_task(send_body())
    status_line = await reader.readline()
    sending.cancel()
    writer.close()
    return status_line.decode().split(" ", 2)[1]


async def many_unknown_keys(client: httpx.AsyncClient, key: dict[str, str]) -> str:
    body = json.dumps({f"k{n}": n for n in range(700_000)}).encode()  # about 7.9 MB
    response = await client.post("/v1/leads/preview", content=body, headers=key)
    return f"{response.status_code}, {len(response.content):,} bytes"


async def forged_cursor(client: httpx.AsyncClient, _: dict[str, str]) -> str:
    cursor = base64.urlsafe_b64encode(b"[" * 10_000 + b"]" * 10_000).decode()
    response = await client.get("/v1/partners/search", params={"cursor": cursor})
    return str(response.status_code)


async def unknown_methods(client: httpx.AsyncClient, key: dict[str, str]) -> str:
    statuses = {
        (await client.request(f"M{n}", "/v1/partners/search")).status_code for n in range(300)
    }
    metrics = (await client.get("/metrics", headers=key)).text
    series = sum(
        line.startswith("partnermatch_http_requests_total{") for line in metrics.splitlines()
    )
    return f"{sorted(statuses)}, {series} request series in /metrics"


async def slow_body(client: httpx.AsyncClient, key: dict[str, str]) -> str:
    """Headers announce a body that never comes."""
    host, port = client.base_url.host, client.base_url.port
    assert port is not None
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"POST /v1/partners HTTP/1.1\r\nHost: {host}\r\nAuthorization: {key['Authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return status_line.decode().split(" ", 2)[1]


def import_case(megabytes: int) -> Case:
    """A large NDJSON import while other writes (and keyed reads) go on; they must not fail."""

    async def run(client: httpx.AsyncClient, key: dict[str, str]) -> str:
        lines = []
        size = 0
        today = datetime.now(UTC).date()
        for n, partner in enumerate(generate_partners(10**7, seed=7, today=today)):
            line = json.dumps({**partner, "external_id": f"ABUSE-{n}"}) + "\n"
            lines.append(line.encode())
            size += len(line)
            if size >= megabytes * 1024 * 1024:
                break
        body = b"".join(lines)
        run = time.time_ns()  # the other writes create new partners on every run
        headers = {**key, "Content-Type": "application/x-ndjson"}
        importing = asyncio.create_task(
            client.post("/v1/partners/import", content=body, headers=headers)
        )
        others: list[int] = []
        slowest = 0.0
        while not importing.done():
            seeded = next(generate_partners(1, seed=len(others), today=today))
            payload = {name: value for name, value in seeded.items() if name not in _SOURCE_TIMES}
            payload["external_id"] = f"ABUSE-OTHER-{run}-{len(others)}"
            for method, path, arguments in (
                ("POST", "/v1/partners", {"json": payload}),
                ("GET", "/v1/leads", {}),
            ):
                began = time.perf_counter()
                answer = await client.request(method, path, headers=key, **arguments)
                slowest = max(slowest, time.perf_counter() - began)
                others.append(answer.status_code)
            await asyncio.sleep(0.2)
        imported = await importing
        report = imported.json()
        failed = [status for status in others if status >= 300]
        return (
            f"{imported.status_code}; {len(body) / 1e6:.0f} MB, {len(lines):,} lines: "
            f"created {report.get('created')}, updated {report.get('updated')}, "
            f"failed {report.get('failed')}; {len(others)} other requests meanwhile (a partner "
            f"created, leads listed), {len(failed)} failed {sorted(set(failed))}, "
            f"slowest {slowest:.2f} s"
        )

    return run


async def measure(server: Server, key: dict[str, str], name: str, case: Case) -> str:
    before = sum(rss for rss, _ in server.memory_mb().values())
    slowest_health = 0.0
    done = asyncio.Event()

    async def probe_health() -> None:
        nonlocal slowest_health
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as health:
            while not done.is_set():
                started = time.perf_counter()
                await health.get("/healthz")
                slowest_health = max(slowest_health, time.perf_counter() - started)
                await asyncio.sleep(0.1)

    prober = asyncio.create_task(probe_health())
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        started = time.perf_counter()
        outcome = await case(client, key)
        seconds = time.perf_counter() - started
    done.set()
    await prober
    growth = sum(rss for rss, _ in server.memory_mb().values()) - before
    return (
        f"| {name} | {outcome} | {seconds:.2f} s | {growth:+.0f} MB | "
        f"{slowest_health * 1000:.0f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=2_000)
    parser.add_argument("--import-mb", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    parser.add_argument("--only", default="", help="run the cases whose name holds this text")
    args = parser.parse_args()

    VAR.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{VAR / f'abuse-{args.partners}.db'}"
    engine = open_seeded_store(url, count=args.partners, seed=0)
    with transaction(make_sessionmaker(engine)) as session:
        issued = renew_named_key(
            session, name="abuse-bench", role=Role.MANAGER, now=datetime.now(UTC)
        )
    engine.dispose()
    store = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    server = Server(
        log_dir=VAR,
        workers=args.workers,
        database_url=url,
        index_dir=VAR / f"abuse-{args.partners}-{store}-index",
        rate_limit="off",
    )
    cases: dict[str, Case] = {
        "200 MB JSON body without a key": huge_body_without_key,
        "7.9 MB preview, 700,000 unknown keys": many_unknown_keys,
        f"{args.import_mb} MB NDJSON import + writes meanwhile": import_case(args.import_mb),
        "forged cursor, 10,000 levels deep, no key": forged_cursor,
        "body announced, never sent": slow_body,
        "300 unknown HTTP methods": unknown_methods,
    }
    server.start()
    try:
        key = {"Authorization": f"Bearer {issued.secret}"}
        print(f"{store}, {args.partners:,} partners, {args.workers} worker(s)")
        print("| case | answer | took | RSS growth | slowest /healthz meanwhile |")
        print("|---|---|---|---|---|")
        for name, case in cases.items():
            if args.only not in name:
                continue
            print(asyncio.run(measure(server, key, name, case)), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
