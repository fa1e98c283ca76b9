"""Export and import round trips that lose articles.

`wiredesk import` knows a local file by its path and skips one it finished; `export --format warc`
wrote every export under the same names (`corpus-00000.warc.gz`), over the last one. So the usual
round trip, export then import into a mirror, again and again, imported the first export only:
every later one overwrote the file the mirror had recorded as done, and was skipped as such.
"""

from __future__ import annotations

from pathlib import Path

from conftest import FAST, run_wiredesk
from sqlalchemy import select

from crawler.newsroom import Newsroom
from storage import make_engine
from storage.models import Article


def _articles(db_url: str) -> set[tuple[str, str]]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Article.url, Article.text)).all()
    engine.dispose()
    return {(row.url, row.text) for row in rows}


def _export_and_import(corpus: str, mirror: str, output: Path) -> None:
    run_wiredesk("export", "--format", "warc", "--db", corpus, "-o", str(output))
    files = sorted(map(str, output.parent.glob("corpus-*.warc.gz")))
    run_wiredesk("import", *files, "--db", mirror, "--workers", "1")


def test_each_warc_export_imports_into_a_mirror(newsroom: Newsroom, sources_file: Path, tmp_path: Path) -> None:
    corpus, mirror = f"sqlite:///{tmp_path / 'corpus.db'}", f"sqlite:///{tmp_path / 'mirror.db'}"
    exports = tmp_path / "exports"
    exports.mkdir()
    crawl = ("crawl", "--sources", str(sources_file), "--all", "--db", corpus, *FAST)
    run_wiredesk(*crawl, "--max-articles", "3")
    _export_and_import(corpus, mirror, exports / "corpus.warc.gz")
    first = _articles(corpus)
    assert _articles(mirror) == first

    run_wiredesk(*crawl)
    _export_and_import(corpus, mirror, exports / "corpus.warc.gz")
    assert len(_articles(corpus)) > len(first)
    assert _articles(mirror) == _articles(corpus)
    assert len(list(exports.glob("corpus-*.warc.gz"))) == 2, "the first export is kept"
