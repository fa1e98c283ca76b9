"""articles: top image, images, keywords, free access, and whether the language was detected

What newspaper4k and news-please users expect of an article (issue 18), read by the cleaner from
the page's own markup (cleaner/metadata.py). Articles stored before this migration have NULL in
every new column: "not read", as distinct from an empty list or an unsaid paywall flag. They are
filled the next time the article's text is stored (a publisher revision, or a `wiredesk reclean`
whose text differs): an unchanged text rewrites nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("language_detected", sa.Boolean()),
    ("top_image", sa.Text()),
    ("images", sa.JSON()),
    ("keywords", sa.JSON()),
    ("free_access", sa.Boolean()),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.add_column("articles", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+): a batch rebuild of `articles` would trip on its views.
    for name, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
