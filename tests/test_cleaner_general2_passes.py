"""The tree passes as one table (cleaner/noise.py `TREE_PASSES`): each entry names its pass, the
reasons it records and is switched off by, and the thresholds its function reads; a site's rule
runs as an entry of the same shape. Every page here was written for these tests."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import html

import cleaner.noise
from cleaner.noise import TREE_PASSES, prune_tree, site_pass
from cleaner.removal import Removed
from cleaner.rules import parse_site_rules

URL = "https://www.lakeside-gazette.test/2025/06/library-reopens"
STORY = (
    "The town library reopened on Saturday after eight months of repairs to its roof, which had let "
    "rain into the reading room during the storms of last winter and ruined part of the archive."
)
MENU = (
    "<ul><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li>"
    "<li><a href='/weather'>Weather</a></li></ul>"
)
PAGE = (
    f"<html><body><article><p>{STORY}</p>{MENU}"
    "<div class='inline-promo'><p>Visit our shop for gifts this summer.</p></div></article></body></html>"
)
RULES = parse_site_rules(
    '[sites."lakeside-gazette.test"]\nwhy = "an unnamed promotion box"\ndrop = ["div.inline-promo"]\n'
)


def _pruned() -> tuple[str, set[str]]:
    """The page's text once the tree passes ran on it, and the reasons they recorded."""
    tree = html.fromstring(PAGE)
    removed = Removed()
    prune_tree(tree, removed, RULES.for_url(URL))
    return " ".join(tree.text_content().split()), {block.reason for block in removed.blocks}


def test_every_pass_is_named_and_its_reasons_are_the_names_rules_are_switched_off_by() -> None:
    names = [tree_pass.name for tree_pass in TREE_PASSES]
    assert len(names) == len(set(names))
    reasons = {reason for tree_pass in TREE_PASSES for reason in tree_pass.reasons}
    assert {"link-list", "link", "link-cluster", "link-card", "widget", "block", "noise-tag"} <= reasons
    assert {"caption-markup", "teaser-caption", "author-box", "slug-headline", "teaser-list"} <= reasons


def test_a_pass_reads_its_thresholds_from_its_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    text, reasons = _pruned()
    assert "Weather" not in text
    assert "link-list" in reasons
    stricter = tuple(
        dataclasses.replace(tree_pass, thresholds={**tree_pass.thresholds, "min_items": 4})
        if tree_pass.name == "link-list"
        else tree_pass
        for tree_pass in TREE_PASSES
    )
    monkeypatch.setattr(cleaner.noise, "TREE_PASSES", stricter)
    text, reasons = _pruned()
    assert "Weather" in text
    assert "link-list" not in reasons


def test_a_site_rule_is_a_pass_of_the_same_shape_switched_off_by_its_reason() -> None:
    (rule,) = RULES.for_url(URL)
    as_pass = site_pass(rule)
    assert as_pass.name == as_pass.reasons[0] == "site-rule:lakeside-gazette.test"
    text, reasons = _pruned()
    assert "Visit our shop" not in text
    assert "site-rule:lakeside-gazette.test" in reasons
    tree = html.fromstring(PAGE)
    prune_tree(tree, Removed(disabled=frozenset({rule.reason})), [rule])
    assert "Visit our shop" in tree.text_content()


def test_a_step_with_no_reason_runs_whatever_is_switched_off() -> None:
    steps = [tree_pass for tree_pass in TREE_PASSES if not tree_pass.reasons]
    assert {"prose", "names", "story-teasers"} == {step.name for step in steps}
    everything = frozenset(reason for tree_pass in TREE_PASSES for reason in tree_pass.reasons)
    tree = html.fromstring(PAGE)
    prune_tree(tree, Removed(disabled=everything))
    assert "Weather" in tree.text_content()
    assert STORY in " ".join(tree.text_content().split())
