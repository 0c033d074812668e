"""Lead candidates: who could serve the customer, with raw features for scoring/."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from indexing.protocol import LeadQuery
from tests.factories import AUGSBURG, BERLIN, certification, office, skill_levels
from tests.indexing.embedded.conftest import IndexFactory
from tests.indexing.factories import add_partner

NEAR_MUNICH = (48.15, 11.58)
# 556 km north of NEAR_MUNICH: beyond any 20 km service radius + 500 km, within 100 + 500 km.
WIDE_KM = 500.0  # how far beyond their radius these retrieval tests let partners be
ALTMARK = office(53.15, 11.58, service_radius_km=20.0)


class TestCandidates:
    def test_partners_in_range_with_every_required_skill_and_their_features(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        year = timedelta(days=365)
        munich = add_partner(
            store,
            name="Munich",
            now=now,
            skills=skill_levels({"AWS": 4, "Kubernetes": 2}, verified=["AWS"]),
            certifications=[certification("AWS SA", expires_at=date.today() + year)],
            industries=["Retail"],
            products=["Cloud", "Backup"],
            languages=["de"],
        )
        stale = add_partner(
            store,
            name="Stale",
            now=now,
            skills=skill_levels({"AWS": 1}),
            updated_days_ago=400,
            languages=["en"],
            locations=[office(48.2, 11.6, service_radius_km=20), BERLIN],
        )
        add_partner(store, name="No AWS", now=now, skills=skill_levels({"Azure": 5}))
        # 56 km away, 26 km beyond its 30 km service radius: in range, though not serving.
        augsburg = add_partner(
            store,
            name="Augsburg",
            now=now,
            locations=[AUGSBURG],
            skills=skill_levels({"AWS": 3}),
            languages=["en"],
        )
        far = add_partner(
            store, name="Altmark", now=now, locations=[ALTMARK], skills=skill_levels({"AWS": 5})
        )
        index = open_index()
        found = index.candidates(
            LeadQuery(
                on_date=date.today(), location=NEAR_MUNICH, required_skills=("AWS",),
                preferred_skills=("Kubernetes",), required_certifications=("AWS SA",),
                industry="Retail", products=("Cloud", "Network"), language="de",
                max_km_beyond_radius=WIDE_KM,
            )
        )  # fmt: skip
        assert found.partner_ids.tolist() == [munich, stale, augsburg]
        assert found.required_skill_levels.tolist() == [[4], [1], [3]]
        assert found.required_skill_verified.tolist() == [[True], [False], [False]]
        assert found.preferred_skill_levels.tolist() == [[2], [0], [0]]
        assert found.required_cert_active.tolist() == [[True], [False], [False]]
        assert found.industry_match.tolist() == [True, False, False]
        assert found.language_match.tolist() == [True, False, False]
        assert found.product_overlap.tolist() == [0.5, 0.0, 0.0]
        assert found.freshness.tolist() == [0, 2, 0]
        assert found.service_radius_km.tolist() == [100.0, 20.0, 30.0]
        assert found.distance_km.tolist() == pytest.approx([1.6, 5.9, 56.1], abs=0.3)
        assert found.excluded_out_of_range.tolist() == [far]

    def test_at_most_max_candidates_best_first(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        near = add_partner(store, name="Near", now=now, locations=[office(48.15, 11.58)])
        add_partner(store, name="Farther", now=now, locations=[office(48.5, 11.9)])
        index = open_index()
        found = index.candidates(
            LeadQuery(on_date=date.today(), location=NEAR_MUNICH, max_candidates=1)
        )
        assert found.partner_ids.tolist() == [near]


class TestBeyondTheServiceRadius:
    def test_the_office_whose_service_area_comes_closest_is_reported(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        # 60 km away with 10 km (50 km beyond it) vs 150 km away with 200 km (inside it).
        small, large = (
            office(48.69, 11.58, service_radius_km=10),
            office(49.5, 11.58, service_radius_km=200),
        )
        partner = add_partner(store, name="Two offices", now=now, locations=[small, large])
        found = open_index().candidates(
            LeadQuery(on_date=date.today(), location=NEAR_MUNICH, max_km_beyond_radius=WIDE_KM)
        )
        assert found.partner_ids.tolist() == [partner]
        assert found.service_radius_km.tolist() == [200.0]
        assert found.distance_km.tolist() == pytest.approx([150.1], abs=0.5)

    def test_the_lead_sets_how_far_beyond_counts(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        serving = add_partner(store, name="Munich", now=now)
        augsburg = add_partner(store, name="Augsburg", now=now, locations=[AUGSBURG])
        index = open_index()
        lead = LeadQuery(on_date=date.today(), location=NEAR_MUNICH, max_km_beyond_radius=WIDE_KM)
        assert index.candidates(lead).partner_ids.tolist() == [serving, augsburg]
        strict = index.candidates(replace(lead, max_km_beyond_radius=0.0))
        assert strict.partner_ids.tolist() == [serving]
        assert strict.excluded_out_of_range.tolist() == [augsburg]
        near_enough = index.candidates(replace(lead, max_km_beyond_radius=30.0))
        assert near_enough.partner_ids.tolist() == [serving, augsburg]

    def test_a_partner_serving_its_area_outranks_one_beyond_it_under_the_cap(
        self, store: Engine, open_index: IndexFactory, now: datetime
    ) -> None:
        add_partner(store, name="Augsburg", now=now, locations=[AUGSBURG])
        serving = add_partner(
            store,
            name="Wide area",
            now=now,
            locations=[office(48.3, 11.0, service_radius_km=400.0)],
        )
        found = open_index().candidates(
            LeadQuery(
                on_date=date.today(),
                location=NEAR_MUNICH,
                max_candidates=1,
                max_km_beyond_radius=WIDE_KM,
            )
        )
        assert found.partner_ids.tolist() == [serving]
