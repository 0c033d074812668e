"""A store of one test's own (SQLite file or PostgreSQL database), with backup and restore."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, make_url, select, text

from api.migrate import upgrade_database
from core.access import service
from core.access.models import Role
from core.database import make_engine, make_sessionmaker, transaction
from profiles.models import Partner

_SQLITE_FILES = ("", "-wal", "-shm")


class Store:
    """Created empty and migrated; `drop()` removes it."""

    def __init__(self, *, server_url: str | None, directory: Path) -> None:
        self._directory = directory
        self._server = make_url(server_url) if server_url else None
        if self._server is None:
            self._path = directory / "store.db"
            self.url = f"sqlite:///{self._path}"
        else:
            self._name = f"e2e_{uuid.uuid4().hex[:10]}"
            self._admin(f'CREATE DATABASE "{self._name}"')
            self.url = self._server.set(database=self._name).render_as_string(False)
        self.engine: Engine = make_engine(self.url)
        upgrade_database(self.engine)

    def admin_key(self) -> str:
        """A committed admin key's secret."""
        with transaction(make_sessionmaker(self.engine)) as session:
            issued = service.issue_key(
                session, name="e2e", role=Role.ADMIN, partner_id=None, now=datetime.now(UTC)
            )
        return issued.secret

    def partner_versions(self) -> dict[int, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(Partner.id, Partner.version))
            return {int(pid): int(version) for pid, version in rows}

    def count_partners(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Partner)) or 0)

    def backup(self) -> str:
        """A copy of the store as it is now (no server may be running on it)."""
        self.engine.dispose()
        if self._server is None:
            for suffix in _SQLITE_FILES:
                source = Path(f"{self._path}{suffix}")
                if source.exists():
                    shutil.copyfile(source, f"{self._path}.backup{suffix}")
            return f"{self._path}.backup"
        name = self._databases()[1]
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._name}"')
        return name

    def restore(self, backup: str) -> None:
        """Put a backup in place of the store (no server may be running on it)."""
        self.engine.dispose()
        if self._server is None:
            for suffix in _SQLITE_FILES:
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
                source = Path(f"{backup}{suffix}")
                if source.exists():
                    shutil.copyfile(source, f"{self._path}{suffix}")
            return
        self._admin(
            f'DROP DATABASE "{self._name}" WITH (FORCE)',
            f'CREATE DATABASE "{self._name}" TEMPLATE "{backup}"',
        )

    def drop(self) -> None:
        self.engine.dispose()
        if self._server is not None:
            self._admin(
                *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self._databases())
            )

    def _databases(self) -> tuple[str, str]:
        return self._name, f"{self._name}_backup"

    def _admin(self, *statements: str) -> None:
        """Run statements on the PostgreSQL server outside any transaction."""
        assert self._server is not None
        admin = create_engine(self._server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
        admin.dispose()
