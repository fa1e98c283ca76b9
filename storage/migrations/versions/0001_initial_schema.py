"""initial schema: the corpus tables, the full-text index and the views

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:17:30.893624
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index("ix_crawl_runs_source_started", ["source", "started_at"], unique=False)

    op.create_table(
        "listing_states",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "representative_article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("first_seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("agency", sa.String(length=100), nullable=True),
        sa.Column("dateline", sa.String(length=300), nullable=True),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("modified_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("first_fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_last_fetched_at"), ["last_fetched_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_story_id"), ["story_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_text_hash"), ["text_hash"], unique=False)
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_stories_representative",
            "articles",
            ["representative_article_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "article_urls",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("url"),
    )
    with op.batch_alter_table("article_urls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_urls_article_id"), ["article_id"], unique=False)

    op.create_table(
        "pages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("final_url", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("body_zlib", sa.LargeBinary(), nullable=False),
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pages_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_pages_url_fetched", ["url", "fetched_at"], unique=False)

    op.create_table(
        "revisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fetched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["page_id"], ["pages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "number"),
    )
    create_search_index()
    create_views()


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    drop_search_index()
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stories_representative", type_="foreignkey")
    op.drop_table("revisions")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index("ix_pages_url_fetched")
        batch_op.drop_index(batch_op.f("ix_pages_article_id"))

    op.drop_table("pages")
    with op.batch_alter_table("article_urls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_urls_article_id"))

    op.drop_table("article_urls")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_text_hash"))
        batch_op.drop_index(batch_op.f("ix_articles_story_id"))
        batch_op.drop_index(batch_op.f("ix_articles_source"))
        batch_op.drop_index(batch_op.f("ix_articles_site"))
        batch_op.drop_index(batch_op.f("ix_articles_published_at"))
        batch_op.drop_index(batch_op.f("ix_articles_last_fetched_at"))
        batch_op.drop_index(batch_op.f("ix_articles_agency"))

    op.drop_table("articles")
    op.drop_table("stories")
    op.drop_table("listing_states")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_runs_source_started")

    op.drop_table("crawl_runs")


# Views for SQL users (documented in docs/schema.md); the same SQL on SQLite and PostgreSQL.
VIEWS = {
    "story_copies": """
        SELECT a.story_id, a.id AS article_id, a.site, a.source, a.url, a.title, a.agency,
               a.published_at, a.first_fetched_at,
               CASE WHEN s.representative_article_id = a.id THEN 1 ELSE 0 END AS is_representative,
               row_number() OVER (PARTITION BY a.story_id ORDER BY a.first_fetched_at, a.id) AS copy_number
        FROM articles a JOIN stories s ON s.id = a.story_id""",
    "story_sites": """
        SELECT story_id, count(*) AS copies, count(DISTINCT site) AS sites,
               min(published_at) AS first_published_at, min(first_fetched_at) AS first_fetched_at
        FROM articles GROUP BY story_id""",
    "source_daily": """
        SELECT source, date(published_at) AS day, count(*) AS articles, count(DISTINCT story_id) AS stories
        FROM articles WHERE published_at IS NOT NULL GROUP BY source, date(published_at)""",
    "articles_latest": """
        SELECT a.id, a.url, a.source, a.title, a.text, r.number AS revision, r.fetched_at AS revised_at
        FROM articles a JOIN revisions r ON r.article_id = a.id AND r.number = a.revision_count""",
}


def create_views() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def create_search_index() -> None:
    """SQLite: an FTS5 table fed by triggers. PostgreSQL: a generated tsvector column with a GIN index."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
            "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
            "END"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
            "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END"
        )
    else:
        op.execute(
            "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', text), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search_vector)")


def drop_search_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
