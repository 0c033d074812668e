"""A routing benchmark's starting point: the seeded store with no leads."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from core.database import make_sessionmaker, transaction
from matcher.leads.models import IdempotencyKey, Lead, LeadEvent, PartnerLeadStats
from matcher.notifications.models import Delivery, NotificationEvent
from scoring.models import RoutingExample

_LEAD_TABLES = (RoutingExample, LeadEvent, IdempotencyKey, PartnerLeadStats, Lead)


def forget_leads(engine: Engine) -> None:
    """Start every routing run from the seeded store: no leads (nor their notifications and
    idempotency keys), every partner's capacity free, the deleted rows vacuumed. Leads left by
    earlier runs would fill their partners (nobody accepts in a benchmark), and each run would
    route against a different store."""
    of_leads = NotificationEvent.lead_id.is_not(None)
    with transaction(make_sessionmaker(engine)) as session:
        events = select(NotificationEvent.id).where(of_leads)
        session.execute(delete(Delivery).where(Delivery.event_id.in_(events)))
        session.execute(delete(NotificationEvent).where(of_leads))
        for model in _LEAD_TABLES:
            session.execute(delete(model))
    if engine.dialect.name == "postgresql":  # else autovacuum clears them while measuring
        tables = (*_LEAD_TABLES, NotificationEvent, Delivery)
        names = ", ".join(model.__tablename__ for model in tables)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM ANALYZE {names}")
