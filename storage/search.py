"""Full-text search over articles: SQLite FTS5 or PostgreSQL tsvector, behind one function.

The index is kept in step with `articles` by the database itself (FTS5 triggers; a generated
tsvector column with a GIN index on PostgreSQL), created by the migrations. `search_statement()`
builds the SQL apart from running it, so `wiredesk search --show-sql` can print it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Float, Integer, String, TextualSelect, bindparam, text

from storage.types import UTCDateTime

SNIPPET_WORDS = 24
_WORD = re.compile(r"\w+", re.UNICODE)

_SQLITE = """
SELECT a.id, a.source, a.published_at, a.title, a.url,
       snippet(articles_fts, 1, '[', ']', '…', {words}) AS snippet,
       bm25(articles_fts, 5.0, 1.0) AS rank
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH :query {filters}
ORDER BY rank LIMIT :limit
"""

_POSTGRESQL = """
SELECT a.id, a.source, a.published_at, a.title, a.url,
       ts_headline('english', a.text, q, 'MaxWords={words}, MinWords=8, StartSel=[, StopSel=]') AS snippet,
       -ts_rank_cd(a.search_vector, q) AS rank
FROM articles a, websearch_to_tsquery('english', :query) q
WHERE a.search_vector @@ q {filters}
ORDER BY rank LIMIT :limit
"""


@dataclass(frozen=True)
class Hit:
    """One search result, best first."""

    article_id: int
    source: str
    published_at: datetime | None
    title: str | None
    url: str
    snippet: str


def fts5_query(words: str) -> str:
    """User words as an FTS5 query: every word must appear; quoting keeps FTS5 syntax out of it."""
    return " ".join(f'"{word}"' for word in _WORD.findall(words))


def search_statement(dialect: str, since: datetime | None = None, source: str | None = None) -> TextualSelect:
    """The search SQL for `dialect` ("sqlite" or "postgresql") with the chosen filters."""
    filters = ""
    if since is not None:
        filters += " AND a.published_at >= :since"
    if source is not None:
        filters += " AND a.source = :source"
    template = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    statement = text(template.format(words=SNIPPET_WORDS, filters=filters))
    if since is not None:
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    return statement.columns(
        id=Integer(),
        source=String(),
        published_at=UTCDateTime(),
        title=String(),
        url=String(),
        snippet=String(),
        rank=Float(),
    )


def search(
    engine: Engine, words: str, since: datetime | None = None, source: str | None = None, limit: int = 20
) -> list[Hit]:
    """Articles matching all of `words`, best first."""
    dialect = engine.dialect.name
    query = fts5_query(words) if dialect == "sqlite" else words
    if not query.strip():
        return []
    params: dict[str, Any] = {"query": query, "limit": limit, "source": source, "since": since}
    with engine.connect() as connection:
        rows = connection.execute(search_statement(dialect, since, source), params)
        return [Hit(row.id, row.source, row.published_at, row.title, row.url, row.snippet) for row in rows]
