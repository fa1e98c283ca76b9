"""The sources file: the packaged presets, user files, and selection by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import SourcesError, load_sources, select_sources


def test_packaged_sources_cover_the_wire_services() -> None:
    sources = load_sources()
    agencies = {source.agency for source in sources.values()}
    assert {"AP", "Reuters", "UPI", "AFP", "PA"} <= agencies
    for source in sources.values():
        assert source.start_urls and all(url.startswith("https://") for url in source.start_urls)
        assert source.domains


def test_user_file_and_selection(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[sources.a]\nstart_urls = ["https://a.example/rss"]\narticle_deny = ["/live/"]\n'
        '[sources.b]\nstart_urls = ["https://b.example/"]\ndefault = false\nschedule = "*/15 * * * *"\n'
        '[sources.c]\nstart_urls = ["https://c.example/"]\ndefault = false\nschedule = "every 2h"\n',
        encoding="utf-8",
    )
    sources = load_sources(path)
    assert [s.name for s in select_sources(sources, [])] == ["a"]
    assert [s.name for s in select_sources(sources, ["b", "a"])] == ["b", "a"]
    assert not sources["a"].is_article_url("https://a.example/live/blog-of-the-day-2024", guess=True)
    assert sources["a"].is_article_url("https://a.example/x", guess=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sources.a\n", "not valid TOML"),
        ("[sources.a]\nstart_urls = []\n", "start_urls is empty"),
        ('[sources.a]\nstart_urls = ["https://a"]\nfeeds = []\n', "unknown keys"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(tmp_path / "nope.toml")
    with pytest.raises(SourcesError, match="no source named zzz"):
        select_sources(load_sources(), ["zzz"])


def test_politeness_becomes_download_slots() -> None:
    reuters = load_sources()["reuters"]
    slots = reuters.download_slots()
    assert slots["reuters.com"] == {"concurrency": 2, "delay": 1.0} == slots["www.reuters.com"]
