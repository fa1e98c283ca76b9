"""the band index without its foreign key; a trigger on articles drops a deleted article's rows

Revision ID: 0013_pgband
Revises: 0012_loss
Create Date: 2026-12-03 13:55:00

`minhash_bands.article_id` referenced `articles` with ON DELETE CASCADE. The reference was checked
by a trigger per inserted row: 74 per stored article (42 LSH bands, 32 containment anchors), a
third of what the rows cost PostgreSQL to insert (docs/performance.md, issue 20, sixth session).
Only storage writes these rows, for articles written in the same transaction, so the check never
failed; what the key also did, dropping the rows of a deleted article, an AFTER DELETE trigger on
`articles` now does (one statement per DELETE on PostgreSQL, one per row on SQLite), at no cost
when storing. No row moves; the downgrade drops rows whose article is gone, then adds the key back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The lead relinks the chain at merge time (this branch's revision id, after 0012_loss).
revision = "0013_pgband"
down_revision = "0012_loss"
branch_labels = None
depends_on = None

_KEY = "minhash_bands_article_id_fkey"
# SQLite cannot drop a constraint: the table is made again from this definition (the key has no
# name there to drop it by).
_SQLITE_BANDS = sa.Table(
    "minhash_bands",
    sa.MetaData(),
    sa.Column("band", sa.SmallInteger(), nullable=False),
    sa.Column("bucket", sa.BigInteger(), nullable=False),
    sa.Column("article_id", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("band", "bucket", "article_id"),
    sa.Index("ix_minhash_bands_article_id", "article_id"),
)
_PG_FUNCTION = """
CREATE FUNCTION drop_minhash_bands() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'DELETE FROM %I.minhash_bands WHERE article_id IN (SELECT id FROM deleted_articles)', TG_TABLE_SCHEMA
    );
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER articles_drop_bands AFTER DELETE ON articles REFERENCING OLD TABLE AS deleted_articles "
    "FOR EACH STATEMENT EXECUTE FUNCTION drop_minhash_bands()"
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER articles_drop_bands AFTER DELETE ON articles "
    "BEGIN DELETE FROM minhash_bands WHERE article_id = OLD.id; END"
)
_ORPHANS = (
    "DELETE FROM minhash_bands WHERE NOT EXISTS "
    "(SELECT 1 FROM articles WHERE articles.id = minhash_bands.article_id)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        keys = sa.inspect(op.get_bind()).get_foreign_keys("minhash_bands")
        for key in keys:
            op.drop_constraint(key["name"], "minhash_bands", type_="foreignkey")
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
        return
    with op.batch_alter_table("minhash_bands", copy_from=_SQLITE_BANDS, recreate="always"):
        pass
    op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(f"DROP TRIGGER articles_drop_bands{' ON articles' if postgresql else ''}")
    if postgresql:
        op.execute("DROP FUNCTION drop_minhash_bands()")
    op.execute(_ORPHANS)
    if postgresql:
        op.create_foreign_key(_KEY, "minhash_bands", "articles", ["article_id"], ["id"], ondelete="CASCADE")
        return
    with op.batch_alter_table("minhash_bands", copy_from=_SQLITE_BANDS) as table:
        table.create_foreign_key(_KEY, "articles", ["article_id"], ["id"], ondelete="CASCADE")
