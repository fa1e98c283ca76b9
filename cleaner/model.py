"""The cleaner's input options and its result: plain data, no behaviour beyond serialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cleaner.rules import PACKAGED_RULES, SiteRules


@dataclass(frozen=True)
class CleanOptions:
    """How to clean a page. Frozen so one instance can be shared by worker processes."""

    max_bytes: int = 8 * 1024 * 1024
    """Only a body's first `max_bytes` are cleaned (characters of a page given as text): a gzip bomb
    or a bloated page costs no more than a page of this size, and the cut is recorded."""
    min_text_chars: int = 200
    """Below this many characters of body text a page holds no article (a section page, a stub)."""
    site_rules: SiteRules = field(default_factory=lambda: PACKAGED_RULES)
    """Per-site rules (cleaner/rules.py): the packaged ones, or those merged with a user's file."""
    disabled_rules: frozenset[str] = frozenset()
    """Removal rules switched off, by the reason they record (`link-card`, `promo`) or its family
    before a colon (`block` for every `block:share`), plus the few names of rules that record
    another's reason (`closing-promo`, `contributor-tail`, `caption-markup`, `noise-tag`): how
    benchmarks/rule_audit.py measures what each rule is worth. Empty in production."""


@dataclass(frozen=True)
class RemovedBlock:
    """A piece of text the cleaner took out, with the reason, so `--explain` can show it."""

    text: str
    reason: str


@dataclass
class CleanArticle:
    """What the cleaner made of one page. `error` is set, and `text` empty, when no article was found."""

    text: str = ""
    title: str | None = None
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    dateline: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    language_detected: bool = False
    """True when `language` was guessed from the text (cleaner/language.py), the page declaring none."""
    canonical_url: str | None = None
    page_type: str | None = None
    """What the page says it is (og:type, JSON-LD @type), lower-cased: "article", "newsarticle", "website"."""
    captions: list[str] = field(default_factory=list)
    """Image and video captions and photo credits, kept out of the text."""
    top_image: str | None = None
    """The story's lead image, absolute: og:image, else the JSON-LD image, else the first article image."""
    images: list[dict[str, str | None]] = field(default_factory=list)
    """The article's images as {"url", "caption"} dicts (plain data: JSON and the spool keep them as is)."""
    keywords: list[str] = field(default_factory=list)
    """What the page declares: meta keywords / news_keywords, article:tag, JSON-LD keywords."""
    free_access: bool | None = None
    """False for a paywalled page, True when it says it is free, None when it says nothing
    (schema.org `isAccessibleForFree`, also on a `hasPart`, or `article:content_tier`)."""
    contributors: list[str] = field(default_factory=list)
    """Contributor lines ("Associated Press writer X contributed."), kept out of the text."""
    removed: list[RemovedBlock] = field(default_factory=list)
    error: str | None = None

    @property
    def found(self) -> bool:
        """True when the page held an article."""
        return self.error is None and bool(self.text)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: datetimes as ISO 8601 strings."""
        data = asdict(self)
        for key in ("published", "modified"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["found"] = self.found
        return data
