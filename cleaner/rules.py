"""Per-site cleaning rules: the escape hatch where the general rules are not enough for a site.

A rules file is TOML, one table per site (the domain covers its subdomains):

    [sites."example.com"]
    why = "Inline 'More coverage' cards carry no class the general rules know"
    drop = ["div.inline-promo", "aside .card"]      # CSS selectors of blocks to remove
    drop_lines = ["^Watch the full interview"]       # regular expressions of lines to remove

`cleaner/site_rules.toml` ships with the package; a user's own file is read by whoever calls the
cleaner (`wiredesk clean --rules FILE`, the crawl's WIREDESK_CLEAN_RULES) and merged over it with
`SiteRules.merged`. The cleaner itself reads no file: rules arrive in `CleanOptions`. Parsing
validates every selector and pattern, so a typo fails when the file is loaded, not mid-crawl.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError
from lxml import etree

_TRANSLATOR = GenericTranslator()
# Longest line a site's `drop_lines` patterns are tried on. Furniture lines are short, and the
# patterns are the user's, not written to run in linear time (`.*subscribe.*` is quadratic): a
# page of long lines must not make them take minutes (docs/cleaning.md, "Limits").
MAX_RULE_LINE = 1_000


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the site and the bad entry."""


@dataclass(frozen=True)
class SiteRule:
    """What to drop on one site, and why the general rules miss it."""

    domain: str
    why: str = ""
    drop: tuple[str, ...] = ()
    """XPath expressions (translated from the file's CSS selectors) of blocks to remove."""
    drop_lines: tuple[re.Pattern[str], ...] = ()

    def drops_line(self, line: str) -> bool:
        """Whether a line pattern of the rule matches `line`; never for a line over MAX_RULE_LINE."""
        return len(line) <= MAX_RULE_LINE and any(pattern.search(line) for pattern in self.drop_lines)

    @property
    def reason(self) -> str:
        """What its removals record, and the name `CleanOptions.disabled_rules` switches it off by:
        the rule runs as one of the tree passes (cleaner/noise.py `site_pass`)."""
        return f"site-rule:{self.domain}"


@dataclass(frozen=True)
class SiteRules:
    """Rules by domain. Frozen and picklable, so it travels to cleaning workers inside CleanOptions."""

    sites: dict[str, SiteRule] = field(default_factory=dict)

    def for_url(self, url: str | None) -> list[SiteRule]:
        """The rules of the URL's host and of each domain above it (news.example.com, example.com)."""
        host = (urlsplit(url).hostname or "") if url else ""
        labels = host.lower().split(".")
        return [
            self.sites[domain]
            for domain in (".".join(labels[i:]) for i in range(len(labels) - 1))
            if domain in self.sites
        ]

    def merged(self, other: SiteRules) -> SiteRules:
        """These rules with `other`'s on top: a site in both gets `other`'s rule."""
        return SiteRules({**self.sites, **other.sites})


def parse_site_rules(text: str, origin: str = "rules") -> SiteRules:
    """Parse a rules file's text; RulesError says what is wrong and where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{origin}: not valid TOML: {error}") from error
    sites = data.get("sites", {})
    if not isinstance(sites, dict):
        raise RulesError(f"{origin}: [sites] must be a table of sites")
    return SiteRules(
        {domain.lower(): _site_rule(domain.lower(), entry, origin) for domain, entry in sites.items()}
    )


def _site_rule(domain: str, entry: Any, origin: str) -> SiteRule:
    if not isinstance(entry, dict):
        raise RulesError(f"{origin}: sites.{domain} must be a table")
    unknown = set(entry) - {"why", "drop", "drop_lines", "checked"}
    if unknown:
        raise RulesError(f"{origin}: sites.{domain}: unknown keys {sorted(unknown)}")
    return SiteRule(
        domain=domain,
        why=str(entry.get("why", "")),
        drop=tuple(_xpath(css, domain, origin) for css in _strings(entry, "drop", domain, origin)),
        drop_lines=tuple(
            _pattern(line, domain, origin) for line in _strings(entry, "drop_lines", domain, origin)
        ),
    )


def _strings(entry: dict[str, Any], key: str, domain: str, origin: str) -> list[str]:
    values = entry.get(key, [])
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise RulesError(f"{origin}: sites.{domain}.{key} must be a list of strings")
    return values


def _xpath(selector: str, domain: str, origin: str) -> str:
    try:
        path = _TRANSLATOR.css_to_xpath(selector)
        etree.XPath(path)
    except (SelectorError, etree.XPathSyntaxError) as error:
        raise RulesError(f"{origin}: sites.{domain}.drop: bad CSS selector {selector!r}: {error}") from error
    return path


def _pattern(pattern: str, domain: str, origin: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RulesError(f"{origin}: sites.{domain}.drop_lines: bad pattern {pattern!r}: {error}") from error


@lru_cache(maxsize=512)
def compiled_xpath(path: str) -> etree.XPath:
    """One compiled XPath per expression and process (compiled objects do not pickle)."""
    return etree.XPath(path)


def packaged_rules() -> SiteRules:
    """The rules that ship with wiredesk (cleaner/site_rules.toml)."""
    text = resources.files("cleaner").joinpath("site_rules.toml").read_text(encoding="utf-8")
    return parse_site_rules(text, "cleaner/site_rules.toml")


PACKAGED_RULES = packaged_rules()
