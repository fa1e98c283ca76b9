"""pending_articles: article URLs a listing named that are not stored yet, tried again by later crawls

An article whose fetch failed, or that a stopped crawl left in its queue, was lost for good once
its feed or sitemap stopped listing it: nothing recorded the URL. Rows are written when a listing
names a URL not stored, and removed once it is stored or found to hold no article, or given up
(storage/pending.py). The table starts empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_articles",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("first_listed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_tried_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("source", "url"),
    )


def downgrade() -> None:
    op.drop_table("pending_articles")
