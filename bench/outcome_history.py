"""Fill a store with routed leads and synthetic outcomes, for `partnermatch model` to learn from.

    .venv/bin/python -m bench.outcome_history --partners 5000 --leads 3000 \\
        --database-url sqlite:///bench/var/outcomes.db
    PARTNERMATCH_DATABASE_URL=sqlite:///bench/var/outcomes.db .venv/bin/partnermatch model list

Leads (bench.preview_bench.generate_leads) are routed in-process through the service, as
POST /v1/leads does, one every 20 minutes of a simulated clock starting `--days` ago. Each
offered partner answers from a hidden truth: it accepts with its own responsiveness and, having
accepted, wins with a chance that rises with its competence, its required-skill coverage and
its closeness (the features it had when the lead was routed); declines move the lead on, and an
accepted lead is closed won or lost at once, with a deal value. The outcomes are synthetic:
this exercises the train / evaluate / promote cycle on a real store, it measures no real market.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import numpy as np

from bench.preview_bench import VAR, generate_leads
from bench.store_seed import open_seeded_store
from core.database import make_sessionmaker, transaction
from core.settings import Settings
from indexing.factory import open_index
from matcher.leads import service
from matcher.leads.models import OFFERED
from matcher.leads.payload import LeadIn
from matcher.leads.ranking import Retrieval
from profiles.geocoding import make_geocoder

STEP = timedelta(minutes=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--leads", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=f"sqlite:///{VAR / 'outcomes.db'}")
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)

    settings = Settings(database_url=args.database_url, index_dir=str(VAR / "outcomes-index"))
    engine = open_seeded_store(settings.database_url, count=args.partners, seed=args.seed)
    index = open_index(settings, engine, poll=False)
    sessions = make_sessionmaker(engine)
    geocoder = make_geocoder("offline", user_agent="bench")
    routing = service.Routing(
        retrieval=Retrieval(index, geocoder, settings.lead_radius_tolerance_km),
        settings=settings,
        policy="best",
        limit=20,
    )
    rng = np.random.default_rng(args.seed)
    competence = rng.beta(2, 2, size=args.partners + 1)
    responsiveness = rng.beta(4, 2, size=args.partners + 1)
    now = datetime.now(UTC) - STEP * args.leads
    routed = won = 0
    for body in generate_leads(engine, count=args.leads, seed=args.seed):
        with transaction(sessions) as session:
            lead = service.create_lead(
                session, LeadIn.model_validate(body), routing=routing, actor=service.SYSTEM, now=now
            )
            while lead.status == OFFERED and lead.assigned_partner_id is not None:
                partner = lead.assigned_partner_id
                features = _features(lead.ranking, partner)
                if rng.random() > responsiveness[partner]:
                    service.decline(
                        session, lead, reason="no capacity", actor=service.SYSTEM,
                        settings=settings, now=now,
                    )  # fmt: skip
                    continue
                service.accept(session, lead, actor=service.SYSTEM, now=now)
                chance = _win_chance(competence[partner], features)
                outcome = "won" if rng.random() < chance else "lost"
                won += outcome == "won"
                service.close(
                    session, lead, outcome=outcome, value=float(rng.integers(10, 500) * 1000),
                    actor=service.SYSTEM, now=now,
                )  # fmt: skip
        routed += 1
        now += STEP
    index.close()
    print(f"routed {routed} leads, {won} won; last lead at {now - STEP:%Y-%m-%dT%H:%M:%S} UTC")


def _features(ranking: dict, partner: int) -> dict[str, float]:  # type: ignore[type-arg]
    for candidate in ranking["candidates"]:
        if candidate["partner_id"] == partner:
            return {part["feature"]: part["value"] for part in candidate["explanation"]}
    return {}


def _win_chance(competence: float, features: dict[str, float]) -> float:
    logit = (
        -1.0
        + 3.0 * (competence - 0.5)
        + 2.5 * (features.get("required_skills", 0.5) - 0.5)
        + 2.0 * (features.get("distance", 0.5) - 0.5)
    )
    return float(1 / (1 + np.exp(-logit)))


if __name__ == "__main__":
    main()
