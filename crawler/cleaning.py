"""One page cleaned as a cleaning worker runs it: within its time limit, with its site's rules and
memory, its bytes decoded by the charset its headers declare.

The clean pipeline (crawler/pipelines.py) sends these jobs to the worker pool (crawler/workers.py);
`wiredesk clean`, `reclean` and WARC imports run the same job.

A worker imports this module for its job, so it imports storage (SQLAlchemy: a third of a second
of CPU per worker) only where the crawl's side reads the site memory (`FurnitureCache`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import cleaner
from cleaner.fingerprint import TextPrint, text_print
from cleaner.rules import PACKAGED_RULES, RulesError, SiteRules, parse_site_rules

logger = logging.getLogger(__name__)
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
# The error of a page given up by the cleaning time limit (its stats key is `time_limit`).
TIME_LIMIT = "time limit"
# Seconds between alarms once the time limit has passed.
_ALARM_REPEAT = 0.05


class CleaningTimeLimit(BaseException):
    """Raised by SIGALRM in the middle of a cleaning call.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` inside the extractor
    swallows it and carries on spinning.
    """


def site_rules(path: str | None) -> SiteRules:
    """The packaged per-site rules, with those of the user's file (WIREDESK_CLEAN_RULES) on top."""
    if not path:
        return PACKAGED_RULES
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"cannot read cleaning rules {path}: {error.strerror}") from error
    return PACKAGED_RULES.merged(parse_site_rules(text, path))


def clean_and_hash(
    body: bytes,
    url: str,
    charset: str | None,
    limit: float,
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
    furniture: frozenset[str] = frozenset(),
) -> tuple[cleaner.CleanArticle, TextPrint | None]:
    """`clean_in_time`, and the hash, MinHash signature and containment anchors of the text when it
    found an article (`FetchedPage.printed`).

    The crawl's cleaning workers run this job: computing them here, in parallel, spares the crawl's
    process, where storing runs in one writer thread, about 3 ms of CPU per new article (the
    signature and anchors hash each of the text's shingles). No SQLAlchemy here: see above.
    """
    article = clean_in_time(body, url, charset, limit, options, furniture)
    return article, text_print(article.text) if article.found else None


def clean_in_time(
    body: bytes,
    url: str,
    charset: str | None,
    limit: float,
    options: cleaner.CleanOptions = cleaner.DEFAULT_OPTIONS,
    furniture: frozenset[str] = frozenset(),
) -> cleaner.CleanArticle:
    """Clean one page, or give up after `limit` seconds (0: no limit) with a failed CleanArticle.

    `furniture` is the site memory of the page's site (storage/sitememory.py).

    Without it one page that makes the extractor spin would hold a worker, and the crawl, forever;
    with it the page is dropped as failed, like a page without an article, and not retried. It runs
    where SIGALRM can be handled, in a main thread: a cleaning worker's, or the reactor's with
    WIREDESK_CLEAN_WORKERS=0. The alarm interrupts Python code, so one long call into lxml finishes
    before the page is given up.
    """
    try:
        with _alarm(limit):
            return cleaner.clean(body, url, options, declared_charset=charset, furniture=furniture)
    except CleaningTimeLimit:
        return cleaner.CleanArticle(error=f"{TIME_LIMIT} (still cleaning after {limit:g} s)")


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise CleaningTimeLimit in this thread after `seconds`; put the previous SIGALRM handler back.

    The alarm repeats: raised while lxml is calling back into Python (its element class lookup),
    the exception is swallowed by lxml, and the next one lands in Python code.
    """
    previous = signal.signal(signal.SIGALRM, _time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds, _ALARM_REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _time_up(signum: int, frame: object) -> None:
    raise CleaningTimeLimit


def declared_charset(content_type: str | None) -> str | None:
    """The charset a Content-Type header names, if any: the cleaner decodes as a browser would with it."""
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


class FurnitureCache:
    """Each site's furniture (its site memory), read from the corpus and kept for `refresh` seconds.

    The memory grows as the crawl stores pages (and as other crawlers do): a site's keys are read
    again once they are `refresh` seconds old, off the reactor thread (None: no memory, for
    comparisons). A database that cannot be read costs the memory, never the page: it is cleaned
    without.
    """

    def __init__(self, db_url: str | None, refresh: float | None) -> None:
        self.db_url = db_url
        self.refresh = refresh
        self._read: dict[str, tuple[float, frozenset[str]]] = {}
        self._sites: dict[str, str] = {}
        """Each host's site (its registrable domain): looked up in the suffix list once per host."""

    async def furniture(self, url: str) -> frozenset[str]:
        if self.refresh is None:
            return frozenset()
        site = self._site(url)
        read_at, keys = self._read.get(site, (float("-inf"), frozenset()))
        if time.monotonic() - read_at >= self.refresh:
            keys = await asyncio.to_thread(self._load, site, keys)
            self._read[site] = (time.monotonic(), keys)
        return keys

    def _site(self, url: str) -> str:
        host = urlsplit(url).hostname or ""
        site = self._sites.get(host)
        if site is None:
            from storage.sitememory import registered_site  # the crawl's side only: see the docstring

            site = self._sites[host] = registered_site(url)
        return site

    def _load(self, site: str, known: frozenset[str]) -> frozenset[str]:
        from storage.engine import one_line, shared_engine
        from storage.sitememory import SiteMemory

        try:
            return SiteMemory(shared_engine(self.db_url)).furniture(site)
        except Exception as error:
            logger.warning("site memory of %s not read (%s): cleaning without it", site, one_line(error))
            return known
