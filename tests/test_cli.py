"""The `wiredesk` command run for real, in subprocesses."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import run_wiredesk

from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import ROMAN_ROAD


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    html = pages.publisher_article(ROMAN_ROAD, "https://publisher.example/news/roman-road/", [])
    path.write_text(html, encoding="utf-8")
    return path


def test_clean_json_prints_the_article(page_file: Path) -> None:
    article = json.loads(run_wiredesk("clean", str(page_file), "--json").stdout)
    assert article["title"] == ROMAN_ROAD.headline
    assert ROMAN_ROAD.paragraphs[0] in article["text"]
    assert ROMAN_ROAD.paragraphs[-1] in article["text"]
    assert article["found"] is True


def test_clean_reads_standard_input(page_file: Path) -> None:
    result = run_wiredesk("clean", "-", input=page_file.read_text(encoding="utf-8"))
    assert result.stdout.startswith(ROMAN_ROAD.headline)


def test_clean_explain_shows_kept_and_removed(page_file: Path) -> None:
    result = run_wiredesk("clean", str(page_file), "--explain")
    assert "kept" in result.stdout and "removed" in result.stdout
    assert ROMAN_ROAD.paragraphs[1] in result.stdout.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clean", "/nonexistent/page.html"], "cannot read /nonexistent/page.html"),
        (["sql", "DELETE FROM articles", "--db", "sqlite:///{db}"], "DELETE is refused"),
        (["sql", "SELECT 1", "--db", "sqlite:///{missing}"], "run a crawl first"),
        (["sql", "SELECT 1", "--db", "postgresql+psycopg://u:secret@127.0.0.1:1/x"], "cannot reach"),
        (["crawl", "--url", "file:///etc/passwd", "--db", "sqlite:///{db}"], "only http and https"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "c.db"
    run_wiredesk("sql", "SELECT 1", "--db", f"sqlite:///{db}", check=False)
    _create(db)
    args = [a.format(db=db, missing=tmp_path / "missing.db") for a in args]
    result = run_wiredesk(*args, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "secret" not in result.stderr


def _create(db: Path) -> None:
    from storage import make_engine
    from storage.schema import upgrade

    upgrade(make_engine(f"sqlite:///{db}"))


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_sql_formats(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "c.db"
    _create(db)
    result = run_wiredesk("sql", "SELECT 1 AS one, 'a' AS letter", "--db", f"sqlite:///{db}", "--format", fmt)
    if fmt == "json":
        assert json.loads(result.stdout) == [{"one": 1, "letter": "a"}]
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(result.stdout))) == [["one", "letter"], ["1", "a"]]
    else:
        assert "one" in result.stdout and "letter" in result.stdout


def test_db_url_from_the_environment(tmp_path: Path) -> None:
    import os

    db = tmp_path / "c.db"
    _create(db)
    env = {**os.environ, "WIREDESK_DB": f"sqlite:///{db}"}
    result = run_wiredesk("sql", "SELECT count(*) AS n FROM articles", "--format", "json", env=env)
    assert json.loads(result.stdout) == [{"n": 0}]


def test_sources_lists_the_presets() -> None:
    result = run_wiredesk("sources")
    assert "apnews" in result.stdout and "reuters" in result.stdout


def test_demo_crawls_the_bundled_newsroom(tmp_path: Path) -> None:
    result = run_wiredesk("demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}")
    assert "crawl summary" in result.stderr
    assert "Storm closes ports along the Adriatic coast" in result.stdout


@pytest.mark.parametrize("command", ["crawl", "sql", "clean", "sources", "demo"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    assert "Example:" in run_wiredesk(command, "--help").stdout


def test_sources_check_reports_each_start_url(newsroom: Newsroom, tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        newsroom.sources_toml() + '\n[sources.gone]\nstart_urls = ["http://127.0.0.1:9/x"]\n', "utf-8"
    )
    result = run_wiredesk("sources", "--check", "--sources", str(path), check=False)
    assert result.returncode == 1
    assert "200 application/rss+xml" in result.stdout
    assert "unreachable" in result.stdout
