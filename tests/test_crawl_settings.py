"""The settings registry: every WIREDESK_* key once, with its default and meaning, and its docs."""

from __future__ import annotations

import re

from conftest import REPO

import crawler.settings
from crawler.settings_registry import BY_NAME, SETTINGS, reference

# A component reading a WIREDESK_* key with a fallback of its own: a second default to drift.
_FALLBACK = re.compile(r"""\.get\w*\(\s*["']WIREDESK_\w+["']\s*,""")


def test_docs_settings_md_is_generated_from_the_registry() -> None:
    """docs/settings.md is what `python -m crawler.settings_registry` prints: regenerate it after a change."""
    assert (REPO / "docs" / "settings.md").read_text(encoding="utf-8") == reference()


def test_every_setting_is_explained() -> None:
    assert [setting.name for setting in SETTINGS if not setting.help.strip()] == []


def test_the_settings_module_holds_exactly_the_registry() -> None:
    keys = {name for name in dir(crawler.settings) if name.startswith("WIREDESK_")}
    assert keys == set(BY_NAME)
    assert BY_NAME["WIREDESK_STORE_BATCH"].default == crawler.settings.WIREDESK_STORE_BATCH  # type: ignore[attr-defined]


def test_no_component_writes_a_default_of_its_own() -> None:
    repeated = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "crawler").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _FALLBACK.search(line)
    ]
    assert repeated == []
