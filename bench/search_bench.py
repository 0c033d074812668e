"""Search benchmark: embedded index vs PostgreSQL + PostGIS on the same partners and queries.

    .venv/bin/python bench/search_bench.py --partners 100000 1000000

For each size: seed a SQLite store (cached under bench/var), build the embedded index from it
in a fresh process (build time, resident memory), save and reload its snapshot, run 1,000
queries of each kind, then run the same queries against PostGIS loaded with the same rows.
Results are printed and written into bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.migrate import upgrade_database  # noqa: E402
from bench import postgis  # noqa: E402
from bench.store_seed import seed_store, seeded_count  # noqa: E402
from bench.workload import Workload, make_workload  # noqa: E402
from core.database import make_engine  # noqa: E402
from indexing.embedded import EmbeddedIndex  # noqa: E402
from profiles.freshness import FreshnessPolicy  # noqa: E402

VAR = ROOT / "bench" / "var"
README = ROOT / "bench" / "README.md"
MARK_START, MARK_END = "<!-- results:start -->", "<!-- results:end -->"
WARMUP = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgis", action="store_true")
    args = parser.parse_args()
    now = datetime.now(UTC)
    results = [_measure(n, args=args, now=now) for n in args.partners]
    report = _markdown(results, command=" ".join([".venv/bin/python", *sys.argv]))
    print(report)
    (VAR / "results.json").write_text(json.dumps(results, indent=2, default=str))
    _update_readme(report)


def _measure(count: int, *, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    store = VAR / f"store-{count}.db"
    seeded = _ensure_store(store, count=count, today=now.date())
    workload = make_workload(store, count=args.queries, now=now)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        embedded = pool.apply(_embedded, (store, workload))
    result: dict[str, Any] = {"partners": count, "seed_seconds": seeded, "embedded": embedded}
    if not args.skip_postgis:
        result["postgis"] = _postgis(args.pg_url, store, workload, embedded["totals"])
    embedded.pop("totals")
    return result


def _ensure_store(store: Path, *, count: int, today: date) -> float | None:
    store.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{store}")
    upgrade_database(engine)
    if seeded_count(engine) == count:
        return None
    if seeded_count(engine):
        raise SystemExit(f"{store} holds another partner count; delete it first")
    started = time.perf_counter()
    seed_store(engine, count=count, seed=0, today=today)
    engine.dispose()
    return time.perf_counter() - started


def _embedded(store: Path, workload: Workload) -> dict[str, Any]:
    """Runs in a fresh process so that its memory figures are the index's own."""
    engine = make_engine(f"sqlite:///{store}")
    snapshots = VAR / f"index-{store.stem}"
    index = EmbeddedIndex(engine, policy=FreshnessPolicy(), snapshot_dir=snapshots)
    started = time.perf_counter()
    index.rebuild()
    measured: dict[str, Any] = {
        "build_seconds": time.perf_counter() - started,
        "rss_mb": _memory_mb("VmRSS"),
        "peak_rss_mb": _memory_mb("VmHWM"),
        "locations": index.stats().locations,
    }
    started = time.perf_counter()
    index.save_snapshot()
    measured["snapshot_seconds"] = time.perf_counter() - started
    del index
    gc.collect()
    started = time.perf_counter()
    index = EmbeddedIndex(engine, policy=FreshnessPolicy(), snapshot_dir=snapshots)
    index.open()
    measured["restart_from_snapshot_seconds"] = time.perf_counter() - started
    measured["latency_ms"], measured["totals"] = {}, {}
    for kind, queries in workload.kinds().items():
        for query in queries[:WARMUP]:
            index.search(query)
        latencies, totals = [], []
        for query in queries:
            began = time.perf_counter()
            totals.append(index.search(query).total)
            latencies.append((time.perf_counter() - began) * 1000)
        measured["latency_ms"][kind] = _percentiles(latencies)
        measured["totals"][kind] = totals
    return measured


def _postgis(
    url: str, store: Path, workload: Workload, totals: dict[str, list[int]]
) -> dict[str, Any]:
    connection = postgis.connect(url)
    loaded = postgis.load(connection, store)
    policy = FreshnessPolicy()
    sql = {
        "a_near_skills_radius": postgis.near_sql(policy),
        "b_free_text": postgis.text_sql(policy),
        "c_country_facets": postgis.facets_sql(policy),
    }
    measured: dict[str, Any] = {"load_seconds": loaded, "latency_ms": {}, "same_total": {}}
    for kind, queries in workload.kinds().items():
        postgis.run(connection, sql[kind], queries[:WARMUP])
        latencies, pg_totals = postgis.run(connection, sql[kind], queries)
        measured["latency_ms"][kind] = _percentiles(latencies)
        agree = sum(a == b for a, b in zip(pg_totals, totals[kind], strict=True))
        measured["same_total"][kind] = agree / len(queries)
    connection.close()
    return measured


def _percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98], "mean": statistics.fmean(latencies)}


def _memory_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) / 1024


def _markdown(results: list[dict[str, Any]], *, command: str) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    lines = [
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}  ",
        "",
        "| partners | build s | RSS MB (peak) | restart s | query | embedded p50 / p99 ms "
        "| PostGIS p50 / p99 ms | p99 speed-up | same total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        embedded, pg = result["embedded"], result.get("postgis")
        for kind, latency in embedded["latency_ms"].items():
            pg_latency = pg["latency_ms"][kind] if pg else None
            lines.append(
                f"| {result['partners']:,} | {embedded['build_seconds']:.1f} "
                f"| {embedded['rss_mb']:.0f} ({embedded['peak_rss_mb']:.0f}) "
                f"| {embedded['restart_from_snapshot_seconds']:.1f} | {kind} "
                f"| {latency['p50']:.2f} / {latency['p99']:.2f} "
                + (
                    f"| {pg_latency['p50']:.2f} / {pg_latency['p99']:.2f} "
                    f"| {pg_latency['p99'] / latency['p99']:.1f}x "
                    f"| {pg['same_total'][kind]:.0%} |"
                    if pg and pg_latency
                    else "| - | - | - |"
                )
            )
    return "\n".join(lines)


def _update_readme(report: str) -> None:
    text = README.read_text() if README.exists() else f"{MARK_START}\n{MARK_END}\n"
    head, _, rest = text.partition(MARK_START)
    _, _, tail = rest.partition(MARK_END)
    README.write_text(f"{head}{MARK_START}\n{report}\n{MARK_END}{tail}")


if __name__ == "__main__":
    main()
