"""Named sources: where each publisher's articles are found and how to crawl it, read from TOML.

A default `sources.toml` ships with the package; `--sources FILE` (or $WIREDESK_SOURCES) replaces it.
"""

from __future__ import annotations

import os
import re
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crawler.settings_registry import BY_NAME, user_agent
from crawler.urlpolicy import start_url_problem
from storage.urls import site_of

SOURCES_ENV = "WIREDESK_SOURCES"


class SourcesError(ValueError):
    """The sources file is missing, malformed, or names no such source."""


@dataclass(frozen=True)
class Source:
    """One publisher: its start URLs (feeds, sitemaps, section pages; the kind is detected) and rules."""

    name: str
    start_urls: tuple[str, ...]
    title: str = ""
    agency: str | None = None
    allowed_domains: tuple[str, ...] = ()
    article_allow: tuple[str, ...] = ()
    """Regexes: when given, a link on a section page is an article when it matches one, whatever
    its shape (instead of the guess from the URL's shape). Feed and sitemap entries need not match."""
    article_deny: tuple[str, ...] = ()
    """Regexes: URLs matching one are never fetched as articles, wherever they are listed."""
    robots_sitemaps: bool = False
    """Also crawl the sitemaps that the sites' robots.txt lists."""
    revisit_hours: float | None = None
    """Refetch stored articles fetched longer ago than this (None: the crawl's WIREDESK_REVISIT_HOURS)."""
    schedule: str | None = None
    """When the daemon crawls it: "every 30m" (s, m, h, d) or a cron expression "*/15 * * * *"."""
    jitter_seconds: int = 0
    """Random delay added to each scheduled run, so sources sharing a schedule do not start at once."""
    default: bool = True
    """Crawled by a bare `wiredesk crawl` (and so by `make crawl`)."""
    checked: bool = False
    """Whether the start URLs were checked against the live site when the entry was written."""
    notes: str = ""
    politeness: dict[str, float] = field(default_factory=dict)
    """Per-site download settings for this source's domains: `concurrency` (requests at once) and
    `delay` (seconds between requests), on top of AutoThrottle. Scrapy's DOWNLOAD_SLOTS."""

    def download_slots(self) -> dict[str, dict[str, float]]:
        """This source's `politeness` as Scrapy DOWNLOAD_SLOTS entries, one per host."""
        if not self.politeness:
            return {}
        return {host: dict(self.politeness) for domain in self.domains for host in (domain, f"www.{domain}")}

    @property
    def domains(self) -> tuple[str, ...]:
        """The sites this source may fetch from: as configured, else the hosts of its start URLs."""
        return self.allowed_domains or tuple(dict.fromkeys(site_of(url) for url in self.start_urls))

    def denies(self, url: str) -> bool:
        """`url` matches one of the source's `article_deny` patterns."""
        return any(re.search(pattern, url) for pattern in self.article_deny)

    def allows(self, url: str) -> bool:
        """`url` matches one of the source's `article_allow` patterns."""
        return any(re.search(pattern, url) for pattern in self.article_allow)

    def is_article_url(self, url: str, guess: bool) -> bool:
        """Apply the source's allow/deny patterns on top of the generic guess from the URL's shape."""
        if self.denies(url):
            return False
        return self.allows(url) if self.article_allow else guess


def adhoc_source(urls: list[str], name: str = "adhoc") -> Source:
    """A source for `--url` start points: allowed on the start URLs' own sites only."""
    return Source(name=name, start_urls=tuple(urls), title="ad-hoc URLs")


def sources_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The sources file to read: the argument, $WIREDESK_SOURCES, or None for the packaged default."""
    chosen = path or os.environ.get(SOURCES_ENV)
    return Path(chosen) if chosen else None


def load_sources(path: str | os.PathLike[str] | None = None) -> dict[str, Source]:
    """All sources of a file, keyed by name, in file order."""
    file = sources_path(path)
    try:
        text = file.read_text(encoding="utf-8") if file else _packaged_sources()
        data = tomllib.loads(text)
    except OSError as error:
        raise SourcesError(f"cannot read sources file {file}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise SourcesError(f"{file or 'packaged sources.toml'} is not valid TOML: {error}") from error
    return {name: _source(name, entry) for name, entry in data.get("sources", {}).items()}


def _packaged_sources() -> str:
    return resources.files("crawler").joinpath("sources.toml").read_text(encoding="utf-8")


# What each single-valued key of a source must hold (TOML gives ints and floats apart).
_SCALARS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "agency": str,
    "robots_sitemaps": bool,
    "revisit_hours": (int, float),
    "schedule": str,
    "jitter_seconds": int,
    "default": bool,
    "checked": bool,
    "notes": str,
    "politeness": dict,
}


def _source(name: str, entry: dict[str, Any]) -> Source:
    tuples = ("start_urls", "allowed_domains", "article_allow", "article_deny")
    known = {f for f in Source.__dataclass_fields__ if f != "name"}
    unknown = set(entry) - known
    if unknown:
        raise SourcesError(f"source {name!r}: unknown keys {sorted(unknown)}")
    for key, kinds in _SCALARS.items():
        if key in entry and not isinstance(entry[key], kinds):
            names = [kind.__name__ for kind in (kinds if isinstance(kinds, tuple) else (kinds,))]
            expected = " or ".join(names)
            raise SourcesError(f"source {name!r}: {key} must be a {expected}, not {entry[key]!r}")
    for key in tuples:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise SourcesError(f'source {name!r}: {key} must be a list of strings, e.g. {key} = ["..."]')
    for key in ("article_allow", "article_deny"):
        for pattern in entry.get(key, []):
            try:
                re.compile(pattern)
            except re.error as error:
                raise SourcesError(f"source {name!r}: {key} {pattern!r} is not a regex: {error}") from error
    if "schedule" in entry:
        _check_schedule(name, entry["schedule"])
    if not entry.get("start_urls"):
        raise SourcesError(f"source {name!r}: start_urls is empty")
    problems = [problem for problem in map(start_url_problem, entry["start_urls"]) if problem]
    if problems:
        raise SourcesError(f"source {name!r}: {'; '.join(problems)}")
    values = {key: tuple(value) if key in tuples else value for key, value in entry.items()}
    return Source(name=name, **values)


def _check_schedule(name: str, schedule: str) -> None:
    """Refuse a schedule the daemon could not run, when the file is read rather than when the daemon
    starts (or, for a source added later, when it reloads): the daemon's own parser decides, so the
    two never disagree. Imported here, not at the top: the daemon imports this module."""
    from crawler.schedules import ScheduleError, trigger_for

    try:
        trigger_for(schedule)
    except ScheduleError as error:
        raise SourcesError(f"source {name!r}: {error}") from error


def select_sources(available: dict[str, Source], names: list[str]) -> list[Source]:
    """The named sources, or the default ones when no name is given."""
    if not names:
        return [source for source in available.values() if source.default]
    missing = [name for name in names if name not in available]
    if missing:
        raise SourcesError(f"no source named {', '.join(missing)}; known: {', '.join(available)}")
    return [available[name] for name in names]


@dataclass(frozen=True)
class StartUrlCheck:
    """Whether one start URL answered, and how."""

    source: str
    url: str
    status: str
    ok: bool


_USER_AGENT = user_agent(BY_NAME["WIREDESK_CONTACT"].value())
"""A check asks as the crawl will: a site that refuses the crawler's User-Agent shows here."""


def check_sources(sources: list[Source], timeout: float = 20.0) -> list[StartUrlCheck]:
    """Fetch every start URL once (in parallel) and report its HTTP status or the error."""
    jobs = [(source.name, url) for source in sources for url in source.start_urls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda job: _check(job[0], job[1], timeout), jobs))


def _check(source: str, url: str, timeout: float) -> StartUrlCheck:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return StartUrlCheck(
                source, url, f"{response.status} {response.headers.get_content_type()}", True
            )
    except urllib.error.HTTPError as error:
        return StartUrlCheck(source, url, f"HTTP {error.code}", False)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return StartUrlCheck(source, url, f"unreachable: {reason}", False)
