"""A routing benchmark's starting point: the seeded store with no leads."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from core.database import make_engine, make_sessionmaker, transaction
from matcher.leads.models import IdempotencyKey, Lead, LeadEvent, PartnerLeadStats
from matcher.notifications.models import Delivery, NotificationEvent
from scoring.models import RoutingExample

_LEAD_TABLES = (RoutingExample, LeadEvent, IdempotencyKey, PartnerLeadStats, Lead)
_NAMES = ", ".join(m.__tablename__ for m in (*_LEAD_TABLES, NotificationEvent, Delivery))


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
        _maintain(engine, f"VACUUM ANALYZE {_NAMES}")


def analyze_leads(database_url: str) -> None:
    """On PostgreSQL, ANALYZE the lead tables once a run's warm-up has written to them, as a
    store in use has them. `forget_leads` left them analyzed empty, and a foreign-key check
    planned while its table looked empty stays slow as the table fills (a row inserted with a
    foreign key: 106 us, 748 us once the referenced table had 20,000 rows, 131 us after an
    ANALYZE), until autovacuum analyzes it, up to a minute later: at 150 leads/s PostgreSQL's
    CPU rose from 25% to 59% of a core over 25 s, then fell back to 27% (2026-11-27 01:14)."""
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        _maintain(engine, f"ANALYZE {_NAMES}")
    engine.dispose()


def _maintain(engine: Engine, command: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(command)
