"""Every store query of the scoring domain: flagged (due or stale) profiles, one page at a time;
routing examples and ranking models.

The filter mirrors `profiles.freshness.assess_many` in SQL so that only a page of rows (plain
tuples, no ORM objects) leaves the database, in partner-id order for keyset pagination.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from core.database import table_of
from profiles.models import Certification, Partner, PartnerSkill
from scoring.models import ACTIVE, RankingModel, RoutingExample

# id, name, profile_updated_at, attested_at, has_skills, certifications_expired,
# last_certification_expiry
FlaggedRow = Row[int, str, datetime, datetime | None, bool, bool, date | None]


def flagged_partners(
    session: Session,
    *,
    due_cutoff: datetime,
    stale_cutoff: datetime,
    today: date,
    status: Literal["due", "stale"] | None,
    after_id: int,
    limit: int,
) -> Sequence[FlaggedRow]:
    """Partners with id > `after_id` that are due or stale (only those of `status` if given).

    A profile is due when last confirmed (updated or attested) at or before `due_cutoff`,
    stale when at or before `stale_cutoff`, without skills, or with certifications none of
    which is active on `today`.
    """
    has_skills = exists().where(PartnerSkill.partner_id == Partner.id)
    has_certifications = exists().where(Certification.partner_id == Partner.id)
    has_active_certification = exists().where(
        Certification.partner_id == Partner.id,
        or_(Certification.expires_at.is_(None), Certification.expires_at >= today),
    )
    certifications_expired = and_(has_certifications, ~has_active_certification)
    blocked = or_(~has_skills, certifications_expired)
    stale = or_(_confirmed_by(stale_cutoff), blocked)
    condition = {
        None: or_(_confirmed_by(due_cutoff), blocked),
        "due": and_(_confirmed_by(due_cutoff), ~stale),
        "stale": stale,
    }[status]
    last_expiry = (
        select(func.max(Certification.expires_at))
        .where(Certification.partner_id == Partner.id)
        .scalar_subquery()
    )
    statement = (
        select(
            Partner.id,
            Partner.name,
            Partner.profile_updated_at,
            Partner.attested_at,
            has_skills.label("has_skills"),
            certifications_expired.label("certifications_expired"),
            last_expiry.label("last_certification_expiry"),
        )
        .where(Partner.id > after_id, condition)
        .order_by(Partner.id)
        .limit(limit)
    )
    return session.execute(statement).all()


def _confirmed_by(cutoff: datetime) -> ColumnElement[bool]:
    """Last updated and last attested (if ever) at or before `cutoff`."""
    return and_(
        Partner.profile_updated_at <= cutoff,
        or_(Partner.attested_at.is_(None), Partner.attested_at <= cutoff),
    )


def active_model(session: Session) -> tuple[int, str] | None:
    """(id, version) of the active ranking model; None while the hand weights rank."""
    row = session.execute(
        select(RankingModel.id, RankingModel.version).where(RankingModel.status == ACTIVE)
    ).first()
    return None if row is None else (row[0], row[1])


def model_params(session: Session, model_id: int) -> dict[str, Any]:
    return session.execute(
        select(RankingModel.params).where(RankingModel.id == model_id)
    ).scalar_one()


def models(session: Session) -> list[RankingModel]:
    return list(session.scalars(select(RankingModel).order_by(RankingModel.id)))


def get_model(session: Session, model_id: int) -> RankingModel | None:
    return session.get(RankingModel, model_id)


def add_examples(session: Session, examples: Sequence[dict[str, Any]]) -> None:
    if examples:
        session.execute(insert(table_of(RoutingExample)), list(examples))


def update_example(session: Session, *, lead_id: int, partner_id: int, **values: Any) -> None:
    """Sets label columns (offered, response, decline_reason, outcome, deal_value)."""
    session.execute(
        update(RoutingExample)
        .where(RoutingExample.lead_id == lead_id, RoutingExample.partner_id == partner_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def examples_between(session: Session, *, start: datetime | None, end: datetime) -> list[Row[Any]]:
    """Examples of leads routed in [start, end), by lead and rank position."""
    query = select(
        RoutingExample.lead_id,
        RoutingExample.position,
        RoutingExample.features,
        RoutingExample.offered,
        RoutingExample.response,
        RoutingExample.outcome,
    ).where(RoutingExample.routed_at < end)
    if start is not None:
        query = query.where(RoutingExample.routed_at >= start)
    return list(session.execute(query.order_by(RoutingExample.lead_id, RoutingExample.position)))
