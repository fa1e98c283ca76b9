"""Why a URL was not fetched, why an article page holds no article, why one was lost: the typed
reasons the crawl's report counts under (crawler/report.py, which the rest of the crawl imports
them from). Like the report, this imports no part of the crawl.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Skip(StrEnum):
    """Why a URL was not fetched: the spider's choices, the corpus gate's and the middlewares'."""

    NOT_ARTICLE_SHAPED = "not_article_shaped"
    NOT_IN_ARTICLE_ALLOW = "not_in_article_allow"
    ARTICLE_DENY = "article_deny"
    BEFORE_SINCE = "before_since"
    OFFSITE = "offsite"
    NOT_HTTP = "not_http"
    BAD_URL = "bad_url"
    SECTION_PAGE_LIMIT = "section_page_limit"
    STORED_UNCHANGED = "stored_unchanged"
    FAILED_BEFORE = "failed_before"
    MAX_ARTICLES = "max_articles"
    PENDING_GIVEN_UP = "pending_given_up"
    ROBOTS = "robots"
    IGNORED = "ignored"
    OFFSITE_REDIRECT = "offsite_redirect"
    BAD_SCHEME = "bad_scheme"
    CREDENTIALS = "credentials"
    PRIVATE_ADDRESS = "private_address"
    FEED_GAP = "feed_gap"
    """A feed whose entries were all newer than its last read, with no older page to follow: the
    entries published in between scrolled off unseen (counted once per feed; crawler/spiders/feeds.py)."""

    @property
    def label(self) -> str:
        """How the summary names the reason (docs/discovery.md's table)."""
        return _SKIP_LABELS.get(self, self.value)


_SKIP_LABELS = {
    Skip.NOT_ARTICLE_SHAPED: "not article-shaped",
    Skip.NOT_IN_ARTICLE_ALLOW: "not in article_allow",
    Skip.BEFORE_SINCE: "older than --days",
    Skip.OFFSITE: "off-site",
    Skip.NOT_HTTP: "not http(s)",
    Skip.BAD_URL: "unreadable URL",
    Skip.SECTION_PAGE_LIMIT: "past WIREDESK_SECTION_PAGES",
    Skip.STORED_UNCHANGED: "stored, unchanged",
    Skip.FAILED_BEFORE: "failed before",
    Skip.MAX_ARTICLES: "past --max-articles",
    Skip.ROBOTS: "robots.txt",
    Skip.IGNORED: "refused by a middleware",
    Skip.OFFSITE_REDIRECT: "redirected off-site",
    Skip.BAD_SCHEME: "not http(s)",
    Skip.CREDENTIALS: "credentials in the URL",
    Skip.PRIVATE_ADDRESS: "public to private address",
    Skip.PENDING_GIVEN_UP: "pending, given up",
    Skip.FEED_GAP: "feed overflowed since its last read",
}


class DropReason(StrEnum):
    """Why an article page fetched was not stored on purpose: no article in it (the cleaner's
    reason), not an article, or not in the languages an import keeps."""

    EMPTY_BODY = "empty_body"
    BINARY_BODY = "binary_body"
    UNPARSEABLE_HTML = "unparseable_html"
    NO_ARTICLE_FOUND = "no_article_found"
    NO_TEXT = "no_text"
    """The cleaner gave no error and no text."""
    CLEANER_FAILED = "cleaner_failed"
    """A pass of the cleaner raised (its kind is in the page's error and the log)."""
    OTHER = "other"
    """An error of the cleaner none of the above names."""
    NOT_ARTICLE = "not_article"
    """The page says it is a listing or a profile (crawler.pipelines.not_an_article)."""
    OTHER_LANGUAGE = "other_language"

    @classmethod
    def of_error(cls, error: str | None) -> DropReason:
        """The reason of a page the cleaner found no article in, from its error ("binary body",
        "cleaner failed: RecursionError (...)", docs/cleaning.md): its words before any detail."""
        if not error:
            return cls.NO_TEXT
        words = re.sub(r"[^a-z0-9]+", "_", error.split("(")[0].split(":")[0].lower()).strip("_")
        try:
            return cls(words)
        except ValueError:
            return cls.OTHER


class LossKind(StrEnum):
    """Why an article page fetched was lost to an error (docs/reliability.md): each is also an error."""

    TIME_LIMIT = "time_limit"
    WORKER_DIED = "worker_died"
    CLEANER_ERROR = "cleaner_error"
    STORE_FAILED = "store_failed"
    SPOOL_FAILED = "spool_failed"
    INTERNAL_ERROR = "internal_error"
    """A pipeline raised on the page instead of dropping it (a bug)."""
    DAMAGED_ARCHIVE = "damaged_archive"
    """A WARC file that cannot be read past some record: what follows it is not imported."""
