"""Acknowledged means committed: the loops that found responses sent before their commit.

    .venv/bin/python -m bench.write_path_bench
    .venv/bin/python -m bench.write_path_bench \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_write_path

Each run starts with an empty store (the SQLite file under bench/var/, or the PostgreSQL
database named, emptied first) and real `partnermatch serve` processes, and counts:
- misses of read-your-writes: GET right after a 201, search right after a create, search
  right after an update still showing the old name, accept or decline right after an offer
  answering anything but 200 or 409;
- lost writes after kill -9: acknowledged updates absent from the store or from search after
  a restart;
- convergence: how long a second process on the same store takes to find a partner written
  through the first (p50/p99; the default poll interval is 0.5 s).

With `--opensearch`, the service runs on the OpenSearch backend instead (a real single-node
OpenSearch started here, or PARTNERMATCH_OPENSEARCH_URL) and the run measures how long an
acknowledged write takes to become searchable there: the shipper's poll plus the refresh.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import text

from api.migrate import upgrade_database
from api.models_registry import metadata
from bench.server import Server
from core.access.models import Role
from core.access.service import issue_key
from core.database import make_engine, make_sessionmaker, transaction
from indexing.opensearch.node import OpenSearchNode

VAR = Path(__file__).parent / "var"

PARTNER: dict[str, Any] = {
    "tier": "gold",
    "locations": [{"city": "Munich", "country": "DE", "lat": 48.137, "lon": 11.575}],
    "skills": [{"name": "AWS", "level": 4, "verified": True}],
    "languages": ["de", "en"],
}
LEAD: dict[str, Any] = {
    "title": "Cloud migration",
    "customer": {"name": "Brandt Maschinenbau", "lat": 48.14, "lon": 11.58},
    "required_skills": ["AWS"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file under bench/var/")
    parser.add_argument("--tries", type=int, default=200)
    parser.add_argument("--opensearch", action="store_true", help="measure that backend")
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{VAR / 'write-path.db'}"
    key = _empty_store(url)
    headers = {"Authorization": f"Bearer {key}"}
    index_dirs = [VAR / "write-path-index-a", VAR / "write-path-index-b"]
    for directory in index_dirs:
        shutil.rmtree(directory, ignore_errors=True)
    store = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    if args.opensearch:
        _opensearch(url, headers=headers, tries=args.tries // 2, store=store)
        return
    print(f"{store}, {args.tries} tries per loop")

    server = Server(
        log_dir=VAR, database_url=url, index_dir=index_dirs[0], rate_limit="off"
    ).start()
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        _read_your_writes(http, tries=args.tries)
        _lead_races(http, tries=args.tries // 4)
        acknowledged = _updates(http, tries=args.tries)
    server.kill()
    server.start()
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        lost = sum(_found(http, word) != {pid} for pid, word in acknowledged.items())
        print(f"  kill -9 after {len(acknowledged)} acknowledged updates: {lost} lost")
        other = Server(
            log_dir=VAR, database_url=url, index_dir=index_dirs[1], rate_limit="off"
        ).start()
        try:
            _convergence(http, other, headers=headers, tries=args.tries // 2)
        finally:
            other.stop()
    server.stop()


def _opensearch(url: str, *, headers: dict[str, str], tries: int, store: str) -> None:
    """Acknowledged write to searchable, on the OpenSearch backend (one serve process)."""
    with ExitStack() as stack:
        cluster = os.environ.get("PARTNERMATCH_OPENSEARCH_URL")
        if not cluster:
            node = stack.enter_context(OpenSearchNode(VAR / "write-path-opensearch"))
            cluster = node.url
        server = Server(
            log_dir=VAR,
            rate_limit="off",
            database_url=url,
            search_backend="opensearch",
            opensearch_url=cluster,
        )
        server.start()
        stack.callback(server.stop)
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            delays = [_until_found(http, http, n) for n in range(tries)]
    print(f"{store}, OpenSearch backend, {tries} writes")
    _report("an acknowledged write is searchable", delays)


def _until_found(writer: httpx.Client, reader: httpx.Client, n: int) -> float:
    """Seconds from a create's acknowledgement until `reader` finds the partner."""
    word = f"zq{n}elsewhere"
    created = _ok(writer.post("/v1/partners", json={**PARTNER, "name": f"Partner {word}"}))
    acknowledged = time.perf_counter()
    while _found(reader, word) != {created["id"]}:
        time.sleep(0.005)
    return time.perf_counter() - acknowledged


def _report(what: str, delays: list[float]) -> None:
    ms = np.array(delays) * 1000
    print(
        f"  {what} after p50 {np.percentile(ms, 50):.0f} ms, "
        f"p99 {np.percentile(ms, 99):.0f} ms, max {ms.max():.0f} ms ({len(ms)} writes)"
    )


def _empty_store(url: str) -> str:
    """Migrate, empty every table but the store's identity, and issue an admin key."""
    engine = make_engine(url)
    upgrade_database(engine)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name != "store_identity":
                connection.execute(text(f"DELETE FROM {table.name}"))
    with transaction(make_sessionmaker(engine)) as session:
        secret = issue_key(
            session, name="write-path-bench", role=Role.ADMIN, partner_id=None, now=_now()
        ).secret
    engine.dispose()
    return secret


def _read_your_writes(http: httpx.Client, *, tries: int) -> None:
    get_misses = search_misses = stale_reads = 0
    for n in range(tries):
        word = f"zq{n}fresh"
        created = _ok(http.post("/v1/partners", json={**PARTNER, "name": f"Partner {word}"}))
        get_misses += http.get(f"/v1/partners/{created['id']}").status_code != 200
        search_misses += _found(http, word) != {created["id"]}
        renamed = f"zq{n}renamed"
        _ok(http.patch(f"/v1/partners/{created['id']}", json={"name": renamed}))
        stale_reads += _found(http, word) != set() or _found(http, renamed) != {created["id"]}
    print(f"  GET right after a 201: {get_misses} of {tries} missed")
    print(f"  search right after a create: {search_misses} of {tries} missed")
    print(f"  search right after an update showing the old name: {stale_reads} of {tries}")


def _lead_races(http: httpx.Client, *, tries: int) -> None:
    """Accept right after the offer, and accept/decline racing on one offer."""
    failed_accepts = 0
    statuses: list[int] = []
    for _ in range(tries):
        lead = _ok(http.post("/v1/leads", json=LEAD))
        failed_accepts += http.post(f"/v1/leads/{lead['id']}/accept").status_code != 200
        lead = _ok(http.post("/v1/leads", json=LEAD))
        with ThreadPoolExecutor(2) as pool:
            answers = [
                pool.submit(http.post, f"/v1/leads/{lead['id']}/{action}", json={"reason": "x"})
                for action in ("accept", "decline")
            ]
            statuses += [answer.result().status_code for answer in answers]
    errors = sum(status not in (200, 409) for status in statuses)
    print(f"  accept right after an offer: {failed_accepts} of {tries} failed")
    print(f"  accept and decline racing: {errors} of {len(statuses)} answered neither 200 nor 409")


def _updates(http: httpx.Client, *, tries: int) -> dict[int, str]:
    acknowledged = {}
    for n in range(tries):
        created = _ok(http.post("/v1/partners", json={**PARTNER, "name": f"Durable {n}"}))
        _ok(http.patch(f"/v1/partners/{created['id']}", json={"name": f"zq{n}durable"}))
        acknowledged[created["id"]] = f"zq{n}durable"
    return acknowledged


def _convergence(http: httpx.Client, other: Server, *, headers: dict[str, str], tries: int) -> None:
    with httpx.Client(base_url=other.url, headers=headers, timeout=60) as reader:
        delays = [_until_found(http, reader, n) for n in range(tries)]
    _report("another process finds a write", delays)


def _found(http: httpx.Client, word: str) -> set[int]:
    body = _ok(http.get("/v1/partners/search", params={"q": word, "limit": 100}))
    return {item["id"] for item in body["items"]}


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def _now() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":
    main()
