"""Bringing a database's schema up to date with the Alembic migrations in storage/migrations.

Every command that writes calls `upgrade()` at start; it is idempotent, and two processes starting
at once take turns (an advisory lock on PostgreSQL, an exclusive transaction on SQLite), so
migrations never run twice in parallel.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, String, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# An arbitrary constant: the PostgreSQL advisory lock that serialises wiredesk's migrations.
MIGRATION_LOCK_ID = 0x77697265


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: no alembic.ini to find or keep in step."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this wiredesk."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations the database lacks; a no-op when it is up to date."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        target = head_revision() if revision == "head" else revision
        if MigrationContext.configure(connection).get_current_revision() == target:
            return
        command.upgrade(alembic_config(connection), revision)


def compare_type(
    context: MigrationContext, inspected: object, column: object, inspected_type: object, model_type: object
) -> bool | None:
    """Alembic's type comparison, but on SQLite every string type is one: VARCHAR(n) and TEXT have
    the same affinity and no length is enforced (see migration 0003). None: Alembic's own check."""
    strings = isinstance(inspected_type, String) and isinstance(model_type, String)
    return False if strings and context.dialect.name == "sqlite" else None
