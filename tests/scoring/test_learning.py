"""The learned ranker: additive (explanations sum to the score), monotone where it must be,
and the train / evaluate / promote / rollback cycle on stored routing examples."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from core.database import transaction
from scoring import model_registry
from scoring.learning import MONOTONE, LearnedModel, fit
from scoring.models import RoutingExample
from scoring.ranker import HAND_RANKER
from scoring.scorer import rank
from scoring.weights import FEATURES
from tests.conftest import Clock
from tests.factories import create_partner
from tests.scoring.factories import lead_query, make_candidates

SKILLS, DISTANCE, TIER = (FEATURES.index(f) for f in ("required_skills", "distance", "tier"))


def synthetic_outcomes(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Offers won mostly by skilled, near partners; tier hurts a little (busy top partners)."""
    rng = np.random.default_rng(seed)
    values = rng.random((n, len(FEATURES)))
    logit = -2.5 + 3 * values[:, SKILLS] + 2 * values[:, DISTANCE] - 0.8 * values[:, TIER]
    return values, rng.random(n) < 1 / (1 + np.exp(-logit))


@cache
def model() -> LearnedModel:
    values, won = synthetic_outcomes(4000, seed=1)
    return fit(values, won, name="learned-test")


unit = st.floats(0, 1)
rows = st.lists(unit, min_size=len(FEATURES), max_size=len(FEATURES))


class TestShape:
    @settings(deadline=None)  # the first example fits the shared model
    @given(rows, unit, unit, st.sampled_from(sorted(MONOTONE)))
    def test_raising_a_monotone_feature_never_lowers_the_score(
        self, row: list[float], low: float, high: float, feature: str
    ) -> None:
        low, high = sorted((low, high))
        values = np.array([row, row])
        j = FEATURES.index(feature)
        values[0, j], values[1, j] = low, high
        scores = model().ranker.contributions(values).sum(axis=1)
        assert scores[1] >= scores[0] - 1e-12

    @settings(deadline=None)  # the first example fits the shared model
    @given(st.floats(0, 300), st.floats(0, 300), st.integers(1, 4), st.integers(1, 5))
    def test_a_closer_office_and_more_skill_never_rank_lower(
        self, near: float, far: float, level: int, more: int
    ) -> None:
        near, far = sorted((near, far))
        lead = lead_query()
        candidates = make_candidates(
            lead,
            2,
            distance_km=[far, near],
            service_radius_km=300.0,
            required_skill_levels=[[level, level], [max(level, more), level]],
        )
        ranking = rank(lead, candidates=candidates, ranker=model().ranker)
        by_id = dict(zip(ranking.partner_ids.tolist(), ranking.scores.tolist(), strict=True))
        assert by_id[2] >= by_id[1]

    @settings(deadline=None)  # the first example fits the shared model
    @given(st.lists(rows, min_size=1, max_size=20))
    def test_contributions_sum_to_the_published_score(self, batch: list[list[float]]) -> None:
        lead = lead_query()
        candidates = make_candidates(lead, len(batch), distance_km=np.linspace(0, 90, len(batch)))
        ranking = rank(lead, candidates=candidates, ranker=model().ranker)
        np.testing.assert_allclose(ranking.contributions.sum(axis=1), ranking.scores, atol=1e-12)
        assert ((ranking.scores >= 0) & (ranking.scores <= 1)).all()
        assert ranking.model_version == "learned-test"

    def test_it_learns_what_wins(self) -> None:
        shares = dict(zip(FEATURES, model().ranker.max_shares(), strict=True))
        assert shares["required_skills"] > shares["preferred_skills"]
        assert shares["distance"] > shares["capacity"]


def store_examples(client: TestClient, *, leads: int, start: datetime, seed: int) -> None:
    """Routed leads of 5 offered candidates each, labelled by `synthetic_outcomes`."""
    values, won = synthetic_outcomes(leads * 5, seed=seed)
    partner = create_partner(client)["id"]
    rng = np.random.default_rng(seed)
    with transaction(client.app.state.sessionmaker) as session:  # type: ignore[attr-defined]
        from matcher.leads.models import Lead

        rows: list[dict[str, Any]] = []
        for n in range(leads):
            at = start + timedelta(hours=n)
            lead = Lead(
                title="x", customer_name="c", customer_domain=None, request={}, policy="best",
                status="accepted", reason=None, offers=1, ranking={}, created_at=at, updated_at=at,
            )  # fmt: skip
            session.add(lead)
            session.flush()
            for position in range(5):
                i = n * 5 + position
                accepted = bool(won[i]) or rng.random() < 0.3
                rows.append(
                    {
                        "lead_id": lead.id,
                        "partner_id": partner + position,
                        "position": position,
                        "model_version": HAND_RANKER.version,
                        "score": 0.5,
                        "features": dict(zip(FEATURES, values[i].tolist(), strict=True)),
                        "routed_at": at,
                        "offered": True,
                        "response": "accepted" if accepted else "declined",
                        "outcome": ("won" if won[i] else "lost") if accepted else None,
                    }
                )
        session.execute(insert(RoutingExample), rows)


class TestModelCycle:
    def test_too_little_history_keeps_the_hand_weights(
        self, client: TestClient, clock: Clock
    ) -> None:
        store_examples(client, leads=10, start=clock.now - timedelta(days=30), seed=2)
        with transaction(client.app.state.sessionmaker) as session:  # type: ignore[attr-defined]
            trained = model_registry.train(session, until=clock.now, now=clock.now)
        assert trained.model is None
        assert "hand weights stay active" in trained.message

    def test_a_better_model_is_promoted_and_then_ranks_preview_and_routing(
        self, client: TestClient, clock: Clock
    ) -> None:
        start = clock.now - timedelta(days=60)
        store_examples(client, leads=300, start=start, seed=3)
        cutoff = start + timedelta(hours=240)
        sessions = client.app.state.sessionmaker  # type: ignore[attr-defined]
        with transaction(sessions) as session:
            trained = model_registry.train(session, until=cutoff, now=clock.now)
            assert trained.model is not None
            promoted, decision, figures = model_registry.promote(
                session, trained.model, start=cutoff, end=clock.now, now=clock.now
            )
            version = trained.model.version
        assert promoted, decision
        assert figures["candidate"]["ndcg5_won"] > figures[HAND_RANKER.version]["ndcg5_won"]
        assert set(figures["candidate"]) >= {"auc_acceptance", "ndcg5_accepted", "brier"}

        create_partner(client, name="Skilled nearby")
        client.app.state.index.catch_up()  # type: ignore[attr-defined]
        lead = {
            "title": "Migration",
            "customer": {"name": "Brandt", "lat": 48.14, "lon": 11.58},
            "required_skills": ["AWS"],
        }
        preview = client.post("/v1/leads/preview", json=lead).json()
        routed = client.post("/v1/leads", json=lead).json()
        assert preview["model_version"] == routed["model_version"] == version
        assert preview["candidates"][0]["score"] == routed["candidates"][0]["score"]

        with transaction(sessions) as session:
            message = model_registry.rollback(session, now=clock.now)
        assert "hand weights" in message
        assert client.post("/v1/leads/preview", json=lead).json()["model_version"] == (
            HAND_RANKER.version
        )

    def test_a_worse_model_is_not_promoted(self, client: TestClient, clock: Clock) -> None:
        start = clock.now - timedelta(days=60)
        store_examples(client, leads=300, start=start, seed=4)
        cutoff = start + timedelta(hours=240)
        with transaction(client.app.state.sessionmaker) as session:  # type: ignore[attr-defined]
            first = model_registry.train(session, until=cutoff, now=clock.now).model
            assert first is not None
            assert model_registry.promote(
                session, first, start=cutoff, end=clock.now, now=clock.now
            )[0]
            again = model_registry.train(session, until=cutoff, now=clock.now + timedelta(1)).model
            assert again is not None
            promoted, decision, _ = model_registry.promote(
                session, again, start=cutoff, end=clock.now, now=clock.now
            )
        assert not promoted  # the same data cannot beat itself
        assert decision.startswith(f"not promoted, {first.version} stays active")
