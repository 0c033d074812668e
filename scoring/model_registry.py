"""Train, evaluate, promote and roll back learned ranking models. Never commits.

Training reads the routing examples of leads routed before a cut-off; evaluation reads a
later holdout window and compares the model with the hand weights and with the active model
on the same leads. A model is promoted only if it beats the active ranker on the holdout;
the decision and its figures are kept with the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from scoring import repository
from scoring.evaluation import Examples, Report, evaluate
from scoring.learning import LearnedModel, fit
from scoring.models import ACTIVE, RETIRED, TRAINED, RankingModel
from scoring.ranker import HAND_RANKER, LearnedRanker, Ranker
from scoring.service import forget_active_ranker

MIN_DECIDED_OFFERS = 200  # offers with a known final label (won, lost, declined, expired)
MIN_WINS = 20
# A candidate must rank the won partner higher and keep acceptance AUC within this margin.
AUC_MARGIN = 0.02


@dataclass(frozen=True)
class Trained:
    model: RankingModel | None  # None: too little history, the hand weights stay
    message: str


def load_examples(session: Session, *, start: datetime | None, end: datetime) -> Examples:
    rows = repository.examples_between(session, start=start, end=end)
    return Examples.of_rows(
        [(r.lead_id, r.features, r.offered, r.response, r.outcome) for r in rows]
    )


def train(session: Session, *, until: datetime, now: datetime) -> Trained:
    """Fit on the examples of leads routed before `until`; stores the model (not active)."""
    examples = load_examples(session, start=None, end=until)
    decided = examples.select(examples.decided)
    wins = int(decided.won.sum())
    if len(decided) < MIN_DECIDED_OFFERS or wins < MIN_WINS:
        return Trained(
            model=None,
            message=(
                f"too little history before {until.isoformat()}: {len(decided)} offers with a "
                f"known outcome and {wins} wins (need {MIN_DECIDED_OFFERS} and {MIN_WINS}); "
                "the hand weights stay active"
            ),
        )
    version = f"learned-{now:%Y%m%d%H%M%S%f}"
    learned = fit(decided.values, decided.won, name=version)
    row = RankingModel(
        version=version,
        created_at=now,
        trained_until=until,
        params={
            **learned.ranker.to_params(),
            "logit_offset": learned.logit_offset,
            "logit_scale": learned.logit_scale,
        },
        training={"leads": len(np.unique(decided.lead_ids)), "offers": len(decided), "wins": wins},
        evaluation=None,
        status=TRAINED,
    )
    session.add(row)
    session.flush()
    return Trained(
        model=row,
        message=f"trained {version} (id {row.id}) on {len(decided)} offers, {wins} won",
    )


def evaluate_model(
    session: Session, model: RankingModel, *, start: datetime, end: datetime
) -> dict[str, Any]:
    """Holdout figures of `model`, the hand weights and the active model on [start, end)."""
    if start >= end:
        raise InvalidInput.field("from", "must be before `to`")
    holdout = load_examples(session, start=start, end=end)
    if not len(holdout):
        raise InvalidInput.field(
            "from", f"no routed leads in {start.isoformat()} - {end.isoformat()}"
        )
    before = load_examples(session, start=None, end=start)
    figures = {
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "candidate": _figures(holdout, _learned(model)),
        HAND_RANKER.version: _figures(holdout, _hand(before)),
    }
    active = _active_row(session)
    if active is not None and active.id != model.id:
        figures[active.version] = _figures(holdout, _learned(active))
    model.evaluation = figures
    return figures


def promote(
    session: Session, model: RankingModel, *, start: datetime, end: datetime, now: datetime
) -> tuple[bool, str, dict[str, Any]]:
    """Activate `model` if it beats the active ranker on the holdout; the decision is kept."""
    if model.status == ACTIVE:
        raise Conflict(f"model {model.version} is already active")
    figures = evaluate_model(session, model, start=start, end=end)
    active = _active_row(session)
    incumbent = active.version if active is not None else HAND_RANKER.version
    mine, theirs = figures["candidate"], figures[incumbent]
    beats = _beats(mine, theirs)
    summary = (
        f"NDCG@5 won {_fmt(mine['ndcg5_won'])} vs {_fmt(theirs['ndcg5_won'])}, "
        f"AUC acceptance {_fmt(mine['auc_acceptance'])} vs {_fmt(theirs['auc_acceptance'])}"
    )
    if beats:
        if active is not None:
            active.status = RETIRED
        model.status, model.activated_at = ACTIVE, now
        decision = f"promoted over {incumbent}: {summary}"
        forget_active_ranker()
    else:
        decision = f"not promoted, {incumbent} stays active: {summary}"
    model.decision = decision
    session.flush()
    return beats, decision, figures


def rollback(session: Session, *, now: datetime) -> str:
    """Retire the active model and reactivate the one active before it (or the hand weights)."""
    active = _active_row(session)
    if active is None:
        raise Conflict("no learned model is active; the hand weights already rank")
    active.status, active.decision = RETIRED, f"rolled back at {now.isoformat()}"
    forget_active_ranker()
    earlier = [
        m
        for m in repository.models(session)
        if m.id != active.id and m.activated_at is not None and m.activated_at < active.activated_at  # type: ignore[operator]
    ]
    session.flush()
    if not earlier:
        return f"rolled back {active.version}; the hand weights ({HAND_RANKER.version}) rank"
    previous = max(earlier, key=lambda m: m.activated_at)  # type: ignore[arg-type,return-value]
    previous.status = ACTIVE
    session.flush()
    return f"rolled back {active.version}; {previous.version} is active again"


def get_model(session: Session, model_id: int) -> RankingModel:
    model = repository.get_model(session, model_id)
    if model is None:
        raise NotFound(f"model {model_id} not found")
    return model


def _active_row(session: Session) -> RankingModel | None:
    active = repository.active_model(session)
    return None if active is None else repository.get_model(session, active[0])


@dataclass(frozen=True)
class _Scorer:
    ranker: Ranker
    probability: Any  # Callable[[np.ndarray], np.ndarray]

    def score(self, values: np.ndarray) -> np.ndarray:
        return self.ranker.contributions(values).sum(axis=1)


def _learned(row: RankingModel) -> _Scorer:
    model = LearnedModel(
        ranker=LearnedRanker.from_params(row.version, row.params),
        logit_offset=row.params["logit_offset"],
        logit_scale=row.params["logit_scale"],
    )
    return _Scorer(model.ranker, model.probability)


def _hand(training: Examples) -> _Scorer:
    """The hand weights, with P(won) by Platt scaling of their score on the training period
    (the hand score is no probability by itself); without any, the score itself."""
    decided = training.select(training.decided)
    scorer = _Scorer(HAND_RANKER, lambda scores: np.clip(scores, 0.0, 1.0))
    if len(np.unique(decided.won)) < 2:
        return scorer
    platt = LogisticRegression().fit(scorer.score(decided.values).reshape(-1, 1), decided.won)
    return _Scorer(HAND_RANKER, lambda scores: platt.predict_proba(scores.reshape(-1, 1))[:, 1])


def _figures(holdout: Examples, scorer: _Scorer) -> dict[str, Any]:
    report: Report = evaluate(holdout, score=scorer.score, probability=scorer.probability)
    return report.as_dict()


def _beats(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    if mine["ndcg5_won"] is None or theirs["ndcg5_won"] is None:
        return False
    auc_ok = (
        mine["auc_acceptance"] is None
        or theirs["auc_acceptance"] is None
        or mine["auc_acceptance"] >= theirs["auc_acceptance"] - AUC_MARGIN
    )
    return bool(mine["ndcg5_won"] > theirs["ndcg5_won"] and auc_ok)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
