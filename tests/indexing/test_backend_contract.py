"""One contract, both backends: the same data and queries give the same results.

Parametrised over the embedded index and the OpenSearch backend (a real single-node OpenSearch
started for the run, or the cluster named by PARTNERMATCH_OPENSEARCH_URL). Documented
difference: text relevance is tf-idf cosine on the embedded index and BM25 on OpenSearch, so
for `q` the matches, totals and facets must be equal but not their order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.database import make_sessionmaker
from indexing.embedded.geo import haversine_km
from indexing.embedded.index import EmbeddedIndex
from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.sync import SyncConfig
from indexing.protocol import Candidates, LeadQuery, PartnerIndex, SearchQuery, SearchResult
from profiles.freshness import FreshnessPolicy
from tests.factories import location
from tests.indexing import writes
from tests.indexing.opensearch.conftest import (  # noqa: F401 (fixtures)
    names,
    opensearch_url,
    os_client,
    sync_config,
)

pytestmark = pytest.mark.slow

CKA = "Certified Kubernetes Administrator (CKA)"  # what the profile's "CKA" resolves to

MUNICH = (48.137, 11.575)
AUGSBURG = (48.3705, 10.8978)
BERLIN = (52.52, 13.405)
HAMBURG = (53.5511, 9.9937)
TODAY = datetime.now(UTC).date()
AWS = "Amazon Web Services"  # canonical skill names (profiles.taxonomy)


def cert(name: str, *, expires: date | None) -> dict[str, Any]:
    return {
        "name": name,
        "issuer": "Vendor",
        "earned_at": "2024-01-01",
        "expires_at": expires.isoformat() if expires else None,
    }


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    """A small world whose right answers are obvious; returns ids by short name."""
    year = timedelta(days=365)
    old = datetime.now(UTC) - timedelta(days=400)
    munich = location(city="Munich", lat=MUNICH[0], lon=MUNICH[1], service_radius_km=50)
    augsburg = location(city="Augsburg", lat=AUGSBURG[0], lon=AUGSBURG[1], service_radius_km=30)
    berlin = location(city="Berlin", lat=BERLIN[0], lon=BERLIN[1], service_radius_km=100)
    hamburg = location(city="Hamburg", lat=HAMBURG[0], lon=HAMBURG[1], service_radius_km=450)
    aws = {"name": "AWS", "level": 4, "verified": True}
    k8s = {"name": "Kubernetes", "level": 2}
    return {
        "munich": writes.create(
            sessions, name="Isar Cloud Consulting", tier="gold", locations=[munich],
            skills=[aws, k8s], certifications=[cert("AWS SA", expires=TODAY + year)],
            industries=["Manufacturing"], languages=["de", "en"],
        ),
        "augsburg": writes.create(
            sessions, name="Lech Data Services", tier="silver", locations=[augsburg],
            skills=[{**aws, "level": 2}], certifications=[cert("AWS SA", expires=TODAY - year),
                                                          cert("CKA", expires=None)],
            industries=["Retail"], languages=["de"], description="Kubernetes on premises",
        ),
        "berlin_hamburg": writes.create(
            sessions, name="Spree Elbe Digital", tier="platinum", locations=[berlin, hamburg],
            skills=[k8s, {"name": "Azure", "level": 5}], certifications=[],
            industries=["Manufacturing"], languages=["en"],
        ),
        "stale": writes.create(
            sessions, name="Forgotten Cloud Partner", tier="registered", locations=[munich],
            skills=[aws], certifications=[], now=old,
        ),
    }  # fmt: skip


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def backend(request: pytest.FixtureRequest, clean_db: Engine) -> Iterator[PartnerIndex]:
    """A backend over the seeded store, caught up."""
    sessions = make_sessionmaker(clean_db)
    ids = seed(sessions)
    request.node.ids = ids
    index: EmbeddedIndex | OpenSearchIndex
    if request.param == "embedded":
        index = EmbeddedIndex(clean_db, policy=FreshnessPolicy())
        index.open()
    else:
        os_fixtures = (request.getfixturevalue(n) for n in ("os_client", "names", "sync_config"))
        client, prefix, config = os_fixtures
        assert isinstance(client, OpenSearch) and isinstance(prefix, IndexNames)
        assert isinstance(config, SyncConfig)
        index = OpenSearchIndex(
            client, sessions=sessions, policy=FreshnessPolicy(), names=prefix, sync=config
        )
        index.open()
    index.catch_up()
    yield index


@pytest.fixture
def ids(request: pytest.FixtureRequest, backend: PartnerIndex) -> dict[str, int]:
    return request.node.ids  # type: ignore[no-any-return]


def search(backend: PartnerIndex, **fields: Any) -> SearchResult:
    return backend.search(SearchQuery(on_date=TODAY, **fields))


def ranked(result: SearchResult) -> list[int]:
    return [item.partner_id for item in result.items]


class TestSearch:
    def test_filters_rank_and_facet_alike(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        result = search(backend, skills=(AWS,))
        assert ranked(result) == [ids["munich"], ids["augsburg"]]  # stale hidden, by level
        assert result.total == 2
        assert result.facets["skill"] == {AWS: 2, "Kubernetes": 1}
        assert result.facets["certification"] == {"AWS SA": 1, CKA: 1}  # active only
        assert result.facets["tier"] == {"gold": 1, "silver": 1}
        assert result.facets["country"] == {"DE": 2}
        assert result.facets["language"] == {"de": 2, "en": 1}

    def test_radius_and_distance_sort(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        result = search(backend, near=AUGSBURG, radius_km=100, sort="distance")
        assert ranked(result) == [ids["augsburg"], ids["munich"]]
        distances = [item.distance_km for item in result.items]
        assert distances[0] == pytest.approx(0, abs=0.01)
        assert distances[1] == pytest.approx(57.5, abs=1.0)

    def test_served_by_an_office_radius(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        # Munich (50 km) does not serve Augsburg (57 km away); Augsburg's own office does.
        assert ranked(search(backend, near=AUGSBURG)) == [ids["augsburg"]]
        # Leipzig is served by the Hamburg office (450 km), though the Berlin one is nearer.
        near_leipzig = search(backend, near=(51.34, 12.37))
        assert ranked(near_leipzig) == [ids["berlin_hamburg"]]

    def test_certifications_count_only_while_active(
        self, backend: PartnerIndex, ids: dict[str, int]
    ) -> None:
        assert ranked(search(backend, certifications=("AWS SA",))) == [ids["munich"]]
        assert ranked(search(backend, certifications=(CKA,))) == [ids["augsburg"]]

    def test_stale_partners_only_on_request(
        self, backend: PartnerIndex, ids: dict[str, int]
    ) -> None:
        assert ids["stale"] not in ranked(search(backend, limit=50))
        with_stale = search(backend, include_stale=True, limit=50)
        assert with_stale.total == 4
        stale = next(i for i in with_stale.items if i.partner_id == ids["stale"])
        assert stale.freshness == 2

    def test_text_matches_every_term(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        result = search(backend, q="kubernetes")
        assert set(ranked(result)) == {ids["munich"], ids["augsburg"], ids["berlin_hamburg"]}
        assert ranked(search(backend, q="kubernetes premises")) == [ids["augsburg"]]
        assert search(backend, q="the and of").total == 3

    @pytest.mark.parametrize("sort", ["relevance", "distance"])
    def test_pages_neither_repeat_nor_skip(self, backend: PartnerIndex, sort: str) -> None:
        fields = {"include_stale": True, "near": MUNICH, "radius_km": 1000, "sort": sort}
        everything = ranked(search(backend, limit=50, **fields))
        seen: list[int] = []
        cursor = None
        for _ in range(len(everything)):
            page = search(backend, limit=1, cursor=cursor, **fields)
            seen += ranked(page)
            cursor = page.next_cursor
        assert (seen, cursor) == (everything, None)

    def test_scores_are_the_same(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        result = search(backend, skills=(AWS,), near=MUNICH, radius_km=100)
        scores = {item.partner_id: round(item.score, 4) for item in result.items}
        assert scores == pytest.approx(EXPECTED_SCORES(ids), abs=1e-3)


def EXPECTED_SCORES(ids: dict[str, int]) -> dict[int, float]:
    """Relevance = (0.1 tier/3 + 0.3 level/5 + 0.2 (1 - km/100)) / 0.6 (indexing.embedded)."""
    km = float(haversine_km(*MUNICH, np.array([AUGSBURG[0]]), np.array([AUGSBURG[1]]))[0])
    munich = (0.1 * 2 / 3 + 0.3 * 4 / 5 + 0.2 * 1.0) / 0.6
    augsburg = (0.1 * 1 / 3 + 0.3 * 2 / 5 + 0.2 * (1 - km / 100)) / 0.6
    return {ids["munich"]: munich, ids["augsburg"]: augsburg}


class TestCandidates:
    def test_same_candidates_and_features(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        lead = LeadQuery(
            on_date=TODAY,
            location=MUNICH,
            required_skills=(AWS,),
            preferred_skills=("Kubernetes",),
            required_certifications=("AWS SA",),
            industry="Manufacturing",
            language="de",
            max_km_beyond_radius=500.0,
        )
        found = backend.candidates(lead)
        # Augsburg's office (30 km) is 57.5 km away, 27.5 km beyond its service area and so
        # within the lead's max_km_beyond_radius (500 km): a candidate, ranked by coarse score
        # (4.4, 3, 0.945 with proximity -27.5 / 500). Berlin-Hamburg lacks AWS.
        assert found.partner_ids.tolist() == [ids["munich"], ids["stale"], ids["augsburg"]]
        assert found.required_skill_levels.tolist() == [[4], [4], [2]]
        assert found.required_cert_active.tolist() == [[True], [False], [False]]
        assert found.preferred_skill_levels.tolist() == [[2], [0], [0]]
        assert found.language_match.tolist() == [True, True, True]
        assert found.industry_match.tolist() == [True, True, False]
        assert found.freshness.tolist() == [0, 2, 0]
        assert found.excluded_out_of_range.tolist() == []
        assert found.service_radius_km.tolist() == [50, 50, 30]
        assert found.distance_km.tolist() == pytest.approx([0, 0, 57.5], abs=1.0)
        assert found.distance_km[:2].tolist() == pytest.approx([0, 0], abs=0.01)

    def test_only_offices_in_range(self, backend: PartnerIndex, ids: dict[str, int]) -> None:
        lead = LeadQuery(on_date=TODAY, location=MUNICH, required_skills=(AWS,))
        strict = backend.candidates(replace(lead, max_km_beyond_radius=0.0))
        assert strict.partner_ids.tolist() == [ids["munich"], ids["stale"]]
        assert strict.excluded_out_of_range.tolist() == [ids["augsburg"]]
        near_enough = backend.candidates(replace(lead, max_km_beyond_radius=30.0))
        assert near_enough.partner_ids.tolist() == [ids["munich"], ids["stale"], ids["augsburg"]]
        assert near_enough.excluded_out_of_range.tolist() == []
        # Leipzig: Berlin (100 km) is 150 km away, 50 beyond; Hamburg (450 km) serves it;
        # Munich (50 km) is 360 km away, more than 100 beyond.
        k8s = backend.candidates(
            replace(
                lead,
                location=(51.34, 12.37),
                required_skills=("Kubernetes",),
                max_km_beyond_radius=100.0,
            )
        )
        assert k8s.partner_ids.tolist() == [ids["berlin_hamburg"]]
        assert k8s.service_radius_km.tolist() == [450]
        assert k8s.distance_km.tolist() == pytest.approx([295], abs=10)

    def test_far_away_lead_has_no_candidates(self, backend: PartnerIndex) -> None:
        found: Candidates = backend.candidates(
            replace(LeadQuery(on_date=TODAY, location=(40.71, -74.0)))
        )
        assert len(found.partner_ids) == 0
        assert np.asarray(found.excluded_out_of_range).size == 0
