"""Routing simulator: a synthetic partner world with a hidden truth, to compare rankers.

    .venv/bin/python -m bench.routing_simulator [--partners 600] [--eval-leads 1000] [--seed 0]

Each partner has a hidden competence (how often it wins an accepted deal) and responsiveness
(how often it accepts an offer); its visible profile (skill levels, verification) is only a
noisy trace of competence, and its tier is independent of both. Leads arrive one per step in
four countries, each needing one or two skills; routing ranks the partners with the real
`scoring` code (features, hard constraints, territories, the ranker) and offers the lead down
the ranking (policy `best`, at most 3 offers). A partner accepts with P(accept) and, having
accepted, wins with P(win | accepted), both from the hidden truth; an accepted lead holds a
unit of the partner's capacity until it closes ~30 steps later, and the outcome feeds the
partner's history (the `performance` feature), as in the service.

A candidate's true fit is P(accept) x P(win | accepted) (the chance the offer ends in a won
deal); the oracle offers every lead to the eligible partner of highest true fit. Per ranker,
over `--eval-leads` leads after a history of N leads routed with the hand weights:
- fit: mean of the first-offered partner's true fit / the oracle's (1 = the oracle's choice);
- violations: offers to a partner that is out of range, lacks a required skill or is full;
- acceptance: share of leads some partner accepted;
- Gini of the leads first offered per partner eligible for at least one lead of the window.
The learned model is fitted (`scoring.learning.fit`) on the routing examples of those N leads:
the features each candidate had when the lead was routed, and whether the offer was won.
The rule-based baseline picks, among partners of the lead's country with its skills, one at
random weighted by tier (registered 1 ... platinum 4), as open-source PRMs assign.
"""

from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from indexing.embedded.geo import haversine_km
from indexing.protocol import Candidates, LeadQuery
from matcher.reports.service import gini
from profiles.freshness import FRESH
from scoring.features import CandidateContext, PerformanceHistory
from scoring.learning import fit
from scoring.model_registry import MIN_DECIDED_OFFERS, MIN_WINS
from scoring.ranker import HAND_RANKER, Ranker
from scoring.scorer import rank

COUNTRIES = {"DE": (48.0, 54.0, 6.5, 14.5), "FR": (43.5, 49.5, -1.0, 7.0),
             "IT": (38.5, 45.5, 8.0, 16.0), "PL": (49.5, 54.5, 15.0, 23.5)}  # fmt: skip
SKILLS = 24
MAX_OFFERS = 3
HOLD_STEPS = 30  # mean steps an accepted lead stays open
KEPT = 20  # candidates per lead kept as routing examples, as the service does
HISTORIES = (0, 500, 2000, 5000)
TODAY = date(2026, 11, 26)


@dataclass
class World:
    """Partners (visible profile and hidden truth) and the routing state that evolves."""

    rng: np.random.Generator
    country: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    radius_km: np.ndarray
    levels: np.ndarray  # (P, SKILLS) int8, 0 = lacks the skill
    verified: np.ndarray  # (P, SKILLS) bool
    tier: np.ndarray
    capacity: np.ndarray
    competence: np.ndarray  # hidden
    responsiveness: np.ndarray  # hidden
    open_leads: np.ndarray = field(init=False)
    offered: np.ndarray = field(init=False)
    accepted: np.ndarray = field(init=False)
    closed: np.ndarray = field(init=False)
    won: np.ndarray = field(init=False)
    closing: list[tuple[int, int, bool]] = field(default_factory=list)  # (step, partner, won)
    step: int = 0

    def __post_init__(self) -> None:
        n = len(self.lat)
        self.open_leads, self.offered, self.accepted, self.closed, self.won = (
            np.zeros(n, dtype=np.int64) for _ in range(5)
        )

    @classmethod
    def generate(cls, partners: int, *, seed: int) -> World:
        rng = np.random.default_rng(seed)
        codes = np.array(list(COUNTRIES))
        country = rng.choice(len(codes), size=partners)
        box = np.array([COUNTRIES[c] for c in codes])[country]
        competence = rng.beta(2, 2, size=partners)
        has = rng.random((partners, SKILLS)) < rng.uniform(0.1, 0.35, size=(partners, 1))
        trace = np.clip(0.4 * competence[:, None] + 0.6 * rng.random((partners, SKILLS)), 0, 1)
        levels = np.where(has, 1 + np.rint(4 * trace), 0).astype(np.int8)
        verified = has & (rng.random((partners, SKILLS)) < 0.2 + 0.6 * competence[:, None])
        return cls(
            rng=rng,
            country=country,
            lat=rng.uniform(box[:, 0], box[:, 1]),
            lon=rng.uniform(box[:, 2], box[:, 3]),
            radius_km=rng.choice([50.0, 100.0, 150.0, 250.0], size=partners),
            levels=levels,
            verified=verified,
            tier=rng.choice(4, size=partners, p=[0.4, 0.3, 0.2, 0.1]).astype(np.int8),
            capacity=rng.integers(3, 12, size=partners).astype(np.int32),
            competence=competence,
            responsiveness=rng.beta(4, 2, size=partners),
        )

    def new_lead(self) -> Lead:
        country = int(self.rng.integers(len(COUNTRIES)))
        box = list(COUNTRIES.values())[country]
        skills = self.rng.choice(SKILLS, size=int(self.rng.integers(1, 3)), replace=False)
        point = (self.rng.uniform(box[0], box[1]), self.rng.uniform(box[2], box[3]))
        return Lead(country=country, location=point, skills=skills)

    def truth(self, lead: Lead, rows: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, ...]:
        """P(accept), P(win | accepted) of partners `rows` (hidden from every ranker)."""
        load = self.open_leads[rows] / self.capacity[rows]
        p_accept = self.responsiveness[rows] * (1 - 0.6 * load) * np.exp(-distance / 300)
        skill = self.levels[rows][:, lead.skills].mean(axis=1)
        logit = -0.5 + 4 * (self.competence[rows] - 0.5) + 0.5 * (skill - 3) - distance / 150
        return p_accept, 1 / (1 + np.exp(-logit))

    def eligible(self, lead: Lead, distance: np.ndarray) -> np.ndarray:
        skilled = (self.levels[:, lead.skills] > 0).all(axis=1)
        return skilled & (distance <= self.radius_km) & (self.open_leads < self.capacity)

    def advance(self) -> None:
        """One step: deals due to close close (capacity back, history updated)."""
        self.step += 1
        due = [c for c in self.closing if c[0] <= self.step]
        self.closing = [c for c in self.closing if c[0] > self.step]
        for _, partner, won in due:
            self.open_leads[partner] -= 1
            self.closed[partner] += 1
            self.won[partner] += int(won)


@dataclass(frozen=True)
class Lead:
    country: int
    location: tuple[float, float]
    skills: np.ndarray


@dataclass
class Tally:
    fit: list[float] = field(default_factory=list)
    violations: int = 0
    accepted: int = 0
    leads: int = 0
    first_offers: dict[int, int] = field(default_factory=dict)
    eligible: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, float]:
        counts = [self.first_offers.get(p, 0) for p in sorted(self.eligible)]
        return {
            "fit": float(np.mean(self.fit)) if self.fit else 0.0,
            "violations": self.violations,
            "acceptance": self.accepted / max(self.leads, 1),
            "gini": gini(counts) or 0.0,
        }


@dataclass
class Examples:
    values: list[np.ndarray] = field(default_factory=list)
    won: list[bool] = field(default_factory=list)


def candidates_for(world: World, lead: Lead) -> tuple[LeadQuery, Candidates, np.ndarray]:
    """Partners with every required skill within reach, as a backend would return them."""
    distance = haversine_km(lead.location[0], lead.location[1], world.lat, world.lon)
    skilled = (world.levels[:, lead.skills] > 0).all(axis=1)
    rows = np.flatnonzero(skilled & (distance <= world.radius_km + 200))
    query = LeadQuery(
        on_date=TODAY, location=lead.location, required_skills=tuple(map(str, lead.skills))
    )
    n = len(rows)
    found = Candidates(
        partner_ids=rows.astype(np.int64),
        distance_km=distance[rows],
        service_radius_km=world.radius_km[rows],
        required_skill_levels=world.levels[rows][:, lead.skills],
        required_skill_verified=world.verified[rows][:, lead.skills],
        preferred_skill_levels=np.zeros((n, 0), dtype=np.int8),
        required_cert_active=np.zeros((n, 0), dtype=bool),
        preferred_cert_active=np.zeros((n, 0), dtype=bool),
        tier=world.tier[rows],
        max_open_leads=world.capacity[rows],
        language_match=world.country[rows] == lead.country,
        industry_match=np.ones(n, dtype=bool),
        product_overlap=np.zeros(n),
        freshness=np.full(n, FRESH, dtype=np.int8),
    )
    return query, found, distance


def route(world: World, lead: Lead, *, ranker: Ranker | None, tally: Tally | None,
          examples: Examples | None) -> None:  # fmt: skip
    """Route one lead (ranker None: the rule-based baseline), then advance the world."""
    query, found, distance = candidates_for(world, lead)
    ids = found.partner_ids
    context = CandidateContext(
        open_leads=world.open_leads[ids],
        history=PerformanceHistory(
            offered=world.offered[ids], accepted=world.accepted[ids],
            closed=world.closed[ids], won=world.won[ids],
        ),
    )  # fmt: skip
    values = None
    if ranker is None:
        order = _baseline_order(world, lead)
    else:
        ranking = rank(query, candidates=found, context=context, ranker=ranker)
        order, values = ranking.partner_ids.tolist()[:KEPT], ranking.values[:KEPT]
    eligible = world.eligible(lead, distance)
    p_accept, p_win = world.truth(lead, np.arange(len(world.lat)), distance)
    fit_ = p_accept * p_win
    if tally is not None:
        tally.leads += 1
        tally.eligible |= set(np.flatnonzero(eligible).tolist())
        best = fit_[eligible].max() if eligible.any() else 0.0
        if order and best > 0:
            tally.fit.append(float(fit_[order[0]] / best))
            tally.first_offers[order[0]] = tally.first_offers.get(order[0], 0) + 1
    for position, partner in enumerate(order[:MAX_OFFERS]):
        if tally is not None and not eligible[partner]:
            tally.violations += 1
        world.offered[partner] += 1
        accepted = world.rng.random() < p_accept[partner]
        won = accepted and world.rng.random() < p_win[partner]
        if examples is not None and values is not None:
            examples.values.append(values[position])
            examples.won.append(bool(won))
        if accepted:
            world.accepted[partner] += 1
            world.open_leads[partner] += 1
            hold = int(world.rng.geometric(1 / HOLD_STEPS))
            world.closing.append((world.step + hold, partner, bool(won)))
            if tally is not None:
                tally.accepted += 1
            break
    world.advance()


def _baseline_order(world: World, lead: Lead) -> list[int]:
    """Same country, the skills, tier-weighted random order (no territory, no capacity)."""
    pool = np.flatnonzero(
        (world.country == lead.country) & (world.levels[:, lead.skills] > 0).all(axis=1)
    )
    if not len(pool):
        return []
    weights = (world.tier[pool] + 1.0) / (world.tier[pool] + 1.0).sum()
    return world.rng.choice(
        pool, size=min(len(pool), MAX_OFFERS), replace=False, p=weights
    ).tolist()


def evaluate(world: World, leads: list[Lead], *, ranker: Ranker | None) -> dict[str, float]:
    world = copy.deepcopy(world)
    tally = Tally()
    for lead in leads:
        route(world, lead, ranker=ranker, tally=tally, examples=None)
    return tally.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=600)
    parser.add_argument("--eval-leads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    world = World.generate(args.partners, seed=args.seed)
    lead_stream = np.random.default_rng(args.seed + 1)
    examples = Examples()
    routed = 0
    rows = []
    for history in HISTORIES:
        while routed < history:  # history routed with the hand weights, examples kept
            route(world, world.new_lead(), ranker=HAND_RANKER, tally=None, examples=examples)
            routed += 1
        probe = copy.deepcopy(world)
        probe.rng = np.random.default_rng(lead_stream.integers(2**32))
        leads = [probe.new_lead() for _ in range(args.eval_leads)]
        won = np.array(examples.won, dtype=bool)
        if len(won) >= MIN_DECIDED_OFFERS and won.sum() >= MIN_WINS:
            learned = fit(np.array(examples.values), won, name=f"learned-after-{history}").ranker
            note = f"{len(won)} offers, {int(won.sum())} won"
        else:
            learned, note = HAND_RANKER, f"too little history ({len(won)} offers): hand weights"
        for label, ranker in (("hand weights", HAND_RANKER), ("learned", learned)):
            figures = evaluate(probe, leads, ranker=ranker)
            rows.append((history, label, figures, note if label == "learned" else ""))
        if history == 2000:
            rows.append((history, "rule-based baseline", evaluate(probe, leads, ranker=None), ""))
    print(f"{args.partners} partners, {args.eval_leads} evaluation leads per row, seed {args.seed}")
    columns = ("history (leads)", "ranker", "first-offer fit vs oracle", "violations")
    columns += ("acceptance", "Gini", "note")
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for history, label, f, note in rows:
        print(
            f"| {history} | {label} | {f['fit']:.3f} | {f['violations']} | "
            f"{f['acceptance']:.3f} | {f['gini']:.3f} | {note} |"
        )


if __name__ == "__main__":
    main()
