"""Hostile input for the cleaner, shared by the benchmarks (benchmarks/patterns.py,
benchmarks/hostile_pages.py) and the tests (tests/test_cleaner_robustness.py, test_patterns.py,
test_hostile_limits.py): a benchmarks module, since tests may import it and benchmarks may not
import tests: every regular expression of the cleaner,
adversarial lines for each, and pages built to make a parser or an extractor spend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import NamedTuple

import cleaner
import cleaner.extract
import cleaner.html
import cleaner.limits
import cleaner.lines
import cleaner.noise
import cleaner.patterns
import cleaner.rules
import cleaner.wire

# Adversarial lines are this long: the goal is that any pattern takes under 50 ms on them.
LINE_CHARS = 10_000
_MODULES: tuple[ModuleType, ...] = (
    cleaner.patterns,
    cleaner.noise,
    cleaner.lines,
    cleaner.wire,
    cleaner.extract,
    cleaner.limits,
    cleaner.html,
)
# Characters that regular expressions repeat or stop at: separators, punctuation, word characters.
_CHARACTERS = " _.,;:-—–/()'’\"@&|!?#*©a A1é\t"
# What comes between repeated words: nothing, a space, the punctuation patterns look for.
_SEPARATORS = ("", " ", ". ", "_", ", ", " x ", ": ", "-")
# Prefixes that let anchored patterns get past their first token before the run starts.
_PREFIXES = ("", "___ ", "By ", "(", "http://", "<!DOCTYPE ", "<html ")
# Endings that make the match fail at the very end (the worst case of a backtracking engine).
_ENDINGS = ("", "!§", " x")


def cleaner_patterns() -> dict[str, re.Pattern[str] | re.Pattern[bytes]]:
    """Every compiled regular expression of the cleaner's modules, and of the packaged per-site
    rules, by name: found by looking, so a pattern added later is tested without being listed."""
    found: dict[str, re.Pattern[str] | re.Pattern[bytes]] = {}
    for module in _MODULES:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and value not in found.values():
                found[f"{module.__name__}.{name}"] = value
    for domain, rule in cleaner.rules.PACKAGED_RULES.sites.items():
        for number, pattern in enumerate(rule.drop_lines):
            found[f"site_rules[{domain}].drop_lines[{number}]"] = pattern
    return found


def _words(pattern: str) -> list[str]:
    """The literal words of a pattern ("contributed", "reported from"), escapes left out."""
    bare = re.sub(r"\\.", " ", pattern)
    return sorted(set(re.findall(r"[^\W\d_]{2,}(?: [^\W\d_]{2,})?", bare)))


def adversarial_lines(
    pattern: re.Pattern[str] | re.Pattern[bytes], length: int = LINE_CHARS
) -> Iterator[str | bytes]:
    """Lines of about `length` characters built to make `pattern` backtrack: long runs of one
    character and of character pairs, its own words repeated (near misses), after prefixes that
    get anchored patterns going, each with an ending that makes the match fail late; and its words
    as start tags repeated up to an end tag cut off before its `>` (a pattern that fails there
    would scan again from every earlier start tag). The same lines in the same order whatever the
    length (tests/test_patterns.py compares lengths)."""
    runs = [character * length for character in _CHARACTERS]
    runs += [(a + b) * (length // 2) for a in " _.a" for b in " _.-aA("]
    words = _words(pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode())
    for word in words:
        runs += [_repeat(word + separator, length) for separator in _SEPARATORS]
        runs += [
            _repeat(word.upper() + " ", length),
            _repeat(f"<{word} ", length),
            _repeat(f"<{word}/ ", length),
        ]
    for run in runs:
        for prefix in _PREFIXES:
            for ending in _ENDINGS:
                line = (prefix + run)[:length] + ending
                yield line.encode() if isinstance(pattern.pattern, bytes) else line
    for word in words:
        line = _repeat(f"<{word}", length)[:length] + f"</{word}"
        yield line.encode() if isinstance(pattern.pattern, bytes) else line


def _repeat(unit: str, length: int) -> str:
    return unit * (length // len(unit) + 1)


def worst_case(
    pattern: re.Pattern[str] | re.Pattern[bytes], clock: Callable[[], float]
) -> tuple[float, str | bytes]:
    """The slowest adversarial line for `pattern` (searched, as the cleaner's hardest use of any
    pattern), with its time on `clock`."""
    worst: tuple[float, str | bytes] = (0.0, "")
    for line in adversarial_lines(pattern):
        started = clock()
        pattern.search(line)  # type: ignore[arg-type]
        elapsed = clock() - started
        if elapsed > worst[0]:
            worst = (elapsed, line)
    return worst


class Limits(NamedTuple):
    """The cleaner's limits on a page (cleaner/limits.py, CleanOptions.max_bytes)."""

    elements: int
    children: int
    attributes: int
    tag_attributes: int
    bytes: int


def cleaner_limits() -> Limits:
    """The limits the cleaner has now."""
    return Limits(
        cleaner.limits.MAX_ELEMENTS,
        cleaner.limits.MAX_CHILDREN,
        cleaner.limits.MAX_ATTRIBUTES,
        cleaner.limits.MAX_TAG_ATTRIBUTES,
        cleaner.DEFAULT_OPTIONS.max_bytes,
    )


# Hostile pages: (kind, builder of the page's bytes), each at or past a limit of the cleaner.
STORY = "<p>" + "Ports along the Adriatic coast were closed on Friday as a storm moved in. " * 6 + "</p>"


def html_page(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><article>{STORY}{body}</article></body></html>".encode()


def _attributes(count: int) -> str:
    return " ".join(f"data-a{number}=x" for number in range(count))


def grouped(element: str, count: int, per_group: int = 1_000) -> str:
    """`count` copies of `element` in divs of `per_group`: many elements, no crowded parent."""
    groups = range(0, count, per_group)
    return "".join(f"<div>{element * min(per_group, count - done)}</div>" for done in groups)


def hostile_pages(limits: Limits) -> dict[str, Callable[[], bytes]]:
    """Pages built to make the cleaner spend, by kind: past its limits (cut to fit before any tree
    is built, or right after) and just under them, each cleaned within the time and memory goals."""
    max_elements, max_children, max_bytes = limits.elements, limits.children, limits.bytes
    under = max_elements * 97 // 100  # leaves room for the groups' divs and the story
    row = max_children - 10
    full = max_bytes - 20_000
    return {
        "1M <br> (4 MB)": lambda: html_page("<br>" * 1_000_000),
        "7.7 MB of <br>": lambda: html_page("<br>" * (7_700_000 // 4)),
        "100k attributes on one tag": lambda: html_page(f"<div {_attributes(100_000)}>x</div>"),
        "99 attributes on every tag, 8 MB": lambda: html_page(
            grouped(f"<span {_attributes(99)}>x</span>", full // 1300)
        ),
        "attributes under the limit": lambda: html_page(
            grouped(f"<span {_attributes(99)}>x</span>", limits.attributes // 100)
        ),
        "tags of attributes under the tag limit": lambda: html_page(
            grouped(f"<span {_attributes(limits.tag_attributes - 1)}>x</span>", limits.attributes // 1000)
        ),
        "elements under the limit (<p>)": lambda: html_page(grouped("<p>Road found.</p>", under)),
        "elements under the limit, 8 MB of text": lambda: html_page(
            grouped("<p>" + "word " * (full // under // 5 - 2) + "</p>", under)
        ),
        "elements under the limit (<br>)": lambda: html_page(grouped("<br>", under)),
        "elements under the limit (<li><a>)": lambda: html_page(
            grouped("<li><a href='/x'>x</a></li>", under // 2)
        ),
        "elements under the limit (<li><a> and words)": lambda: html_page(
            grouped("<li><a href='/x'>a link to a story</a> and some words</li>", under // 2)
        ),
        "elements under the limit (<div><a>)": lambda: html_page(
            grouped("<div><a href='/x'>x</a></div>", under // 2)
        ),
        "elements under the limit (<h2>)": lambda: html_page(grouped("<h2>x</h2>", under)),
        "elements under the limit (<div>)": lambda: html_page(grouped("<div>x</div>", under)),
        "elements under the limit (<td>)": lambda: html_page(
            "<table>" + ("<tr>" + "<td>x</td>" * row + "</tr>") * (under // row) + "</table>"
        ),
        "a row of cells past the child limit": lambda: html_page(
            "<table><tr>" + "<td>x</td>" * (max_children + 10) + "</tr></table>"
        ),
        "nesting deeper than libxml2's limit": lambda: html_page(
            "<div>" * 10_000 + "<b>" * (under - 10_000) + "x"
        ),
        "one 8 MB paragraph": lambda: html_page("<p>" + "word " * (full // 5) + "</p>"),
        "8 MB of lines": lambda: html_page("<p>" + "a few words\n" * (full // 12) + "</p>"),
        "8 MB comment": lambda: html_page("<!-- " + "x " * (full // 2) + "-->"),
        "8 MB JSON-LD": lambda: html_page(
            "",
            '<script type="application/ld+json">['
            + '{"@type":"Thing","name":"x"},' * (full // 30)
            + "{}]</script>",
        ),
        "JSON-LD nested 100k deep": lambda: html_page(
            "", '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
        ),
        "meta tags under the limit": lambda: html_page("", "<meta name=x content=y>" * max_children),
        "a 2M-character title": lambda: html_page(
            "", f"<meta property='og:title' content='{'T' * 2_000_000}'>"
        ),
        "a DOCTYPE of 1M slashes": lambda: b"<!DOCTYPE " + b"/" * 1_000_000 + html_page(""),
        "8 MB contributor line": lambda: html_page("<p>___ " + "contributed " * (full // 12) + "</p>"),
        "12 MB of comments after the story": lambda: html_page(
            grouped("<p>" + "A comment on the story. " * 20 + "</p>", 3 * max_bytes // 2 // 480)
        ),
    }
