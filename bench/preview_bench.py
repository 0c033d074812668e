"""Lead preview latency: p50/p99 over generated leads, in-process and over HTTP, one run.

    .venv/bin/python -m bench.preview_bench --partners 100000 --leads 1000

The store (SQLite under bench/var/) is seeded once with profiles.seed partners; the index is
rebuilt once and snapshotted. Leads are placed near a random partner office and ask for one
or two of that partner's skills, so most have candidates. In-process time covers lead
validation, geocoding, retrieval, scoring and the response model; HTTP time is a sequential
client on 127.0.0.1 against `partnermatch serve` in a second process.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import Engine, select

from bench.server import Server
from bench.store_seed import open_seeded_store, skills_by_partner
from core.access.models import Role
from core.access.service import renew_named_key
from core.database import make_sessionmaker, transaction
from core.settings import Settings
from indexing.factory import open_index
from matcher.leads import ranking
from matcher.leads.payload import LeadIn
from profiles.geocoding import make_geocoder
from profiles.models import Location, Partner

VAR = Path(__file__).parent / "var"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    parser.add_argument(
        "--database-url", help="a store seeded with the same partners (default: under bench/var/)"
    )
    args = parser.parse_args()

    settings = Settings(
        database_url=args.database_url or f"sqlite:///{VAR / f'preview-{args.partners}.db'}",
        index_dir=str(VAR / f"preview-{args.partners}-index"),
    )
    VAR.mkdir(exist_ok=True)
    engine = open_seeded_store(settings.database_url, count=args.partners, seed=args.seed)
    leads = generate_leads(engine, count=args.leads, seed=args.seed)

    started = time.perf_counter()
    index = open_index(settings, engine, poll=False)
    print(f"index ready in {time.perf_counter() - started:.1f} s: {index.stats()}")
    geocoder = make_geocoder(settings.geocoder, user_agent=settings.geocoder_user_agent)
    sessions = make_sessionmaker(engine)
    timings, sizes = [], []
    for body in leads:
        started = time.perf_counter()
        with transaction(sessions) as session:  # the endpoint's unit of work (active model)
            result = ranking.preview_lead(
                session,
                LeadIn.model_validate(body),
                ranking.Retrieval(index, geocoder, settings.lead_radius_tolerance_km),
                now=datetime.now(UTC),
                limit=20,
            )
        timings.append(time.perf_counter() - started)
        sizes.append(len(result.candidates))
    index.close()
    report("in-process", timings)
    print(f"  candidates returned per lead: median {np.median(sizes):.0f}, max {max(sizes)}")

    if not args.no_http:
        with transaction(sessions) as session:
            now = datetime.now(UTC)
            key = renew_named_key(session, name="preview-bench", role=Role.MANAGER, now=now)
        with serving(settings) as server:
            report("HTTP", http_timings(server.url, leads, secret=key.secret))
    engine.dispose()


def generate_leads(engine: Engine, *, count: int, seed: int) -> list[dict[str, Any]]:
    """Leads within ~20 km of a random office, asking for skills that office's partner has."""
    rng = np.random.default_rng(seed)
    with engine.connect() as connection:
        offices = connection.execute(select(Location.partner_id, Location.lat, Location.lon)).all()
        picked = [offices[i] for i in rng.choice(len(offices), size=count)]
        wanted = sorted({partner_id for partner_id, _, _ in picked})
        skills = skills_by_partner(connection, wanted)
        languages: dict[int, list[str]] = {
            partner_id: spoken
            for partner_id, spoken in connection.execute(
                select(Partner.id, Partner.languages).where(Partner.id.in_(wanted))
            )
        }
    leads = []
    for n, (partner_id, lat, lon) in enumerate(picked):
        own = skills.get(partner_id) or ["Kubernetes"]
        spoken = languages.get(partner_id) or []
        chosen = rng.choice(own, size=min(len(own), 3), replace=False).tolist()
        jitter = rng.normal(0.0, 0.15, size=2)
        leads.append(
            {
                "title": f"Benchmark lead {n}",
                "customer": {"name": f"Customer {n}"},
                "location": {
                    "lat": float(np.clip(lat + jitter[0], -90, 90)),
                    "lon": float((lon + jitter[1] + 180) % 360 - 180),
                },
                "required_skills": chosen[:1] if n % 2 else chosen[:2],
                "preferred_skills": chosen[2:],
                "language": spoken[0] if spoken and n % 3 else None,
            }
        )
    return leads


@contextmanager
def serving(settings: Settings) -> Iterator[Server]:
    """`partnermatch serve` on a free loopback port in a second process, until the block ends
    (rate limit off: one load generator calls as many clients)."""
    server = Server(
        log_dir=VAR,
        database_url=settings.database_url,
        index_dir=settings.index_dir,
        rate_limit="off",
    ).start()
    try:
        yield server
    finally:
        server.stop()


def http_timings(url: str, leads: list[dict[str, Any]], *, secret: str) -> list[float]:
    timings = []
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        for body in leads:
            started = time.perf_counter()
            response = client.post("/v1/leads/preview", json=body)
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
    return timings


def report(label: str, timings: list[float]) -> None:
    ms = np.array(timings) * 1000
    print(
        f"{label}: {len(ms)} leads, p50 {np.percentile(ms, 50):.2f} ms, "
        f"p99 {np.percentile(ms, 99):.2f} ms, mean {ms.mean():.2f} ms, max {ms.max():.2f} ms"
    )


if __name__ == "__main__":
    main()
