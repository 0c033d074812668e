"""Property: the embedded index returns exactly what a brute-force scan of the store returns.

A random world of partners is written, the index opened, then more writes are applied so
that answers come from a main segment with masked rows and from the delta. For random
queries, every page is fetched and compared with a plain-Python evaluation of the documented
semantics (indexing.protocol.SearchQuery) over rows read back from the store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from indexing.embedded import EmbeddedIndex
from indexing.embedded import facets as facet_tables
from indexing.embedded.geo import haversine_km
from indexing.embedded.text import TextModel
from indexing.protocol import SearchHit, SearchQuery, SearchResult
from profiles.freshness import FreshnessPolicy, assess
from profiles.models import Partner
from tests.factories import Place, certification, office, skill_levels
from tests.indexing.embedded.conftest import IndexFactory
from tests.indexing.factories import add_partner, delete_partner, update_partner

WORDS = ("cloud", "data", "security", "network", "alpine", "consulting", "retail")
SKILLS = ("AWS", "Azure", "Kubernetes", "SAP", "Python")
CERTS = ("CKA", "AWS SA", "CISSP")
INDUSTRIES = ("Retail", "Banking", "Manufacturing")
LANGUAGES = ("de", "en", "fr")
TIERS = ("registered", "silver", "gold", "platinum")
COUNTRIES = {
    "DE": (47.5, 54.5, 6.0, 15.0),
    "AT": (46.5, 48.8, 9.6, 17.0),
    "FR": (43.0, 50.0, -1.0, 7.0),
}
TODAY = datetime.now(UTC).date()
MONTH = timedelta(days=30)


def random_office(rng: random.Random) -> Place:
    country = rng.choice(list(COUNTRIES))
    south, north, west, east = COUNTRIES[country]
    return office(
        lat=rng.uniform(south, north),
        lon=rng.uniform(west, east),
        country=country,
        service_radius_km=rng.choice([30.0, 80.0, 250.0]),
    )


def random_partner(rng: random.Random) -> dict[str, Any]:
    levels = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(0, 3))}
    return {
        "name": " ".join(rng.sample(WORDS, 2)).title(),
        "description": " ".join(rng.sample(WORDS, rng.randint(0, 3))),
        "tier": rng.choice(TIERS),
        "locations": [random_office(rng) for _ in range(rng.randint(1, 3))],
        "skills": skill_levels(levels),
        "certifications": [
            certification(name, expires_at=rng.choice([None, TODAY - MONTH, TODAY + MONTH]))
            for name in rng.sample(CERTS, rng.randint(0, 2))
        ],
        "industries": rng.sample(INDUSTRIES, rng.randint(0, 2)),
        "languages": rng.sample(LANGUAGES, rng.randint(1, 2)),
        # Ages avoid the 150/180-day policy boundaries by hours, not milliseconds.
        "updated_days_ago": rng.choice([3.3, 160.4, 200.6]),
        "attested_days_ago": rng.choice([None, 10.2, 170.8]),
    }  # fmt: skip


def build_world(engine: Engine, open_index: IndexFactory, now: datetime) -> EmbeddedIndex:
    rng = random.Random(4)
    ids = [add_partner(engine, now=now, **random_partner(rng)) for _ in range(70)]
    index = open_index(merge_at=10_000)
    for partner_id in rng.sample(ids, 8):
        delete_partner(engine, partner_id)
        ids.remove(partner_id)
    for partner_id in rng.sample(ids, 8):
        update_partner(engine, partner_id, name="Updated Alpine", locations=[random_office(rng)])
    for _ in range(10):
        add_partner(engine, now=now, **random_partner(rng))
    index.catch_up()
    assert index.stats().delta_size > 0
    return index


@dataclass(frozen=True)
class StoredPartner:
    """A partner as read back from the store, with everything the oracle needs."""

    id: int
    tier: str
    terms: frozenset[str]
    skills: dict[str, int]
    active_certs: frozenset[str]
    industries: frozenset[str]
    languages: frozenset[str]
    offices: list[tuple[float, float, float, str]]
    stale: bool


def read_store(engine: Engine, *, now: datetime) -> list[StoredPartner]:
    model = TextModel()
    with Session(engine) as session:
        partners = session.scalars(select(Partner)).all()
        return [
            StoredPartner(
                id=p.id,
                tier=p.tier,
                terms=frozenset(
                    model.terms(" ".join([p.name, p.description, *(s.name for s in p.skills),
                                          *p.industries, *p.products]))
                ),
                skills={s.name: s.level for s in p.skills},
                active_certs=frozenset(
                    c.name for c in p.certifications if (c.expires_at or now.date()) >= now.date()
                ),
                industries=frozenset(p.industries),
                languages=frozenset(p.languages),
                offices=[(o.lat, o.lon, o.service_radius_km, o.country or "") for o in p.locations],
                stale=assess(
                    profile_updated_at=p.profile_updated_at,
                    attested_at=p.attested_at,
                    skill_count=len(p.skills),
                    certification_expiries=[c.expires_at for c in p.certifications],
                    now=now,
                    policy=FreshnessPolicy(),
                ).status == "stale",
            )
            for p in partners
        ]  # fmt: skip


def matches(partner: StoredPartner, query: SearchQuery) -> bool:
    """The documented semantics, one partner at a time."""
    terms = TextModel().terms(query.q or "")
    return all(
        [
            set(terms) <= partner.terms,
            all(skill in partner.skills for skill in query.skills),
            not query.any_skills or any(s in partner.skills for s in query.any_skills),
            set(query.certifications) <= partner.active_certs,
            query.industry is None or query.industry in partner.industries,
            query.language is None or query.language in partner.languages,
            not query.tier or partner.tier in query.tier,
            query.country is None or query.country in {o[3] for o in partner.offices},
            query.near is None or _near(partner, query) is not None,
            query.include_stale or not partner.stale,
        ]
    )


def _near(partner: StoredPartner, query: SearchQuery) -> float | None:
    """Distance (km) to the nearest matching office, None if no office matches."""
    assert query.near is not None
    lats, lons, radii, _ = (np.array(column) for column in zip(*partner.offices, strict=True))
    distances = haversine_km(query.near[0], query.near[1], lats, lons)
    limit = radii if query.radius_km is None else query.radius_km
    within = distances[distances <= limit]
    return float(within.min()) if len(within) else None


def facets(partners: list[StoredPartner]) -> dict[str, dict[str, int]]:
    def count(values: list[str]) -> dict[str, int]:
        counted = {value: values.count(value) for value in set(values)}
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    return {
        "skill": count([s for p in partners for s in p.skills]),
        "certification": count([c for p in partners for c in p.active_certs]),
        "industry": count([i for p in partners for i in p.industries]),
        "language": count([lang for p in partners for lang in p.languages]),
        "tier": count([p.tier for p in partners]),
        "country": count([c for p in partners for c in {o[3] for o in p.offices}]),
    }


def queries() -> st.SearchStrategy[SearchQuery]:
    subsets = lambda values, most: st.lists(st.sampled_from(values), max_size=most, unique=True)  # noqa: E731
    optional = lambda values: st.none() | st.sampled_from(values)  # noqa: E731
    near = st.none() | st.tuples(st.floats(44.0, 54.0), st.floats(0.0, 16.0))
    return st.builds(
        lambda near, distance_sort, **fields: SearchQuery(
            on_date=TODAY,
            near=near,
            sort="distance" if near and distance_sort else "relevance",
            **fields,
        ),
        near=near,
        distance_sort=st.booleans(),
        q=st.none() | subsets(WORDS, 2).map(" ".join),
        skills=subsets(SKILLS, 2).map(tuple),
        any_skills=subsets(SKILLS, 2).map(tuple),
        certifications=subsets(CERTS, 1).map(tuple),
        industry=optional(INDUSTRIES),
        language=optional(LANGUAGES),
        tier=subsets(TIERS, 2).map(tuple),
        country=optional(tuple(COUNTRIES)),
        radius_km=st.none() | st.floats(20.0, 600.0),
        include_stale=st.booleans(),
        limit=st.integers(1, 7),
    )  # fmt: skip


@pytest.fixture(params=["counted", "cached"])
def facet_counting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "cached": every posting list has its facet counts cached, so that results are counted
    as a list's cached counts minus those of its dropped rows wherever that is cheaper."""
    if request.param == "cached":
        monkeypatch.setattr(facet_tables, "CACHED_FROM_ROWS", 0)


@pytest.fixture
def world(
    store: Engine, open_index: IndexFactory, now: datetime, facet_counting: None
) -> tuple[EmbeddedIndex, list[StoredPartner]]:
    """Built once per test function; examples only read it."""
    index = build_world(store, open_index, now)
    return index, read_store(store, now=now)


class TestMatchesBruteForce:
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(query=queries())
    def test_every_page_of_every_query_equals_a_scan_of_the_store(
        self, world: tuple[EmbeddedIndex, list[StoredPartner]], now: datetime, query: SearchQuery
    ) -> None:
        index, stored = world
        query = replace(query, now=now)
        expected = [p for p in stored if matches(p, query)]
        hits, result = all_pages(index, query)
        assert result.total == len(expected)
        assert result.facets == facets(expected)
        if query.sort == "distance":
            by_distance = sorted(expected, key=lambda p: (_near(p, query), p.id))
            assert [hit.partner_id for hit in hits] == [p.id for p in by_distance]
        else:
            assert sorted(hit.partner_id for hit in hits) == sorted(p.id for p in expected)
            keys = [(-hit.score, hit.partner_id) for hit in hits]
            assert keys == sorted(keys)


def all_pages(index: EmbeddedIndex, query: SearchQuery) -> tuple[list[SearchHit], SearchResult]:
    """Every hit, page by page; the first page's result (for total and facets)."""
    first = index.search(query)
    hits, page = list(first.items), first
    while page.next_cursor is not None:
        page = index.search(replace(query, cursor=page.next_cursor))
        assert len(page.items) > 0
        hits += page.items
    return hits, first
