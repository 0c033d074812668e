"""Every query of the leads domain: leads, their events, partner counters, idempotency keys."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session

from core.database import PerDialect, table_of
from matcher.leads.models import OFFERED, IdempotencyKey, Lead, LeadEvent, PartnerLeadStats
from profiles.models import Partner


def get_lead(session: Session, lead_id: int) -> Lead | None:
    return session.get(Lead, lead_id)


def list_leads(
    session: Session,
    *,
    statuses: Collection[str],
    partner_id: int | None,
    before_id: int | None,
    limit: int,
    outcome: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> list[Lead]:
    """Newest first; `before_id` continues a previous page; created in [from, to)."""
    query = select(Lead).order_by(Lead.id.desc()).limit(limit)
    if statuses:
        query = query.where(Lead.status.in_(statuses))
    if outcome is not None:
        query = query.where(Lead.outcome == outcome)
    if created_from is not None:
        query = query.where(Lead.created_at >= created_from)
    if created_to is not None:
        query = query.where(Lead.created_at < created_to)
    if partner_id is not None:
        query = query.where(Lead.assigned_partner_id == partner_id)
    if before_id is not None:
        query = query.where(Lead.id < before_id)
    return list(session.scalars(query))


def events_of(session: Session, lead_id: int) -> list[LeadEvent]:
    query = select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    return list(session.scalars(query))


def insert_lead(session: Session, lead: Lead) -> None:
    """Write a new lead (its first version) and give it its id, in one prebuilt INSERT
    instead of the ORM's unit of work, which cost several times the statement. The lead stays
    outside the session: a request that routes a lead changes it no further."""
    lead.version = 1
    state = inspect(lead).dict
    values = {column.key: state[column.key] for column in _LEADS.columns if column.key in state}
    lead.id = session.execute(_INSERT_LEAD, values).scalar_one()


def add_events(session: Session, steps: list[dict[str, Any]]) -> None:
    """Steps of a lead's history (each the columns of `LeadEvent`), in one statement."""
    session.execute(_ADD_EVENT, steps)


def partners_offered(session: Session, lead_id: int) -> set[int]:
    """Every partner the lead has been offered to, so it never goes back to one of them."""
    query = select(LeadEvent.partner_id).where(
        LeadEvent.lead_id == lead_id, LeadEvent.kind == OFFERED
    )
    return {partner_id for partner_id in session.scalars(query) if partner_id is not None}


def recent_offers(
    session: Session, partner_ids: Iterable[int], *, since: datetime
) -> dict[int, int]:
    """Leads offered to each partner since `since` (the balanced policy's load measure)."""
    rows = session.execute(_RECENT_OFFERS, {"partner_ids": list(partner_ids), "since": since})
    return {partner_id: count for partner_id, count in rows if partner_id is not None}


def stats_of(session: Session, partner_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """The lead counters (open_leads, offered, accepted, closed, won) of each partner that
    has any, as plain rows: ranking only reads them."""
    rows = session.execute(_STATS_OF, {"partner_ids": list(partner_ids)})
    return {partner_id: tuple(counters) for partner_id, *counters in rows}


def take_capacity(session: Session, partner_id: int) -> bool:
    """Counts one more open lead for the partner unless it is at max_open_leads.

    One conditional upsert: the partner's first lead inserts its counters, a later one adds
    to them only while under the limit. Concurrent offers to one partner queue on its row, and
    each re-checks the limit after the previous one commits, so the limit holds under
    concurrency. False when full (or the partner is gone).
    """
    statement = _TAKE_CAPACITY(session)
    return session.execute(statement, {"partner_id": partner_id}).first() is not None


def _take_capacity(insert: Callable[[Table], Any]) -> Any:
    stats = table_of(PartnerLeadStats)
    partners = table_of(Partner)
    partner_id = bindparam("partner_id", type_=stats.c.partner_id.type)
    limit = select(partners.c.max_open_leads).where(partners.c.id == partner_id).scalar_subquery()
    first = select(partner_id, literal(1), literal(1), literal(0), literal(0), literal(0)).where(
        limit > 0
    )
    statement = insert(stats).from_select(list(_COUNTERS), first)
    statement = statement.on_conflict_do_update(
        index_elements=[stats.c.partner_id],
        set_={"open_leads": stats.c.open_leads + 1, "offered": stats.c.offered + 1},
        where=stats.c.open_leads < limit,
    )
    # a row comes back when one was inserted or updated (psycopg's rowcount here is -1)
    return statement.returning(stats.c.partner_id)


def release_capacity(session: Session, partner_id: int) -> None:
    session.execute(
        update(PartnerLeadStats)
        .where(PartnerLeadStats.partner_id == partner_id, PartnerLeadStats.open_leads > 0)
        .values(open_leads=PartnerLeadStats.open_leads - 1)
        .execution_options(synchronize_session=False)
    )


def count_outcome(
    session: Session, partner_id: int, *, accepted: int = 0, closed: int = 0, won: int = 0
) -> None:
    """Adds to the partner's acceptance and win history (the scorer's performance input)."""
    session.execute(
        update(PartnerLeadStats)
        .where(PartnerLeadStats.partner_id == partner_id)
        .values(
            accepted=PartnerLeadStats.accepted + accepted,
            closed=PartnerLeadStats.closed + closed,
            won=PartnerLeadStats.won + won,
        )
        .execution_options(synchronize_session=False)
    )


def due_offers(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of offered leads whose acceptance deadline has passed, oldest deadline first."""
    query = (
        select(Lead.id)
        .where(Lead.status == OFFERED, Lead.accept_by <= now)
        .order_by(Lead.accept_by, Lead.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def offers_ending_by(session: Session, *, now: datetime, until: datetime) -> list[Lead]:
    """Offered leads whose acceptance deadline falls in (now, until]: the reminder window."""
    query = (
        select(Lead)
        .where(Lead.status == OFFERED, Lead.accept_by > now, Lead.accept_by <= until)
        .order_by(Lead.accept_by, Lead.id)
    )
    return list(session.scalars(query))


def stored_response(session: Session, key: str) -> StoredResponse | None:
    """The response remembered under an Idempotency-Key (request_hash, status_code, response,
    expires_at), as a row: the ORM's load of it cost more than the read."""
    return session.execute(_STORED_RESPONSE, {"key": key}).first()


def remember_response(session: Session, **values: Any) -> None:
    """Store a response under its key; IntegrityError when the key is taken."""
    session.execute(_REMEMBER_RESPONSE, values)


def forget_response(session: Session, key: str) -> None:
    session.execute(_FORGET_RESPONSE, {"key": key})


def delete_expired_keys(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return result.rowcount  # type: ignore[attr-defined]


_RESPONSES = table_of(IdempotencyKey)
StoredResponse = Row[str, int, dict[str, Any], datetime]
# Every created lead with a key runs these: built once.
_STORED_RESPONSE = select(
    _RESPONSES.c.request_hash,
    _RESPONSES.c.status_code,
    _RESPONSES.c.response,
    _RESPONSES.c.expires_at,
).where(_RESPONSES.c.key == bindparam("key"))
_REMEMBER_RESPONSE = insert(_RESPONSES)
_FORGET_RESPONSE = delete(_RESPONSES).where(_RESPONSES.c.key == bindparam("key"))
_COUNTERS = ("partner_id", "open_leads", "offered", "accepted", "closed", "won")
_TAKE_CAPACITY = PerDialect(_take_capacity)
# Routing reads these for every lead: built once (a statement built per call costs more than
# it takes to run), with the partner ids as one expanding parameter.
_RECENT_OFFERS = (
    select(LeadEvent.partner_id, func.count())
    .where(
        LeadEvent.partner_id.in_(bindparam("partner_ids", expanding=True)),
        LeadEvent.kind == OFFERED,
        LeadEvent.at >= bindparam("since"),
    )
    .group_by(LeadEvent.partner_id)
)
_ADD_EVENT = insert(table_of(LeadEvent))
_LEADS = table_of(Lead)
_INSERT_LEAD = insert(_LEADS).returning(_LEADS.c.id)
_STATS_OF = select(
    PartnerLeadStats.partner_id,
    PartnerLeadStats.open_leads,
    PartnerLeadStats.offered,
    PartnerLeadStats.accepted,
    PartnerLeadStats.closed,
    PartnerLeadStats.won,
).where(PartnerLeadStats.partner_id.in_(bindparam("partner_ids", expanding=True)))
