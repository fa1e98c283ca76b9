"""Bringing a database's schema up to date; every command that opens a database for writing calls it."""

from __future__ import annotations

from sqlalchemy import Engine

from storage.models import Base


def upgrade(engine: Engine) -> None:
    """Create whatever tables are missing. Idempotent and safe to run at every start."""
    Base.metadata.create_all(engine)
