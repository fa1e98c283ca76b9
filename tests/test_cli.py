"""The `wiredesk` command, run in-process through click's CliRunner (no Scrapy import per test).

Only what needs a real process runs in one: a crawl (Twisted's reactor starts once per process)
and the check that a command which does not crawl starts without importing Scrapy.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import COMMAND_DEADLINE, REPO, run_wiredesk

from crawler.cli import cli
from crawler.clidoc import reference
from crawler.commands.common import USER_ERRORS
from crawler.commands.reading import EXPORT_FORMATS, WARC
from crawler.newsroom import Newsroom, pages
from crawler.newsroom.stories import ROMAN_ROAD
from storage import make_engine
from storage.export import FORMATS
from storage.runs import RunFigures, finish_run, start_run
from storage.schema import upgrade

MARKUP = "[ferries] and [red]x[/red] [update]"
# What a command that does not crawl must not import: Scrapy, the crawl's modules, the cleaner's extractor.
HEAVY = ("scrapy", "twisted", "crawler.run", "crawler.spiders", "crawler.pipelines", "trafilatura")


def wiredesk(*args: str, code: int = 0, **kwargs: object) -> Result:
    """`wiredesk ARGS` in this process; asserts its exit status."""
    result = CliRunner().invoke(cli, list(args), **kwargs)  # type: ignore[arg-type]
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    html = pages.publisher_article(ROMAN_ROAD, "https://publisher.example/news/roman-road/", [])
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_clean_json_prints_the_article(page_file: Path) -> None:
    article = json.loads(wiredesk("clean", str(page_file), "--json").stdout)
    assert article["title"] == ROMAN_ROAD.headline
    assert ROMAN_ROAD.paragraphs[0] in article["text"]
    assert ROMAN_ROAD.paragraphs[-1] in article["text"]
    assert article["found"] is True


def test_clean_reads_standard_input(page_file: Path) -> None:
    result = wiredesk("clean", "-", input=page_file.read_bytes())
    assert result.stdout.startswith(ROMAN_ROAD.headline)


def test_clean_explain_shows_kept_and_removed_and_never_reads_markup(tmp_path: Path) -> None:
    story = replace(ROMAN_ROAD, headline=f"{MARKUP} {ROMAN_ROAD.headline}")
    page = tmp_path / "page.html"
    page.write_text(pages.publisher_article(story, "https://publisher.example/news/r/", []), "utf-8")
    result = wiredesk("clean", str(page), "--explain")
    assert "kept" in result.stdout and "removed" in result.stdout
    assert ROMAN_ROAD.paragraphs[1] in result.stdout.replace("\n", " ")
    assert MARKUP in result.stdout


def test_clean_explain_shows_the_media_fields_of_clean_json(tmp_path: Path) -> None:
    """--explain shows what --json gives beyond the text: images with captions, keywords, the
    paywall flag, whether the language was detected (the page declares none)."""
    head = (
        '<meta property="og:image" content="https://cdn.example/card.jpg">'
        '<meta name="keywords" content="ferries, storms">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}</script>'
    )
    figure = '<figure><img src="/media/lead.jpg"><figcaption>The ferry at [dawn].</figcaption></figure>'
    prose = "The ferry crossed the estuary on Monday despite the storm, the captain told reporters. " * 4
    page = tmp_path / "media.html"
    page.write_text(
        f"<html><head><title>Ferry crosses</title>{head}</head><body><article><h1>Ferry crosses</h1>"
        f"{figure}<p>{prose}</p></article></body></html>",
        "utf-8",
    )
    url = ["--url", "https://post.example/2026/12/ferry.html"]
    article = json.loads(wiredesk("clean", str(page), *url, "--json").stdout)
    explained = wiredesk("clean", str(page), *url, "--explain").stdout
    assert article["language_detected"] is True and article["free_access"] is False
    assert "language_detected: yes" in explained and "free_access: no" in explained
    assert f"top_image: {article['top_image']}" in explained
    assert f"keywords: {', '.join(article['keywords'])}" in explained
    for image in article["images"]:
        assert f"image: {image['url']} ({image['caption']})" in explained


def test_clean_without_an_article_exits_1_in_every_form(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8")
    plain = wiredesk("clean", str(page), code=1)
    as_json = wiredesk("clean", str(page), "--json", code=1)
    assert json.loads(as_json.stdout)["found"] is False
    assert plain.stderr.startswith("Error: no article") and as_json.stderr.startswith("Error: no article")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clean", "/nonexistent/page.html"], "cannot read /nonexistent/page.html"),
        (["sql", "DELETE FROM articles", "--db", "{db}"], "DELETE is refused"),
        (["sql", "SELECT 1", "--db", "sqlite:///{tmp}/missing.db"], "run a crawl first"),
        (["sql", "SELECT 1", "--db", "postgresql+psycopg://u:secret@127.0.0.1:1/x"], "cannot reach"),
        # the spelling most people type, and hosting services hand out: PostgreSQL through psycopg 3
        (["sql", "SELECT 1", "--db", "postgres://u:secret@127.0.0.1:1/x"], "cannot reach postgresql+psycopg"),
        (["sql", "SELECT 1", "--db", "mysql://u:secret@127.0.0.1/x"], "mysql is not supported"),
        (["crawl", "--url", "file:///etc/passwd", "--db", "{db}"], "only http and https"),
        (["export", "-o", "{tmp}/missing/dir/x.csv", "--db", "{db}"], "no directory"),
        (["export", "-o", "{tmp}/corpus.xlsx", "--db", "{db}"], "cannot tell the format of"),
        (["export", "-o", "-", "--format", "parquet", "--db", "{db}"], "write it to a file"),
        (["search", "--db", "{db}", "--", "-storm"], "-word only excludes"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, corpus: str, args: list[str], message: str) -> None:
    args = [a.format(db=corpus, tmp=tmp_path) for a in args]
    result = wiredesk(*args, code=1)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert message in result.stderr
    assert "secret" not in result.stderr
    assert not (tmp_path / "corpus.xlsx").exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('start_urls = "http://127.0.0.2/feed.xml"', "start_urls must be a list of strings"),
        ('start_urls = ["http://127.0.0.2/f"]\ndefault = "yes"', "default must be a bool, not 'yes'"),
        ('start_urls = ["http://127.0.0.2/f"]\narticle_deny = ["(x"]', "article_deny '(x' is not a regex"),
        ('start_urls = ["http://127.0.0.2/f"]\nschedule = "every week"', "schedule 'every week': use"),
        ('start_urls = ["http://127.0.0.2/f"]\nschedule = "61 * * * *"', "schedule '61 * * * *': use"),
    ],
)
def test_a_sources_file_is_checked_key_by_key(tmp_path: Path, entry: str, message: str) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(f"[sources.one]\n{entry}\n", "utf-8")
    result = wiredesk("sources", "--sources", str(sources), code=1)
    assert result.stderr == f"Error: source 'one': {message}" + result.stderr.split(message, 1)[1]
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["json", "nl", "csv", "tsv", "table"])
def test_sql_formats_keep_text_as_it_is(corpus: str, fmt: str) -> None:
    query = f"SELECT 1 AS one, '{MARKUP}' AS text"
    by_option = wiredesk("sql", query, "--db", corpus, "--format", fmt).stdout
    assert wiredesk("sql", query, "--db", corpus, f"--{fmt}").stdout == by_option
    if fmt == "json":
        assert json.loads(by_option) == [{"one": 1, "text": MARKUP}]
    elif fmt == "nl":
        assert [json.loads(line) for line in by_option.splitlines()] == [{"one": 1, "text": MARKUP}]
    elif fmt in ("csv", "tsv"):
        rows = csv.reader(io.StringIO(by_option), delimiter="," if fmt == "csv" else "\t")
        assert list(rows) == [["one", "text"], ["1", MARKUP]]
    else:
        assert MARKUP in by_option
        assert not set(by_option) & set("┏━┃│└─"), "box drawing in a pipe"


def test_sql_in_a_pipe_defaults_to_tab_separated(corpus: str) -> None:
    assert wiredesk("sql", "SELECT 1 AS a, 2 AS b", "--db", corpus).stdout == "a\tb\n1\t2\n"


def test_db_url_from_the_environment(corpus: str) -> None:
    result = wiredesk("sql", "SELECT count(*) AS n FROM articles", "--json", env={"WIREDESK_DB": corpus})
    assert json.loads(result.stdout) == [{"n": 0}]


def test_export_to_stdout_and_by_extension(corpus: str, tmp_path: Path) -> None:
    assert wiredesk("export", "-o", "-", "--db", corpus).stdout == ""
    assert not Path("-").exists()
    wiredesk("export", "-o", str(tmp_path / "a.csv"), "--db", corpus)
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("id,url,source")
    assert set(EXPORT_FORMATS) == {*FORMATS, WARC}


def test_runs_json_has_objects_not_strings(corpus: str) -> None:
    engine = make_engine(corpus)
    run = start_run(engine, "wire")
    finish_run(engine, run, "finished", RunFigures(fetched=3, new=2, errors={"http_404": 1}))
    engine.dispose()
    (row,) = json.loads(wiredesk("runs", "--db", corpus, "--json").stdout)
    assert row["errors"] == {"http_404": 1} and row["source"] == "wire"
    tsv = csv.DictReader(io.StringIO(wiredesk("runs", "--db", corpus, "--tsv").stdout), delimiter="\t")
    assert json.loads(next(tsv)["errors"]) == {"http_404": 1}


def test_status_says_when_no_daemon_runs(corpus: str) -> None:
    result = wiredesk("status", "--db", corpus, "--json")
    assert json.loads(result.stdout) == []
    assert "no daemon is running" in result.stderr


def test_sources_lists_the_presets_as_json() -> None:
    listed = {row["name"]: row for row in json.loads(wiredesk("sources", "--json").stdout)}
    assert {"apnews", "reuters"} <= set(listed)
    assert isinstance(listed["apnews"]["start_urls"], list)


def test_sources_check_reports_each_start_url(newsroom: Newsroom, tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        newsroom.sources_toml() + '\n[sources.gone]\nstart_urls = ["http://127.0.0.1:9/x"]\n', "utf-8"
    )
    result = wiredesk("sources", "--check", "--sources", str(path), "--json", code=1)
    statuses = {row["url"]: row["status"] for row in json.loads(result.stdout)}
    assert "200 application/rss+xml" in statuses.values()
    assert "unreachable" in statuses["http://127.0.0.1:9/x"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(cli), ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    assert "Example:" in wiredesk(*command, "--help").stdout


def test_the_error_handler_names_real_exception_classes() -> None:
    """USER_ERRORS names classes by "module.Class" (nothing imported to match them): a renamed or
    moved class would silently become a traceback again."""
    for name in USER_ERRORS:
        module, _, class_name = name.rpartition(".")
        found = getattr(importlib.import_module(module), class_name, None)
        assert isinstance(found, type) and issubclass(found, Exception), name
        assert f"{found.__module__}.{found.__qualname__}" == name


def test_the_command_reference_is_generated_from_help() -> None:
    """docs/cli-reference.md is what `python -m crawler.clidoc` prints: regenerate it after a change."""
    assert (REPO / "docs" / "cli-reference.md").read_text(encoding="utf-8") == reference()


def test_demo_help_names_the_database_it_uses() -> None:
    assert "a fresh SQLite file" in wiredesk("demo", "--help").stdout


def test_commands_that_do_not_crawl_start_without_scrapy(corpus: str) -> None:
    """`wiredesk sql` must start at once: no Scrapy, spiders, pipelines or cleaner loaded (issue 22);
    nor does any command's --help (the commands import what they need when they run)."""
    helps = [[*command, "--help"] for command in _commands(cli)]
    script = (
        "import json, sys\n"
        "from crawler.cli import cli\n"
        "for args in [*json.loads(sys.argv[2]), ['sql', 'SELECT 1', '--db', sys.argv[1]]]:\n"
        "    try:\n"
        "        cli(args, prog_name='wiredesk')\n"
        "    except SystemExit as end:\n"
        "        assert not end.code, (args, end.code)\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, corpus, json.dumps(helps)],
        capture_output=True,
        text=True,
        timeout=COMMAND_DEADLINE,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_demo_crawls_the_bundled_newsroom(tmp_path: Path) -> None:
    result = run_wiredesk("demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}")
    assert "crawl summary" in result.stderr
    assert "Storm closes ports along the Adriatic coast" in result.stdout


def test_scrapy_feed_export_writes_the_items(newsroom: Newsroom, tmp_path: Path) -> None:
    """For people who live in Scrapy: `scrapy crawl news -O items.jsonl` serialises every item."""
    scrapy = str(Path(sys.executable).parent / "scrapy")
    url = newsroom.sources()[0].start_urls[0]
    out = tmp_path / "items.jsonl"
    settings = [f"WIREDESK_DB=sqlite:///{tmp_path / 'c.db'}", "AUTOTHROTTLE_ENABLED=False", "LOG_LEVEL=ERROR"]
    command = [scrapy, "crawl", "news", "-a", f"url={url}", "-O", str(out)]
    result = subprocess.run(
        command + [arg for setting in settings for arg in ("-s", setting)],
        capture_output=True,
        text=True,
        timeout=COMMAND_DEADLINE,
        cwd=REPO,
    )
    assert result.returncode == 0 and "Error" not in result.stderr, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert items and all(item["article"]["text"] and isinstance(item["body"], int) for item in items)
