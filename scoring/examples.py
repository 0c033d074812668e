"""Routing examples: the features every ranked candidate had when a lead was routed, and the
labels that follow (offered, accepted/declined/expired, won/lost with the deal value).

Training reads these rows, never today's profiles, so a model learns from what routing knew.
Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from scoring import repository
from scoring.schemas import RankedCandidate


def record_ranking(
    session: Session,
    *,
    lead_id: int,
    candidates: Sequence[RankedCandidate],
    model_version: str,
    routed_at: datetime,
    offered_to: int | None,
) -> None:
    """One example per ranked candidate kept with the lead, marked offered for the partner
    it went to (`offered_to`)."""
    repository.add_examples(
        session,
        [
            {
                "lead_id": lead_id,
                "partner_id": candidate.partner_id,
                "position": position,
                "model_version": model_version,
                "score": candidate.score,
                "features": {part.feature: part.value for part in candidate.explanation},
                "routed_at": routed_at,
                "offered": candidate.partner_id == offered_to,
            }
            for position, candidate in enumerate(candidates)
        ],
    )


def record_offer(session: Session, *, lead_id: int, partner_id: int) -> None:
    repository.update_example(session, lead_id=lead_id, partner_id=partner_id, offered=True)


def record_response(
    session: Session, *, lead_id: int, partner_id: int, response: str, reason: str | None = None
) -> None:
    """accepted, declined (with the partner's reason) or expired."""
    repository.update_example(
        session, lead_id=lead_id, partner_id=partner_id, response=response, decline_reason=reason
    )


def record_outcome(
    session: Session, *, lead_id: int, partner_id: int, outcome: str, deal_value: float | None
) -> None:
    repository.update_example(
        session, lead_id=lead_id, partner_id=partner_id, outcome=outcome, deal_value=deal_value
    )
