"""OpenSearch backend benchmark: bulk indexing throughput and search latency.

    .venv/bin/python -m bench.opensearch_bench --partners 100000 --queries 1000

Seeds a SQLite store (bench/var, reused when present), rebuilds the index from it with
`reindex` (bulk load + count check + alias swap) and times the three query kinds of
bench/workload.py. Without PARTNERMATCH_OPENSEARCH_URL the cluster is the in-memory osmem-server
test server, NOT a real OpenSearch cluster: its figures say nothing about a production cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from osmem_server import OsmemServer

from api.database import make_engine, make_sessionmaker, upgrade_database
from bench.store_seed import seed_store, seeded_count
from bench.workload import make_workload
from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.client import make_client
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.reindex import reindex
from indexing.opensearch.sync import SyncConfig
from scoring.freshness import FreshnessPolicy

VAR = Path(__file__).parent / "var"


@contextmanager
def cluster_url() -> Iterator[tuple[str, str]]:
    """(url, label): the configured cluster, or an osmem-server started for the run."""
    configured = os.environ.get("PARTNERMATCH_OPENSEARCH_URL")
    if configured:
        yield configured, f"OpenSearch cluster at {configured}"
        return
    with OsmemServer.start(japanese=False) as server:
        yield server.url, f"osmem-server {server.version} (in-memory test server, not OpenSearch)"


def percentiles_ms(samples: list[float]) -> dict[str, float]:
    """p50, p99 and max in ms; with few samples p99 is close to the max, so both are given."""
    values = np.array(samples) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "max_ms": round(float(values.max()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000, help="per query kind")
    parser.add_argument("--batch", type=int, default=2000, help="bulk batch size (documents)")
    args = parser.parse_args()

    store = VAR / f"opensearch-{args.partners}.db"
    VAR.mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{store}")
    upgrade_database(engine)
    if seeded_count(engine) == 0:
        seed_store(engine, count=args.partners, seed=0, today=datetime.now(UTC).date())
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)

    with cluster_url() as (url, label):
        client = make_client(url, timeout_s=120)
        names = IndexNames("bench")
        config = SyncConfig()
        started = time.perf_counter()
        report = reindex(
            client, sessions=sessions, names=names, config=config, batch_size=args.batch
        )
        elapsed = time.perf_counter() - started
        print(f"reindex: {report.documents} documents in {elapsed:.1f} s", file=sys.stderr)
        index = OpenSearchIndex(client, sessions=sessions, policy=FreshnessPolicy(), names=names)
        latency: dict[str, dict[str, float]] = {}
        for kind, queries in make_workload(store, count=args.queries, now=now).kinds().items():
            samples = []
            for query in queries:
                t0 = time.perf_counter()
                index.search(query)
                samples.append(time.perf_counter() - t0)
            latency[kind] = percentiles_ms(samples)
            print(f"{kind}: {latency[kind]}", file=sys.stderr)
        client.indices.delete(index="bench-*")

    results = {
        "cluster": label,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "partners": report.documents,
        "reindex_seconds": round(elapsed, 1),
        "bulk_docs_per_second": round(report.documents / elapsed),
        "queries_per_kind": args.queries,
        "search_latency": latency,
    }
    print(json.dumps(results, indent=2))
    (VAR / f"opensearch-results-{args.partners}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
