"""OpenSearch and the embedded index side by side: indexing, search and lead preview.

    .venv/bin/python -m bench.opensearch_bench --partners 100000

One run over one seeded SQLite store (bench/var/store-N.db, the partners of
bench/search_bench.py) and one workload: the (a)/(b)/(c) queries of bench/workload.py and the
leads of bench/preview_bench.py, timed in-process against each backend. OpenSearch is a real
single-node OpenSearch started from its published jars (indexing/opensearch/node.py, heap
-Xms512m -Xmx1g unless --heap says otherwise), or the cluster named by
PARTNERMATCH_OPENSEARCH_URL. Measured per backend: build (embedded `rebuild()`; OpenSearch
`reindex`: store read + bulk + verification + alias swap) and docs/s, query and preview
p50/p99 after a warm-up, memory (the node's JVM heap and the RSS of its process; the embedded
index's growth of this process's RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from bench.preview_bench import generate_leads
from bench.store_seed import open_seeded_store
from bench.workload import make_workload
from core.database import make_sessionmaker, transaction
from indexing.embedded import EmbeddedIndex
from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.client import make_client
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.node import DEFAULT_HEAP, OpenSearchNode, fixed_heap
from indexing.opensearch.reindex import reindex
from indexing.opensearch.sync import SyncConfig
from indexing.protocol import PartnerIndex
from matcher.leads import ranking
from matcher.leads.payload import LeadIn
from profiles.freshness import FreshnessPolicy
from profiles.geocoding import make_geocoder

VAR = Path(__file__).parent / "var"
WARMUP = 20
URL_ENV = "PARTNERMATCH_OPENSEARCH_URL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="per query kind")
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2000, help="bulk batch size (documents)")
    parser.add_argument(
        "--heap",
        default=None,
        help="the started node's JVM heap, e.g. 2g (default: -Xms512m -Xmx1g)",
    )
    args = parser.parse_args()

    VAR.mkdir(exist_ok=True)
    store = VAR / f"store-{args.partners}.db"
    engine = open_seeded_store(f"sqlite:///{store}", count=args.partners, seed=0)
    now = datetime.now(UTC)
    workload = make_workload(store, count=args.queries + WARMUP, now=now)
    leads = [
        LeadIn.model_validate(lead)
        for lead in generate_leads(engine, count=args.leads + WARMUP, seed=0)
    ]
    policy = FreshnessPolicy()

    def timed(index: PartnerIndex) -> dict[str, dict[str, float]]:
        geocoder = make_geocoder("offline", user_agent="partnermatch-bench")
        runs: dict[str, list[Callable[[], object]]] = {
            kind: [lambda q=q: index.search(q) for q in queries]
            for kind, queries in workload.kinds().items()
        }
        sessions = make_sessionmaker(engine)

        def preview(lead: LeadIn) -> object:
            with transaction(sessions) as session:  # the endpoint's unit of work
                retrieval = ranking.Retrieval(index, geocoder, tolerance_km=0)
                return ranking.preview_lead(session, lead, retrieval, now=now, limit=20)

        runs["lead_preview"] = [lambda lead=lead: preview(lead) for lead in leads]
        return {kind: _latency(calls) for kind, calls in runs.items()}

    rss_before = _rss_mb(os.getpid())
    started = time.perf_counter()
    embedded = EmbeddedIndex(engine, policy=policy)
    embedded.rebuild()
    embedded_build = time.perf_counter() - started
    results: dict[str, Any] = {
        "embedded": {
            "build_seconds": embedded_build,
            "docs_per_second": args.partners / embedded_build,
            "memory": {"process_rss_growth_mb": _rss_mb(os.getpid()) - rss_before},
            "latency_ms": timed(embedded),
        }
    }
    embedded.close()
    print(f"embedded: {results['embedded']}", file=sys.stderr)

    heap = fixed_heap(args.heap) if args.heap else DEFAULT_HEAP
    data_dir = Path(tempfile.mkdtemp(prefix="bench-opensearch-"))
    with opensearch(data_dir, heap=heap) as (url, node):
        client = make_client(url, timeout_s=120)
        names = IndexNames("bench")
        sessions = make_sessionmaker(engine)
        index = OpenSearchIndex(client, sessions=sessions, policy=policy, names=names)
        started = time.perf_counter()
        report = reindex(client, sessions=sessions, names=names, config=SyncConfig(),
                         batch_size=args.batch)  # fmt: skip
        build = time.perf_counter() - started
        latency = timed(index)
        results["opensearch"] = {
            "cluster": "single node started by the benchmark" if node else url,
            "build_seconds": build,
            "docs_per_second": report.documents / build,
            "memory": _node_memory(client, node),
            "latency_ms": latency,
        }
        client.indices.delete(index="bench-*")
        client.close()
    print(f"opensearch: {results['opensearch']}", file=sys.stderr)

    results["setup"] = {
        "command": " ".join([".venv/bin/python -m bench.opensearch_bench", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {now:%Y-%m-%d}",
        "partners": args.partners,
        "queries_per_kind": args.queries,
        "leads": args.leads,
        "node_heap": " ".join(heap),
    }
    (VAR / f"opensearch-results-{args.partners}.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))


@contextmanager
def opensearch(
    data_dir: Path, *, heap: tuple[str, ...]
) -> Iterator[tuple[str, OpenSearchNode | None]]:
    """(url, node): the configured cluster, or a node started (and stopped) for the run."""
    configured = os.environ.get(URL_ENV)
    if configured:
        yield configured, None
        return
    with OpenSearchNode(data_dir, heap=heap) as node:
        yield node.url, node


def _latency(calls: list[Callable[[], object]]) -> dict[str, float]:
    """p50/p99 in ms over the calls after the warm-up ones."""
    for call in calls[:WARMUP]:
        call()
    samples = []
    for call in calls[WARMUP:]:
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98]}


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) / 1024


def _node_memory(client: OpenSearch, node: OpenSearchNode | None) -> dict[str, float]:
    """The JVM heap in use and its maximum; the process's RSS (current and peak) when local."""
    stats = client.nodes.stats(metric="jvm")["nodes"]
    heap = next(iter(stats.values()))["jvm"]["mem"]
    memory = {
        "heap_used_mb": heap["heap_used_in_bytes"] / 2**20,
        "heap_max_mb": heap["heap_max_in_bytes"] / 2**20,
    }
    if node is not None:
        memory["rss_mb"] = _rss_mb(node.pid)
        memory["peak_rss_mb"] = _rss_mb(node.pid, "VmHWM")
    return memory


def markdown(results: dict[str, Any]) -> str:
    setup = results["setup"]
    lines = [
        f"Command: `{setup['command']}`  ",
        f"Machine: {setup['machine']}; {setup['partners']:,} partners, "
        f"{setup['queries_per_kind']} queries per kind, {setup['leads']} leads; "
        f"node heap {setup['node_heap']}  ",
        "",
        "| measure | embedded | OpenSearch (1 node) |",
        "|---|---|---|",
    ]
    embedded, opensearch_ = results["embedded"], results["opensearch"]
    lines.append(
        f"| build (embedded `rebuild`; OpenSearch `reindex`) | {embedded['build_seconds']:.1f} s, "
        f"{embedded['docs_per_second']:,.0f} docs/s | {opensearch_['build_seconds']:.1f} s, "
        f"{opensearch_['docs_per_second']:,.0f} docs/s |"
    )
    for kind in embedded["latency_ms"]:
        e, o = embedded["latency_ms"][kind], opensearch_["latency_ms"][kind]
        lines.append(
            f"| {kind} p50 / p99 ms | {e['p50']:.2f} / {e['p99']:.2f} | "
            f"{o['p50']:.2f} / {o['p99']:.2f} |"
        )
    memory = opensearch_["memory"]
    node_memory = f"heap {memory['heap_used_mb']:.0f} of {memory['heap_max_mb']:.0f} MB"
    if "rss_mb" in memory:
        node_memory += f", RSS {memory['rss_mb']:.0f} MB (peak {memory['peak_rss_mb']:.0f})"
    lines.append(
        f"| memory | +{embedded['memory']['process_rss_growth_mb']:.0f} MB RSS of the "
        f"process | {node_memory} |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
