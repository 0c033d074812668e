"""The scorer on hand-built candidates: monotonicity, explanations, hard constraints, ties."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexing.protocol import Candidates, LeadQuery
from profiles.freshness import DUE, STALE
from scoring.features import CandidateContext, PerformanceHistory
from scoring.scorer import Ranking, rank
from scoring.weights import DEFAULT_CONFIG, FEATURES, BetaPrior, FeatureWeights, ScoringConfig
from tests.scoring.factories import (
    candidate_row,
    lead_query,
    leads,
    make_candidates,
    many_candidates,
)


def pair(lead: LeadQuery, row: dict[str, Any], **second: Any) -> Candidates:
    """Two candidates equal to `row`, the second changed by `second`."""
    columns = {name: np.array([value, second.get(name, value)]) for name, value in row.items()}
    return make_candidates(lead, 2, **columns)


def excluded_reasons(ranking: Ranking) -> dict[int, str]:
    names = ranking.excluded_reason_names()
    return dict(zip(ranking.excluded_ids.tolist(), names, strict=True))


def score_of(ranking: Ranking, partner_id: int) -> float:
    return float(ranking.scores[list(ranking.partner_ids).index(partner_id)])


@st.composite
def lead_and_row(draw: st.DrawFn, *, min_required: int = 0) -> tuple[LeadQuery, dict[str, Any]]:
    lead = draw(leads())
    if len(lead.required_skills) < min_required:
        lead = lead_query(required_skills=min_required)
    return lead, draw(candidate_row(lead))


class TestSkillCoverage:
    @given(lead_and_row(min_required=1), st.data())
    def test_a_higher_required_skill_level_scores_higher(
        self, case: tuple[LeadQuery, dict[str, Any]], data: st.DataObject
    ) -> None:
        lead, row = case
        levels = list(row["required_skill_levels"])
        skill = data.draw(st.integers(0, len(levels) - 1))
        levels[skill] = min(levels[skill], 4)
        row["required_skill_levels"] = levels
        better = levels.copy()
        better[skill] = data.draw(st.integers(levels[skill] + 1, 5))
        ranking = rank(lead, candidates=pair(lead, row, required_skill_levels=better))
        assert score_of(ranking, 2) > score_of(ranking, 1)

    @given(lead_and_row(min_required=1), st.data())
    def test_verifying_a_held_skill_scores_higher(
        self, case: tuple[LeadQuery, dict[str, Any]], data: st.DataObject
    ) -> None:
        lead, row = case
        row["required_skill_levels"] = [max(level, 1) for level in row["required_skill_levels"]]
        verified = list(row["required_skill_verified"])
        unverified = [i for i, flag in enumerate(verified) if not flag]
        if not unverified:
            verified[0] = False
            unverified = [0]
            row["required_skill_verified"] = verified
        better = verified.copy()
        better[data.draw(st.sampled_from(unverified))] = True
        ranking = rank(lead, candidates=pair(lead, row, required_skill_verified=better))
        assert score_of(ranking, 2) > score_of(ranking, 1)


class TestDistance:
    @given(lead_and_row(), st.floats(0, 1000), st.floats(0, 1000))
    def test_score_never_rises_with_distance(
        self, case: tuple[LeadQuery, dict[str, Any]], near: float, far: float
    ) -> None:
        lead, row = case
        near, far = sorted((near, far))
        row["service_radius_km"] = 50.0
        row["distance_km"] = near
        ranking = rank(lead, candidates=pair(lead, row, distance_km=far))
        if 2 in ranking.partner_ids:
            assert score_of(ranking, 2) <= score_of(ranking, 1)

    @given(lead_and_row(), st.floats(0, 100), st.floats(0.01, 300))
    def test_beyond_the_service_area_a_partner_is_out_of_range(
        self, case: tuple[LeadQuery, dict[str, Any]], inside: float, beyond: float
    ) -> None:
        lead, row = case
        row["service_radius_km"] = 100.0
        row["distance_km"] = inside
        ranking = rank(lead, candidates=pair(lead, row, distance_km=100.0 + beyond))
        assert ranking.partner_ids.tolist() == [1]
        assert excluded_reasons(ranking) == {2: "out_of_range"}

    def test_a_tolerance_widens_the_territory_by_exactly_its_km(self) -> None:
        lead = lead_query()
        candidates = make_candidates(lead, distance_km=130.0, service_radius_km=100.0)
        assert len(rank(replace(lead, max_km_beyond_radius=30.0), candidates=candidates)) == 1
        narrower = replace(lead, max_km_beyond_radius=29.9)
        assert len(rank(narrower, candidates=candidates)) == 0

    def test_inside_the_service_area_the_nearer_partner_scores_higher(self) -> None:
        lead = lead_query()
        candidates = make_candidates(lead, 2, distance_km=[110.0, 5.0], service_radius_km=150.0)
        ranking = rank(lead, candidates=candidates)
        assert ranking.partner_ids.tolist() == [2, 1]
        assert ranking.scores[0] - ranking.scores[1] > 0.05

    def test_distance_credit_halves_every_half_life_from_the_office(self) -> None:
        lead = lead_query()
        config = ScoringConfig(distance_half_life_km=40.0)
        candidates = make_candidates(lead, 2, distance_km=[40.0, 80.0], service_radius_km=100.0)
        ranking = rank(lead, candidates=candidates, config=config)
        assert ranking.values[:, FEATURES.index("distance")] == pytest.approx([0.5, 0.25])


class TestExplanation:
    @given(st.data())
    def test_contributions_add_up_to_the_published_score(self, data: st.DataObject) -> None:
        lead = data.draw(leads())
        ranking = rank(lead, candidates=data.draw(many_candidates(lead)))
        sums = ranking.contributions.sum(axis=1)
        np.testing.assert_allclose(sums, ranking.scores, rtol=0, atol=1e-12)
        assert np.round(sums, 6).tolist() == ranking.scores.tolist()
        assert ((ranking.scores >= 0) & (ranking.scores <= 1)).all()
        assert (ranking.values >= 0).all() and (ranking.values <= 1).all()
        np.testing.assert_allclose(
            ranking.contributions, ranking.values * ranking.weights, rtol=0, atol=5e-7
        )

    def test_a_perfect_candidate_scores_one(self) -> None:
        lead = lead_query(preferred_skills=0)
        candidates = make_candidates(lead, required_skill_levels=5, tier=3, distance_km=0.0)
        history = PerformanceHistory(
            offered=np.array([10**9]),
            accepted=np.array([10**9]),
            closed=np.array([10**9]),
            won=np.array([10**9]),
        )
        context = CandidateContext(open_leads=np.array([0]), history=history)
        assert rank(lead, candidates=candidates, context=context).scores.tolist() == [1.0]

    def test_criteria_the_lead_does_not_set_are_met_by_everyone(self) -> None:
        lead = lead_query(
            required_skills=0,
            preferred_skills=0,
            preferred_certifications=0,
            products=0,
            industry=None,
            language=None,
        )
        candidates = make_candidates(
            lead, language_match=False, industry_match=False, product_overlap=0.0
        )
        values = dict(zip(FEATURES, rank(lead, candidates=candidates).values[0], strict=True))
        criteria = (
            "required_skills",
            "preferred_skills",
            "preferred_certifications",
            "language",
            "industry",
            "products",
        )
        assert [values[name] for name in criteria] == [1.0] * len(criteria)


class TestHardConstraints:
    @given(st.data())
    def test_stale_partners_are_never_candidates(self, data: st.DataObject) -> None:
        lead = data.draw(leads())
        candidates = data.draw(many_candidates(lead))
        ranking = rank(lead, candidates=candidates)
        stale = set(candidates.partner_ids[candidates.freshness == STALE].tolist())
        assert stale.isdisjoint(ranking.partner_ids.tolist())
        excluded = excluded_reasons(ranking)
        assert {excluded[partner_id] for partner_id in stale} <= {"stale_profile"}
        assert stale <= excluded.keys()

    @given(st.data(), st.integers(1, 3))
    def test_without_every_required_certification_active_never_a_candidate(
        self, data: st.DataObject, certifications: int
    ) -> None:
        lead = lead_query(required_certifications=certifications)
        candidates = data.draw(many_candidates(lead))
        n = len(candidates.partner_ids)
        active = data.draw(
            st.lists(
                st.lists(st.booleans(), min_size=certifications, max_size=certifications),
                min_size=n,
                max_size=n,
            )
        )
        candidates.required_cert_active = np.array(active, dtype=bool).reshape(n, certifications)
        ranking = rank(lead, candidates=candidates)
        lacking = ~candidates.required_cert_active.all(axis=1) & (candidates.freshness != STALE)
        reasons = excluded_reasons(ranking)
        for partner_id in candidates.partner_ids[lacking].tolist():
            assert partner_id not in ranking.partner_ids
            assert reasons[partner_id] == "missing_certification"

    def test_each_constraint_excludes_with_its_reason_by_priority(self) -> None:
        lead = lead_query(required_certifications=1)
        candidates = make_candidates(
            lead,
            6,
            freshness=[0, STALE, 0, 0, 0, STALE],
            required_cert_active=[[True], [True], [False], [True], [True], [False]],
            distance_km=[5.0, 5.0, 5.0, 700.0, 5.0, 5.0],
            max_open_leads=[10, 10, 10, 10, 3, 10],
        )
        candidates.excluded_out_of_range = np.array([99], dtype=np.int64)
        context = CandidateContext(
            open_leads=np.array([0, 0, 0, 0, 3, 0]), history=PerformanceHistory.none(6)
        )
        ranking = rank(lead, candidates=candidates, context=context)
        assert ranking.partner_ids.tolist() == [1]
        assert list(excluded_reasons(ranking).items()) == [
            (2, "stale_profile"),
            (6, "stale_profile"),
            (3, "missing_certification"),
            (4, "out_of_range"),
            (99, "out_of_range"),
            (5, "at_capacity"),
        ]

    def test_a_partner_taking_no_leads_is_at_capacity(self) -> None:
        lead = lead_query()
        ranking = rank(lead, candidates=make_candidates(lead, max_open_leads=0))
        assert ranking.excluded_reason_names() == ["at_capacity"]


class TestTieBreaking:
    @given(st.data())
    def test_order_is_score_desc_distance_asc_id_asc_whatever_the_input_order(
        self, data: st.DataObject
    ) -> None:
        lead = data.draw(leads())
        candidates = data.draw(many_candidates(lead))
        # Coarse distances and few distinct rows make ties likely.
        candidates.distance_km = np.round(candidates.distance_km, -2)
        ranking = rank(lead, candidates=candidates)
        keys = list(zip(-ranking.scores, ranking.distance_km, ranking.partner_ids, strict=True))
        assert keys == sorted(keys)
        order = np.array(data.draw(st.permutations(range(len(candidates.partner_ids)))))
        shuffled = Candidates(
            **{
                name: value[order] if name != "excluded_out_of_range" else value
                for name, value in vars(candidates).items()
            }
        )
        again = rank(lead, candidates=shuffled)
        assert again.partner_ids.tolist() == ranking.partner_ids.tolist()
        assert again.excluded_ids.tolist() == ranking.excluded_ids.tolist()

    def test_equal_scores_break_on_distance_then_id(self) -> None:
        lead = lead_query()
        candidates = make_candidates(
            lead, 3, partner_ids=[30, 10, 20], distance_km=[5.0, 20.0, 5.0]
        )
        assert rank(lead, candidates=candidates).partner_ids.tolist() == [20, 30, 10]


class TestCapacityAndFreshness:
    def test_headroom_is_the_free_share_of_max_open_leads(self) -> None:
        lead = lead_query()
        context = CandidateContext(
            open_leads=np.array([0, 5, 9]), history=PerformanceHistory.none(3)
        )
        ranking = rank(lead, candidates=make_candidates(lead, 3), context=context)
        capacity = FEATURES.index("capacity")
        assert ranking.values[:, capacity].tolist() == [1.0, 0.5, pytest.approx(0.1)]

    def test_a_due_profile_loses_exactly_the_freshness_weight(self) -> None:
        lead = lead_query()
        ranking = rank(lead, candidates=make_candidates(lead, 2, freshness=[0, DUE]))
        assert score_of(ranking, 1) - score_of(ranking, 2) == pytest.approx(
            DEFAULT_CONFIG.weights.freshness
        )


class TestPerformance:
    def history(self, **counts: list[int]) -> CandidateContext:
        n = len(next(iter(counts.values())))
        outcomes = ("offered", "accepted", "closed", "won")
        base = {name: np.array(counts.get(name, [0] * n)) for name in outcomes}
        return CandidateContext(open_leads=np.zeros(n), history=PerformanceHistory(**base))

    def test_a_new_partner_scores_the_prior_means(self) -> None:
        lead = lead_query()
        ranking = rank(lead, candidates=make_candidates(lead))
        prior = (DEFAULT_CONFIG.acceptance_prior.mean + DEFAULT_CONFIG.win_prior.mean) / 2
        assert ranking.values[0, FEATURES.index("performance")] == pytest.approx(prior)

    def test_one_declined_lead_barely_moves_a_new_partner(self) -> None:
        lead = lead_query()
        context = self.history(offered=[0, 1], accepted=[0, 0])
        ranking = rank(lead, candidates=make_candidates(lead, 2), context=context)
        new, declined_once = ranking.values[:, FEATURES.index("performance")]
        assert 0 < new - declined_once < 0.05

    @given(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200))
    def test_more_acceptances_never_lower_the_score(
        self, offered: int, accepted: int, more: int
    ) -> None:
        accepted = min(accepted, offered)
        more = min(accepted + more, offered)
        lead = lead_query()
        context = self.history(offered=[offered, offered], accepted=[accepted, more])
        ranking = rank(lead, candidates=make_candidates(lead, 2), context=context)
        assert score_of(ranking, 2) >= score_of(ranking, 1)

    def test_beta_prior_smoothing(self) -> None:
        prior = BetaPrior(mean=0.5, strength=4.0)
        smoothed = prior.smooth(np.array([0, 8, 2]), np.array([0, 8, 4]))
        assert smoothed.tolist() == [0.5, 10 / 12, 0.5]


class TestConfiguration:
    def test_weights_sum_to_one_and_follow_the_features(self) -> None:
        weights = DEFAULT_CONFIG.weights.as_array()
        assert weights.sum() == pytest.approx(1.0)
        assert len(weights) == len(FEATURES)
        assert DEFAULT_CONFIG.version == "2026-11-2"

    @pytest.mark.parametrize(
        "overrides", [{"required_skills": 0.5}, {"distance": -0.1, "required_skills": 0.5}]
    )
    def test_weights_not_summing_to_one_or_negative_are_refused(
        self, overrides: dict[str, float]
    ) -> None:
        with pytest.raises(ValueError, match="weights"):
            FeatureWeights(**overrides)

    def test_nonsense_parameters_are_refused(self) -> None:
        with pytest.raises(ValueError, match="distance_half_life_km"):
            ScoringConfig(distance_half_life_km=0.0)
