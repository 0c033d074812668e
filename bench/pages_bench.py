"""Time to first render of the directory page: p50/p99 over server-rendered loads, HTTP client.

    .venv/bin/python -m bench.pages_bench --partners 100000 --loads 200

The store (SQLite under bench/var/, shared with the preview benchmark) is seeded once with
profiles.seed partners; `partnermatch serve` runs in a second process on a free port. Each
load is a shared-URL search as a visitor would open it, `/?near=<city>, <country>&radius_km=
<25|50|100>&skills=<skill>`, near a random partner office and asking for one of that
partner's skills. A load is timed from sending the request to the last byte of the HTML
(the first page of results is in it, so the browser can render it without JavaScript);
time to the first byte is reported too, and the JSON search API on the same queries for
comparison (the page's own cost is the difference). Ten warm-up loads are not counted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
from sqlalchemy import Engine, select

from bench.preview_bench import serving
from bench.store_seed import open_seeded_store, skills_by_partner
from core.settings import Settings
from profiles.models import Location

VAR = Path(__file__).parent / "var"
WARM_UP = 10
RADII = (25, 50, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--database-url", help="a store seeded with the same partners (default: under bench/var/)"
    )
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    settings = Settings(
        database_url=args.database_url or f"sqlite:///{VAR / f'preview-{args.partners}.db'}",
        index_dir=str(VAR / f"pages-{args.partners}-index"),
    )
    engine = open_seeded_store(settings.database_url, count=args.partners, seed=args.seed)
    urls = directory_urls(engine, count=WARM_UP + args.loads, seed=args.seed)
    engine.dispose()
    started = time.perf_counter()
    with serving(settings) as server:
        url = server.url
        print(f"server ready in {time.perf_counter() - started:.1f} s at {url}")
        first_byte, full, results = load(url, urls)
        api_urls = ["/v1/partners/search" + url[1:] for url in urls]
        _, api_full, _ = load(url, api_urls, marker=b'"items"')
    report("JSON search API, same queries", api_full[WARM_UP:])
    report("time to first byte", first_byte[WARM_UP:])
    report("full HTML (first render)", full[WARM_UP:])
    print(
        f"  results per load: median {np.median(results):.0f}, with none: "
        f"{sum(1 for n in results if n == 0)} of {len(results)}"
    )
    slowest = sorted(zip(full[WARM_UP:], urls[WARM_UP:], strict=True), reverse=True)[:5]
    for seconds, url in slowest:
        print(f"  slow: {seconds * 1000:.1f} ms {url}")


def directory_urls(engine: Engine, *, count: int, seed: int) -> list[str]:
    """Shared-URL searches near random offices (by city name) for one of their skills."""
    rng = np.random.default_rng(seed)
    with engine.connect() as connection:
        offices = connection.execute(
            select(Location.partner_id, Location.city, Location.country).where(
                Location.city.is_not(None)
            )
        ).all()
        picked = [offices[i] for i in rng.choice(len(offices), size=count)]
        wanted = sorted({partner_id for partner_id, _, _ in picked})
        skills = skills_by_partner(connection, wanted)
    urls = []
    for partner_id, city, country in picked:
        own = skills.get(partner_id) or ["Kubernetes"]
        params = {
            "near": f"{city}, {country}",
            "radius_km": int(rng.choice(RADII)),
            "skills": str(rng.choice(own)),
        }
        urls.append("/?" + urlencode(params))
    return urls


def load(
    base: str, urls: list[str], *, marker: bytes = b'id="results_heading"'
) -> tuple[list[float], list[float], list[int]]:
    """Sequential loads: seconds to the first byte, to the last byte, and results shown."""
    first_byte, full, results = [], [], []
    with httpx.Client(base_url=base, timeout=60) as client:
        for url in urls:
            started = time.perf_counter()
            with client.stream("GET", url) as response:
                chunks = response.iter_bytes()
                body = next(chunks, b"")
                first_byte.append(time.perf_counter() - started)
                body += b"".join(chunks)
                full.append(time.perf_counter() - started)
            if response.status_code != 200 or marker not in body:
                raise RuntimeError(f"{url}: {response.status_code}")
            results.append(body.count(b'<li class="card">\n'))
    return first_byte, full, results


def report(label: str, timings: list[float]) -> None:
    ms = np.array(timings) * 1000
    print(
        f"{label}: {len(ms)} loads, p50 {np.percentile(ms, 50):.2f} ms, "
        f"p99 {np.percentile(ms, 99):.2f} ms, mean {ms.mean():.2f} ms, max {ms.max():.2f} ms"
    )


if __name__ == "__main__":
    main()
