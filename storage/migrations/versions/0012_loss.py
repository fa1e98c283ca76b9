"""pending_articles: how each URL was found, URLs refused on purpose, ad-hoc rows keyed by site

Three ways a pending URL was judged wrong on resume (storage/pending.py, docs/reliability.md):
- `found_by` (feed, sitemap, section): a section page's link asked for again counted as listed, so
  a page its own og:type says is a listing was stored as an article on resume, and dropped in the
  crawl that found it. Rows written before say `listing` (they were all treated as listed).
- `refused`, `refused_at`: a URL robots.txt refused, or that redirected off its source's sites,
  stayed pending and was asked for by every run for 7 days, in vain. It is now held back for a day
  (robots.txt's cache lifetime), then asked for again.
- `--url` crawls wrote every row under the source `adhoc`, so one ad-hoc crawl asked for another's
  URLs (another site). Rows are now keyed `adhoc:<site>`; rows written before are moved to the
  site of their URL.

Revision ID: 0012_loss
Revises: 0011
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

import storage.types

# The lead relinks the chain at merge time (this branch's revision id, after 0011_pending_articles).
revision = "0012_loss"
down_revision = "0011"
branch_labels = None
depends_on = None

_PENDING = sa.table("pending_articles", sa.column("source", sa.String), sa.column("url", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table("pending_articles") as table:
        table.add_column(
            sa.Column("found_by", sa.String(length=20), server_default="listing", nullable=False)
        )
        table.add_column(sa.Column("refused", sa.String(length=40), nullable=True))
        table.add_column(sa.Column("refused_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    urls = connection.execute(sa.select(_PENDING.c.url).where(_PENDING.c.source == "adhoc")).scalars().all()
    for url in urls:
        site = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        connection.execute(
            sa.update(_PENDING)
            .where(_PENDING.c.source == "adhoc", _PENDING.c.url == url)
            .values(source=f"adhoc:{site}"[:200])
        )


def downgrade() -> None:
    """Ad-hoc rows go back under `adhoc`; a URL kept under two sites keeps one row."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_PENDING.c.source, _PENDING.c.url).where(_PENDING.c.source.like("adhoc:%"))
    ).all()
    seen: set[str] = set()
    for source, url in rows:
        change = sa.delete(_PENDING) if url in seen else sa.update(_PENDING).values(source="adhoc")
        connection.execute(change.where(_PENDING.c.source == source, _PENDING.c.url == url))
        seen.add(url)
    with op.batch_alter_table("pending_articles") as table:
        table.drop_column("refused_at")
        table.drop_column("refused")
        table.drop_column("found_by")
