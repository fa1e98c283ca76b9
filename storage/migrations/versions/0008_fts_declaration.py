"""the SQLite full-text table declared as datasette and sqlite-utils detect it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:20:00

Both tools find a table's FTS index by the text of its declaration, looking for
`content="articles"` or `content=[articles]`; migration 0001 wrote `content='articles'`, which
neither matches, so datasette showed no search box and `sqlite-utils search` refused the table.
The FTS5 table is created again with the same columns, tokenizer and triggers, declared with
double quotes, and rebuilt from `articles` (an external-content index: the text itself stays in
`articles`). PostgreSQL's tsvector column is not concerned.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def upgrade() -> None:
    _recreate('content="articles", content_rowid="id"')


def downgrade() -> None:
    _recreate("content='articles', content_rowid='id'")


def _recreate(content: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS articles_fts")
    op.execute(f"CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, {content}, {_TOKENIZE})")
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
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
