"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import make_engine
from storage.models import Base
from storage.schema import compare_type, current_revision, head_revision, upgrade


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": lambda o, name, *_: (
                    not (name or "").startswith("articles_fts")
                    and name not in ("search_vector", "ix_articles_search", "alembic_version")
                ),
                "compare_type": compare_type,
            },
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "run `alembic revision --autogenerate` (see docs/schema.md), then review it"
    assert current_revision(engine) == head_revision()


def test_views_and_search_index_exist(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    inspector = inspect(engine)
    assert {"story_copies", "story_sites", "source_daily", "articles_latest"} <= set(
        inspector.get_view_names()
    )


def test_upgrade_is_idempotent_and_safe_from_two_threads(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(2)]
    threads = [threading.Thread(target=upgrade, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    upgrade(engines[0])
    assert current_revision(engines[1]) == head_revision()
