"""`wiredesk serve`: datasette on the SQLite corpus, set up for reading news rather than tables.

datasette (the optional extra `serve`) is imported only here. What wiredesk adds is metadata:
full-text search on `articles` (the FTS5 table of migration 0008), the MinHash signature and the
raw bodies hidden (bytes nobody reads in a browser, and the bulk of every row), long text cut in
the HTML tables, stories labelled by title so each article links to its story and each story page
lists its copies, and the example queries of docs/schema.md as canned queries (a test keeps the
two lists the same). datasette has no metadata for hiding a column, so a small ASGI wrapper adds
`_nocol=` to a table's URL unless the reader chose columns (`?_col=minhash` still shows it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

PLUGIN = "wiredesk"
# Characters of a cell shown in an HTML table before "…"; the JSON and CSV keep every character.
TRUNCATE_CELLS = 300
HIDDEN_COLUMNS = {"articles": ["minhash"], "pages": ["body_zlib"]}

# (name, title, SQL): the example queries of docs/schema.md, in its order, as datasette's canned queries.
SCHEMA_QUERIES: list[tuple[str, str, str]] = [
    (
        "articles_per_source",
        "Articles per source",
        "SELECT source, count(*) AS articles FROM articles GROUP BY source ORDER BY articles DESC",
    ),
    (
        "newest_articles",
        "The twenty newest articles",
        "SELECT published_at, source, title FROM articles ORDER BY published_at DESC LIMIT 20",
    ),
    (
        "stories_on_several_sites",
        "Which sites carried each story carried by more than one site",
        "SELECT story_id, site, url, copy_number FROM story_copies\n"
        "WHERE story_id IN (SELECT story_id FROM story_sites WHERE sites > 1) ORDER BY story_id, copy_number",
    ),
    (
        "first_copies",
        "Which copy of each story came first",
        "SELECT story_id, site, url, first_fetched_at FROM story_copies "
        "WHERE copy_number = 1 ORDER BY story_id",
    ),
    (
        "stories_per_source_per_day",
        "How many distinct stories each source published, per day",
        "SELECT source, day, stories FROM source_daily ORDER BY day, source",
    ),
    (
        "representative_copies",
        "Each story with its representative copy",
        "SELECT s.id, s.first_published_at, a.site, a.title\n"
        "FROM stories s JOIN articles a ON a.id = s.representative_article_id ORDER BY s.id",
    ),
    (
        "latest_revisions",
        "The latest revision of every article",
        "SELECT r.article_id, r.number, r.fetched_at, substr(r.text, 1, 80) AS start\n"
        "FROM revisions r\n"
        "WHERE r.number = (SELECT max(number) FROM revisions WHERE article_id = r.article_id)",
    ),
    (
        "revised_articles",
        "Articles whose text changed after the first fetch, with how often",
        "SELECT url, revision_count, first_fetched_at, last_fetched_at FROM articles "
        "WHERE revision_count > 1",
    ),
    (
        "article_urls",
        "Every URL that led to each article",
        "SELECT a.url AS canonical, u.url AS seen_as, u.first_seen_at\n"
        "FROM article_urls u JOIN articles a ON a.id = u.article_id ORDER BY a.id",
    ),
    (
        "articles_by_agency",
        "Articles by agency",
        "SELECT coalesce(agency, '(none)') AS agency, count(*) AS articles FROM articles GROUP BY agency",
    ),
    (
        "raw_pages_per_source",
        "Raw pages kept, and their compressed size, per source",
        "SELECT source, count(*) AS pages, sum(length(body_zlib)) AS bytes FROM pages GROUP BY source",
    ),
    (
        "word_in_text",
        "A word in the text",
        "SELECT source, title FROM articles WHERE lower(text) LIKE '%ferry%'",
    ),
    (
        "stories_on_most_sites",
        "Stories carried by the most sites",
        "SELECT story_id, sites, copies, first_published_at FROM story_sites "
        "ORDER BY sites DESC, story_id LIMIT 20",
    ),
    (
        "live_stories",
        "Live stories (not merged into another), with their copies",
        "SELECT s.id, s.title, count(a.id) AS copies\n"
        "FROM stories s JOIN articles a ON a.story_id = s.id\n"
        "WHERE s.merged_into IS NULL GROUP BY s.id, s.title ORDER BY copies DESC",
    ),
]
# A story and its copies, one story at a time (the story's own page lists them too, through story_id).
STORY_COPIES = (
    "SELECT copy_number, site, source, title, url, published_at, first_fetched_at, is_representative\n"
    "FROM story_copies WHERE story_id = :story_id ORDER BY copy_number"
)


def metadata(database: str) -> dict[str, Any]:
    """datasette metadata for the corpus opened under the name `database` (the file's stem)."""
    tables: dict[str, Any] = {
        "articles": {
            "fts_table": "articles_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort_desc": "published_at",
            "description": "One row per article URL, its current clean text. Search: words, "
            '"phrases", OR, NOT, prefix*.',
        },
        "stories": {"label_column": "title", "description": "One row per story; its page lists its copies."},
        "articles_fts": {"hidden": True},
        "minhash_bands": {"hidden": True},
    }
    for table, columns in HIDDEN_COLUMNS.items():
        tables.setdefault(table, {})["plugins"] = {PLUGIN: {"hidden_columns": columns}}
    queries: dict[str, Any] = {name: {"title": title, "sql": sql} for name, title, sql in SCHEMA_QUERIES}
    queries["story_with_copies"] = {"title": "A story with its copies", "sql": STORY_COPIES}
    return {
        "title": "wiredesk corpus",
        "description": "Wire news stories, cleaned and deduplicated (docs/schema.md).",
        "databases": {database: {"tables": tables, "queries": queries}},
    }


def corpus_datasette(path: Path) -> Any:
    """A Datasette on the corpus file, with wiredesk's metadata and the column-hiding wrapper."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if not pm.is_registered(HiddenColumns):
        pm.register(HiddenColumns, name=PLUGIN)
    return Datasette(
        [str(path)],
        metadata=metadata(path.stem),
        settings={"truncate_cells_html": TRUNCATE_CELLS},
    )


def serve(path: Path, host: str, port: int) -> None:
    """Serve the corpus until Ctrl-C, as `datasette serve` would."""
    import uvicorn

    uvicorn.run(corpus_datasette(path).app(), host=host, port=port, log_level="warning")


App = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class HiddenColumns:
    """The datasette plugin (registered by `corpus_datasette`) that hides the configured columns."""

    @staticmethod
    @hookimpl
    def asgi_wrapper(datasette: Any) -> Callable[[App], App]:
        def wrap(app: App) -> App:
            async def without_hidden_columns(scope: dict[str, Any], receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    scope = _hide_columns(datasette, scope)
                await app(scope, receive, send)

            return without_hidden_columns

        return wrap


def _hide_columns(datasette: Any, scope: dict[str, Any]) -> dict[str, Any]:
    """The request with `_nocol=` for each hidden column of a table page, unless it picks columns."""
    parts = scope["path"].strip("/").split("/")
    if len(parts) != 2:
        return scope
    database, table = parts[0], parts[1].removesuffix(".json").removesuffix(".csv")
    config = datasette.plugin_config(PLUGIN, database=database, table=table, fallback=False) or {}
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if not config.get("hidden_columns") or any(key in ("_col", "_nocol") for key, _ in query):
        return scope
    query += [("_nocol", column) for column in config["hidden_columns"]]
    return {**scope, "query_string": urlencode(query).encode("latin-1")}
