"""The site's own names, for the line rules: a line where the site speaks of itself by name.

A promotion closing a story names its site ("download the Examplenews apps", "Die aktuelle
Ausgabe der EXAMPLE-MAG jetzt im Abo"), which no word list holds: the name is the page's own, read
from its address and its `og:site_name`. Names are folded to lower-case letters and digits, so
"BASIC thinking" matches the address's "basicthinking" and "L-MAG" the address's "l-mag": a name
is one word of the line, or up to `_MAX_NAME_WORDS` words in a row, joined ("Examplenews's app"
names "examplenews"; "an example newsletter" does not).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A name shorter than this is some other word too often ("welt", "zeit", "bild", "haus" are
# German dictionary words as well as newspapers' addresses), and is not used.
MIN_NAME_CHARS = 5
_MAX_NAME_WORDS = 3
# A name printed on more of the text's lines than this is what the text is about (a blog about
# a programming language on the language's own site, a platform's news about itself), not the
# site signing its promotion: then it is not used.
MAX_NAMED_LINES = 2
# A host's last labels up to this long each are its public suffix ("co.uk", "com.au"), so the
# site's name is the label before both.
_MAX_SUFFIX_LABEL = 3
_NOT_LETTERS = re.compile(r"[\W_]+")
_WORDS = re.compile(r"[^\W_]+")
_BETWEEN_LETTERS = _NOT_LETTERS.pattern.replace("+", "*")


def folded(text: str) -> str:
    """Lower case letters and digits only: "L-MAG.de" -> "lmagde"."""
    return _NOT_LETTERS.sub("", text.casefold())


def _printed(name: str, casefolded: str) -> bool:
    """Whether a folded name is in the case-folded text once folded (`name in folded(text)`): its
    letters in a row with only what `folded` removes between them. A search in C for each of the
    page's two or three names costs a few microseconds; folding a story's text cost half a
    millisecond (a regular expression's replacement at each space and punctuation mark)."""
    return re.search(_BETWEEN_LETTERS.join(map(re.escape, name)), casefolded) is not None


def site_names(site_name: str | None, *urls: str | None) -> frozenset[str]:
    """The page's declared site name and the registered domain label of each of its addresses
    (the fetched one, the canonical one: "example" of news.example.co.uk), folded; those shorter
    than `MIN_NAME_CHARS` left out."""
    names = {folded(site_name or "")}
    for url in urls:
        host = (urlsplit(url).hostname or "") if url else ""
        labels = [label for label in host.split(".") if label]
        if len(labels) >= 2:
            short_suffix = len(labels) >= 3 and all(len(label) <= _MAX_SUFFIX_LABEL for label in labels[-2:])
            names.add(folded(labels[-3 if short_suffix else -2]))
    return frozenset(name for name in names if len(name) >= MIN_NAME_CHARS)


def names_itself(line: str, names: frozenset[str]) -> bool:
    """Whether the line holds one of the site's names."""
    if not names:
        return False
    text = folded(line)
    if not any(name in text for name in names):  # most lines: one pass in C, and done
        return False
    words = _WORDS.findall(line.casefold())
    return any(
        "".join(words[start : start + size]) in names
        for start in range(len(words))
        for size in range(1, _MAX_NAME_WORDS + 1)
    )


def self_names(lines: list[str], names: frozenset[str]) -> frozenset[str]:
    """The `names` the text's lines print, unless the text is about its site: more than
    `MAX_NAMED_LINES` of its lines name it. Most texts never print their site's name: one pass
    over the whole text, in C, settles them, and the line rules then spend nothing on names."""
    if not names:
        return names
    text = "".join(lines).casefold()
    names = frozenset(name for name in names if _printed(name, text))
    if not names:
        return names
    named = 0
    for line in lines:
        named += names_itself(line, names)
        if named > MAX_NAMED_LINES:
            return frozenset()
    return names
