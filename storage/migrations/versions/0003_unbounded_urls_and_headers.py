"""URLs, HTTP headers and sites as TEXT; articles.declared_original

PostgreSQL refused a canonical URL or feed link of 2,049-2,083 characters (Scrapy fetches up to
2,083), an ETag over 500 characters, a Content-Type over 200, a Last-Modified over 100: one such
page failed its whole batch, where SQLite stored it. These columns become TEXT; storage/bounds.py
bounds what is written, the same on both backends.

On SQLite a declared length is never enforced (VARCHAR(n) and TEXT are the same TEXT affinity), so
only the new column is added there; rebuilding the tables to change their declared types would
drop and copy every article. storage/schema.py compares the two as equal on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, old type): every column this migration makes TEXT.
WIDENED = (
    ("articles", "url", sa.String(2048)),
    ("articles", "site", sa.String(255)),
    ("articles", "etag", sa.String(500)),
    ("articles", "last_modified", sa.String(100)),
    ("article_urls", "url", sa.String(2048)),
    ("pages", "url", sa.String(2048)),
    ("pages", "final_url", sa.String(2048)),
    ("pages", "content_type", sa.String(200)),
    ("listing_states", "url", sa.String(2048)),
    ("listing_states", "etag", sa.String(500)),
    ("listing_states", "last_modified", sa.String(100)),
)


def upgrade() -> None:
    op.add_column("articles", sa.Column("declared_original", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _retype(to_text=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Values longer than the old types are cut, as the old columns would have refused them.
        _retype(to_text=False)
    # Native DROP COLUMN (SQLite 3.35+): a batch rebuild of `articles` would trip on its views.
    op.execute("ALTER TABLE articles DROP COLUMN declared_original")


def _retype(to_text: bool) -> None:
    """PostgreSQL: change the columns' types; the views that read them are dropped and made again.

    PostgreSQL refuses to change the type of a column a view uses, even to a compatible one.
    """
    bind = op.get_bind()
    tables = sorted({table for table, _, _ in WIDENED})
    views = bind.execute(
        sa.text(
            "SELECT DISTINCT view_name FROM information_schema.view_table_usage "
            "WHERE view_schema = current_schema() AND table_name = ANY(:tables)"
        ),
        {"tables": tables},
    ).scalars()
    definitions = {
        name: bind.execute(
            sa.text("SELECT pg_get_viewdef(CAST(:name AS regclass), true)"), {"name": name}
        ).scalar_one()
        for name in views
    }
    for name in definitions:
        op.execute(f"DROP VIEW {name}")
    for table, column, old in WIDENED:
        if to_text:
            op.alter_column(table, column, type_=sa.Text(), existing_type=old)
        else:
            using = f"left({column}, {old.length})"
            op.alter_column(table, column, type_=old, existing_type=sa.Text(), postgresql_using=using)
    for name, definition in definitions.items():
        op.execute(f"CREATE VIEW {name} AS {definition}")
