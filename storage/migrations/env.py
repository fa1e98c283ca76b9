"""Alembic environment: wiredesk passes the connection in, so migrations run on whatever engine it has."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.schema import compare_type


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out what the migrations create by hand: the full-text index and its machinery."""
    return not (name or "").startswith(("articles_fts", "ix_articles_search")) and name != "search_vector"


run_migrations()
