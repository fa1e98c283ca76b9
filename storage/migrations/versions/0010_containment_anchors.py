"""containment anchors in the band index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:55:00.000000

Each article is also indexed by its anchors (its smallest shingle hashes, `band` = 64 in
`minhash_bands`), by which a copy that kept a page's furniture or lost its end is found
(storage/containment.py, docs/dedup.md). Stored articles get theirs from their stored text, in
chunks of article ids; nothing else changes, and stories stored before are not re-linked (the next
text linked to two of them merges them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cleaner.fingerprint import shingles
from storage.containment import ANCHOR_BAND, anchors

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_CHUNK = 500
_BANDS = sa.table("minhash_bands", sa.column("band"), sa.column("bucket"), sa.column("article_id"))


def upgrade() -> None:
    connection = op.get_bind()
    articles = sa.table("articles", sa.column("id"), sa.column("text"), sa.column("minhash"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(articles.c.id, articles.c.text)
            .where(articles.c.id > last, articles.c.minhash.is_not(None))
            .order_by(articles.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        anchored = [
            {"band": ANCHOR_BAND, "bucket": anchor, "article_id": article_id}
            for article_id, text in rows
            for anchor in anchors(shingles(text))
        ]
        if anchored:
            connection.execute(sa.insert(_BANDS), anchored)
        last = rows[-1].id


def downgrade() -> None:
    op.get_bind().execute(sa.delete(_BANDS).where(_BANDS.c.band == ANCHOR_BAND))
