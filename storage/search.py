"""Full-text search over articles: SQLite FTS5 or PostgreSQL tsvector, behind one function.

The index is kept in step with `articles` by the database itself (FTS5 triggers; a generated
tsvector column with a GIN index on PostgreSQL), created by the migrations. `search_statement()`
builds the SQL apart from running it, so `wiredesk search --show-sql` can print it.

One search syntax on both backends (the web-search habits of websearch_to_tsquery, plus prefixes):
words (all must appear, stemmed), "a phrase", OR between two alternatives (binding tighter than the
implicit AND: `ferry storm OR gale` is ferry AND (storm OR gale)), -word or -"a phrase" to exclude,
and word* for a prefix. `parse_query()` reads it once; `fts5_query()` and `tsquery()` write it in
each backend's own language, from words that hold only letters and digits, so no user
text is ever read as either backend's operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Float, Integer, String, TextualSelect, bindparam, text

from storage.types import UTCDateTime

SNIPPET_WORDS = 24
# Letters and digits: what both backends' tokenizers keep of a word (an underscore separates).
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (its closing quote may be missing), or a run of anything else but spaces.
_TOKEN = re.compile(r'-?"[^"]*"?\*?|\S+')
OR = "OR"

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
FROM articles a, to_tsquery('english', :query) q
WHERE a.search_vector @@ q {filters}
ORDER BY rank LIMIT :limit
"""


class SearchSyntaxError(ValueError):
    """A search that cannot mean anything, e.g. only excluded words."""


@dataclass(frozen=True)
class Term:
    """One word or phrase (words in order); `prefix`: its last word may be the start of a word."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class Query:
    """Every group must match (a group: terms of which any one may match); no excluded term may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)


def parse_query(text: str) -> Query:
    """The user's search read once, for both backends (see the module's docstring)."""
    query = Query()
    joining = False
    for token in _TOKEN.findall(text):
        if token == OR:
            joining = bool(query.groups)
            continue
        negative = token.startswith("-") and len(token) > 1
        words = tuple(_WORD.findall(token))
        if not words:
            continue
        term = Term(words, prefix=token.endswith("*"))
        if negative:
            query.excluded.append(term)
        elif joining:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        joining = False
    if query.excluded and not query.groups:
        raise SearchSyntaxError("give at least one word to look for: -word only excludes")
    return query


def fts5_query(words: str) -> str:
    """The search in FTS5's query language; every word quoted, so none is read as an operator."""
    query = parse_query(words)

    def term(term: Term) -> str:
        return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")

    def group(terms: list[Term]) -> str:
        return term(terms[0]) if len(terms) == 1 else "(" + " OR ".join(map(term, terms)) + ")"

    matched = " AND ".join(map(group, query.groups))
    if not query.excluded:
        return matched
    return f"({matched})" + "".join(f" NOT {term(excluded)}" for excluded in query.excluded)


def tsquery(words: str) -> str:
    """The search as the text of a PostgreSQL `to_tsquery('english', ...)`: & | ! <-> and :*."""
    query = parse_query(words)

    def term(term: Term) -> str:
        lexemes = list(term.words)
        if term.prefix:
            lexemes[-1] += ":*"
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"

    def group(terms: list[Term]) -> str:
        return term(terms[0]) if len(terms) == 1 else "(" + " | ".join(map(term, terms)) + ")"

    return " & ".join([*map(group, query.groups), *(f"!{term(excluded)}" for excluded in query.excluded)])


@dataclass(frozen=True)
class Hit:
    """One search result, best first."""

    article_id: int
    source: str
    published_at: datetime | None
    title: str | None
    url: str
    snippet: str


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
    """Articles matching `words` (the syntax of the module's docstring), best first."""
    dialect = engine.dialect.name
    query = fts5_query(words) if dialect == "sqlite" else tsquery(words)
    if not query.strip():
        return []
    params: dict[str, Any] = {"query": query, "limit": limit, "source": source, "since": since}
    with engine.connect() as connection:
        rows = connection.execute(search_statement(dialect, since, source), params)
        return [Hit(row.id, row.source, row.published_at, row.title, row.url, row.snippet) for row in rows]
