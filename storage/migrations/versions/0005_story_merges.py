"""story merges, and the band index re-built for 42 bands of 3 rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:49:25.660092

Stories linked by a later text are merged (`stories.merged_into`, `story_merges`). The band layout
changed from 32 bands of 4 rows to 42 bands of 3 (docs/dedup.md): every stored article's bands are
computed again from its stored signature, so nothing is re-shingled. Stories stored before this
migration are not re-linked; the next text linked to two of them merges them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types
from cleaner.fingerprint import band_keys, signature_from_bytes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHUNK = 1000


def upgrade() -> None:
    op.create_table(
        "story_merges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("into_story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merged_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["into_story_id"], ["stories.id"]),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("story_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_merges_into_story_id"), ["into_story_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_merges_story_id"), ["story_id"], unique=False)

    add_merged_into()
    op.create_index("ix_stories_merged_into", "stories", ["merged_into"], unique=False)
    reindex_bands()


def add_merged_into() -> None:
    """SQLite adds a column with its foreign key in place: a batch copy of `stories` would break the
    views that read it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE stories ADD COLUMN merged_into INTEGER "
            "CONSTRAINT fk_stories_merged_into REFERENCES stories (id)"
        )
        return
    op.add_column("stories", sa.Column("merged_into", sa.BigInteger(), nullable=True))
    op.create_foreign_key("fk_stories_merged_into", "stories", "stories", ["merged_into"], ["id"])


def reindex_bands() -> None:
    """Every article's bands again, from its stored signature, in chunks of article ids."""
    connection = op.get_bind()
    articles = sa.table("articles", sa.column("id"), sa.column("minhash"))
    bands = sa.table("minhash_bands", sa.column("band"), sa.column("bucket"), sa.column("article_id"))
    connection.execute(sa.delete(bands))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(articles.c.id, articles.c.minhash)
            .where(articles.c.id > last, articles.c.minhash.is_not(None))
            .order_by(articles.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        connection.execute(
            sa.insert(bands),
            [
                {"band": band, "bucket": bucket, "article_id": article_id}
                for article_id, signature in rows
                for band, bucket in enumerate(band_keys(signature_from_bytes(signature)))
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_stories_merged_into", table_name="stories")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE stories DROP COLUMN merged_into")
    else:
        op.drop_constraint("fk_stories_merged_into", "stories", type_="foreignkey")
        op.drop_column("stories", "merged_into")
    with op.batch_alter_table("story_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_merges_story_id"))
        batch_op.drop_index(batch_op.f("ix_story_merges_into_story_id"))
    op.drop_table("story_merges")
