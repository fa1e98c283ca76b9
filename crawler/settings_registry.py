"""Every WIREDESK_* setting once: its name, default and meaning. `crawler/settings.py` takes its values
from here, so components read them from the crawl's settings with no default of their own, and
`docs/settings.md` is written from here:

    python -m crawler.settings_registry > docs/settings.md

`tests/test_crawl_settings.py` checks that the file is what this prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

VERSION = "0.1.0"


@dataclass(frozen=True)
class Setting:
    """One setting: `env`, when given, names the environment variable whose value is the default."""

    name: str
    default: Any
    help: str
    env: str | None = None

    def value(self) -> Any:
        """The default this process runs with: the environment's, when it sets one."""
        return os.environ.get(self.env, self.default) if self.env else self.default


SETTINGS = (
    Setting("WIREDESK_DB", "sqlite:///wiredesk.db", "SQLAlchemy URL of the corpus.", env="WIREDESK_DB"),
    Setting(
        "WIREDESK_MAX_ARTICLES", None, "Fetch at most this many article pages in one crawl (None: no limit)."
    ),
    Setting("WIREDESK_SECTION_PAGES", 3, 'How many "next page" links of a section page to follow.'),
    Setting("WIREDESK_PROGRESS", True, "Show the live progress line on a terminal."),
    Setting(
        "WIREDESK_SINCE",
        None,
        "Only fetch articles that feeds and sitemaps date on or after this ISO date (None: no bound).",
    ),
    Setting(
        "WIREDESK_REVISIT_HOURS",
        None,
        "Refetch a stored article when it was last fetched longer ago than this many hours (None: never, "
        "unless its feed or sitemap says it changed). Sources can set their own `revisit_hours`.",
    ),
    Setting(
        "WIREDESK_RETRY_BASE_WAIT",
        1.0,
        "Retries wait 2^n times this many seconds, or what the server's Retry-After says...",
    ),
    Setting(
        "WIREDESK_RETRY_MAX_WAIT",
        120.0,
        "...but never longer than this; a longer Retry-After gives the request up until the next run.",
    ),
    Setting(
        "WIREDESK_CONTACT",
        "https://github.com/wiredesk/wiredesk",
        "Contact URL or address in the User-Agent, so publishers can reach whoever runs the crawler.",
        env="WIREDESK_CONTACT",
    ),
    Setting(
        "WIREDESK_CLEAN_WORKERS",
        None,
        "Processes that clean pages (None: one per CPU; 0: clean in the crawler's own thread).",
    ),
    Setting(
        "WIREDESK_CLEAN_RULES",
        None,
        "A TOML file of your own per-site cleaning rules, merged over cleaner/site_rules.toml "
        "(docs/cleaning.md).",
        env="WIREDESK_CLEAN_RULES",
    ),
    Setting(
        "WIREDESK_CLEAN_TIME_LIMIT",
        20.0,
        "A page still being cleaned after this many seconds is dropped as failed (0: no limit).",
    ),
    Setting(
        "WIREDESK_CLEAN_MEMORY_LIMIT",
        0,
        "MB of address space per cleaning worker (RLIMIT_AS; about 250 are the interpreter and its "
        "libraries): a page that needs more fails alone with MemoryError (0: no limit).",
    ),
    Setting(
        "WIREDESK_CLEAN_FAILURES",
        2,
        "A URL lost to an error this many times (in earlier crawls: time limit, dead worker, cleaner or "
        "storage error) is not fetched again.",
    ),
    Setting(
        "WIREDESK_PENDING_TRIES",
        5,
        "An article URL a feed, sitemap or section page led to is asked for by later crawls of its "
        "source until it is stored, even once no listing names it; it is given up after this many "
        "failed fetches, once its page was lost WIREDESK_CLEAN_FAILURES times (it is not fetched "
        "again), or 7 days after it was first listed (`pending_given_up`).",
    ),
    Setting(
        "WIREDESK_SITE_MEMORY",
        True,
        "Clean each page with its site's memory (False: without, as a one-page extractor would).",
    ),
    Setting(
        "WIREDESK_SITE_MEMORY_REFRESH",
        2.0,
        "A site's memory (its learnt furniture, storage/sitememory.py) is read again once this many "
        "seconds old, so the pages of a crawl are cleaned with what its earlier pages taught.",
    ),
    Setting(
        "WIREDESK_RECLEAN_AFTER_CRAWL",
        True,
        "After a crawl, articles of its sites that still carry a line their site's memory now knows as "
        "furniture are cleaned again (crawler/reclean.py).",
    ),
    Setting("WIREDESK_STORE_BATCH", 50, "Articles written in one transaction..."),
    Setting("WIREDESK_STORE_WAIT", 0.5, "...or fewer, once the first of them has waited this many seconds."),
    Setting(
        "WIREDESK_SPOOL",
        None,
        "Where articles wait when the database is unreachable (default: $WIREDESK_SPOOL, else "
        ".wiredesk/spool).",
    ),
    Setting(
        "WIREDESK_REDIS",
        None,
        "Redis URL of a shared crawl (scrapy-redis frontier); None: this process crawls alone.",
        env="WIREDESK_REDIS",
    ),
    Setting(
        "WIREDESK_REDIS_PREFIX",
        "wiredesk",
        "Prefix of the shared crawl's Redis keys; crawls with different prefixes never meet.",
    ),
    Setting(
        "WIREDESK_WORKER_ID",
        None,
        "This process's name in a shared crawl (leases and heartbeats); set per process by crawler.run.",
    ),
    Setting(
        "WIREDESK_WORKER_IDLE",
        5.0,
        "A worker leaves a shared crawl after its queue and every lease have been empty this many seconds.",
    ),
    Setting(
        "WIREDESK_WARC_DIR",
        None,
        "Write every response fetched, with its request, into gzipped WARC files here "
        "(crawler/warcwriter.py).",
        env="WIREDESK_WARC_DIR",
    ),
    Setting(
        "WIREDESK_WARC_MAX_BYTES",
        1024**3,
        "A WARC file is closed, and the next begun, past this many bytes (1 GiB: Common Crawl's and "
        "Heritrix's size).",
    ),
    Setting(
        "WIREDESK_PROGRESS_LOG_INTERVAL",
        60,
        "Seconds between two progress lines when stderr is not a terminal (logs); 0 turns them off.",
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def user_agent(contact: str) -> str:
    """The User-Agent a crawl sends: who we are, and how to reach whoever runs the crawler."""
    return f"wiredesk/{VERSION} (news corpus crawler; +{contact})"


def reference() -> str:
    """docs/settings.md: one row per setting."""
    rows = [
        "# wiredesk settings",
        "",
        "Generated from `crawler/settings_registry.py` by",
        "`python -m crawler.settings_registry > docs/settings.md`. Set them with",
        "`wiredesk crawl -s NAME=VALUE` or `scrapy crawl news -s NAME=VALUE`, or, where an environment",
        "variable is named, in the environment. Scrapy's own settings that wiredesk changes (politeness,",
        "timeouts, sizes) are in `crawler/settings.py`.",
        "",
        "| setting | default | environment | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS:
        env = f"`{setting.env}`" if setting.env else ""
        rows.append(f"| `{setting.name}` | `{setting.default!r}` | {env} | {setting.help} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
