"""The store's schema: every Alembic migration, applied at start by `serve` and the CLI.

The migrations live with the app because their environment sees every domain's models.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def _heads() -> frozenset[str]:
    """The newest revisions, read from the migration scripts once per process."""
    return frozenset(ScriptDirectory.from_config(_config()).get_heads())


def upgrade_database(engine: Engine) -> None:
    """Apply every Alembic migration (idempotent); a store already at the head is only read."""
    with engine.begin() as connection:
        if frozenset(MigrationContext.configure(connection).get_current_heads()) == _heads():
            return
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
