"""site memory: the lines seen on each site's stories; revisions say whether they are re-cleanings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:50:00.000000

`site_lines` starts empty: the memory is learnt from texts stored from now on (and from texts
`wiredesk reclean` stores). Existing revisions are publisher texts (`cause` = `fetch`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_lines",
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("story_ids", sa.Text(), nullable=False),
        sa.Column("stories", sa.SmallInteger(), nullable=False),
        sa.Column("last_seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("furniture_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site", "key"),
    )
    op.create_index("ix_site_lines_site_seen", "site_lines", ["site", "last_seen_at"], unique=False)
    op.add_column(
        "revisions", sa.Column("cause", sa.String(length=20), server_default="fetch", nullable=False)
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE revisions DROP COLUMN cause")
    else:
        op.drop_column("revisions", "cause")
    op.drop_index("ix_site_lines_site_seen", table_name="site_lines")
    op.drop_table("site_lines")
