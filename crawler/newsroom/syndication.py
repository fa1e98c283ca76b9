"""A generated syndication corpus: wire stories, their republished copies, and hard negatives.

Used by benchmarks/dedup.py and the story tests. Deterministic for a seed.

- A story: 6-10 paragraphs of its own sentences, with the people and places of its topic, and
  often one of the topic's background paragraphs (as wire copy repeats them).
- Copies (1-8 per story, on different sites, 0-12 hours later): a rewritten headline, the last
  one or two paragraphs dropped, promo lines inserted ("Advertisement", newsletter plugs), a few
  words changed per paragraph, or an update an hour later with a paragraph added.
- Hard negatives: other stories on the same topic, same people and places, same background
  paragraphs; and a running story's next day: a new top over much of the previous day's text,
  published a day later. Neither is a copy.
- `tangled=True`: copies are excerpts too (each keeps a different run of 55-80 % of the
  paragraphs), and may carry an earlier publication time than the original. Two excerpts of one
  story can be less alike than either is to the original, so a story's copies only hang together
  through the original: the case where the order of arrival used to decide the stories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_FIRST = (
    "Sergey",
    "Antony",
    "Maria",
    "Helga",
    "Bujar",
    "Kadri",
    "Andrii",
    "Emmanuel",
    "Ursula",
    "Olaf",
    "Giorgia",
    "Pedro",
    "Mette",
    "Petr",
    "Robert",
    "Kaja",
    "Gabriel",
    "Viktor",
    "Alexander",
    "Simon",
)
_LAST = (
    "Lavrov",
    "Blinken",
    "Zakharova",
    "Schmid",
    "Osmani",
    "Valk",
    "Sybiha",
    "Macron",
    "Leyen",
    "Scholz",
    "Meloni",
    "Sanchez",
    "Frederiksen",
    "Fiala",
    "Abela",
    "Kallas",
    "Attal",
    "Orban",
    "Stubb",
    "Harris",
)
_PLACES = (
    "Skopje",
    "Malta",
    "Vienna",
    "Brussels",
    "Warsaw",
    "Tallinn",
    "Kyiv",
    "Geneva",
    "Helsinki",
    "Riga",
    "Vilnius",
    "Prague",
    "Bratislava",
    "Budapest",
    "Sofia",
    "Athens",
    "Rome",
    "Madrid",
    "Lisbon",
    "Oslo",
)
_THEMES = (
    "security talks",
    "energy prices",
    "grain exports",
    "election results",
    "border controls",
    "sanctions package",
    "ceasefire plan",
    "migration pact",
    "budget dispute",
    "climate targets",
)
_VERBS = (
    "said",
    "told reporters",
    "warned",
    "argued",
    "insisted",
    "announced",
    "acknowledged",
    "added",
    "claimed",
    "suggested",
    "stressed",
    "noted",
)
_NOUNS = (
    "talks",
    "proposal",
    "deal",
    "meeting",
    "statement",
    "plan",
    "vote",
    "summit",
    "agreement",
    "report",
    "negotiations",
    "package",
    "decision",
    "delegation",
    "resolution",
    "inquiry",
    "measures",
    "dispute",
)
_ADJECTIVES = (
    "new",
    "fresh",
    "tough",
    "broad",
    "early",
    "final",
    "urgent",
    "fragile",
    "joint",
    "formal",
    "limited",
    "direct",
    "public",
    "private",
    "strong",
    "modest",
)
_FILLER = (
    "on Thursday",
    "late on Friday",
    "after hours of debate",
    "in a brief statement",
    "at a news conference",
    "according to officials",
    "in an interview",
    "during a visit",
    "on the sidelines",
    "in a written reply",
)
_PROMOS = (
    "Advertisement",
    "Sign up for our daily newsletter to get the latest news.",
    "Read more: the week in review",
    "Follow us on social media for breaking news.",
    "Download our app for live updates.",
)
# Ordinary English words, as news text draws on them (the 600 commonest, roughly).
_WORDS = " ".join(
    (
        "the of and to in a is that for it as was with be by on not he this are or his from at which",
        "but have an they you were her she there been one all we their has would when if so no will",
        "more about out up them some could into than other time only two may then do first any my now",
        "such like our over man me even most made after also did many before must through back years",
        "where much your way well down should because each just those people how too little state",
        "good very make world still own see men work long get here between both life being under",
        "never day same another know while last might us great old year off come since against go",
        "came right used take three states himself few house use during without again place around",
        "however home small found thought went say part once general high upon school every does got",
        "united left number course war until always away something fact though water less public put",
        "think almost hand enough far took head yet government system better set told nothing night",
        "end why called didn't eyes find going look asked later knew point next program city business",
        "give group toward young days let room president side social given present several order",
        "national possible rather second face per among form important often things looked early",
        "white case john become large big need four within felt along children saw best church ever",
        "least power development light thing seemed family interest want members mind country area",
        "others done turned although open god service certain kind problem began different door thus",
        "help means sense whole matter perhaps itself york times law human line above name example",
        "action company hands local show whether five history gave today either act feet across taken",
        "past quite anything having seen death experience body word half really field am week car",
        "words already information tell together college shall money period held keep sure probably",
        "free seems real behind cannot miss political air question making office brought whose",
        "special heard major problems ago became federal moment study available known result street",
        "economic boy position reason change south board individual job society areas west close turn",
        "love community true court force full seem am front wife voice policy report minister",
        "officials talks agreement vote plan deal summit statement meeting support security energy",
        "prices border troops aid budget market",
    )
).split()
_SYNONYMS = {
    "said": "stated",
    "told": "informed",
    "warned": "cautioned",
    "new": "fresh",
    "talks": "discussions",
    "meeting": "session",
    "plan": "proposal",
    "deal": "agreement",
    "urgent": "pressing",
    "final": "last",
}


@dataclass(frozen=True)
class Copy:
    """One article of the corpus: its true story, site, publication time and text."""

    story: int
    site: str
    url: str
    published: datetime
    headline: str
    text: str


def corpus(stories: int, seed: int = 7, tangled: bool = False) -> list[Copy]:
    """`stories` stories with their copies, in publication order."""
    rng = random.Random(seed)
    topics = [_topic(rng) for _ in range(max(1, stories // 8))]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    copies: list[Copy] = []
    story_id = 0
    while story_id < stories:
        topic = rng.choice(topics)
        published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 300))
        original = _story(rng, topic)
        days = 1 + (rng.random() < 0.15) * rng.randint(1, 3)
        for day in range(days):
            if story_id >= stories:
                break
            if day:
                original = _next_day(rng, topic, original)
            when = published + timedelta(days=day)
            copies += _republished(rng, story_id, original, when, tangled)
            story_id += 1
    return sorted(copies, key=lambda copy: copy.published)


def _topic(rng: random.Random) -> dict[str, list[str]]:
    people = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(3)]
    places = rng.sample(_PLACES, 2)
    theme = rng.choice(_THEMES)
    background = [_paragraph(rng, people, places, theme) for _ in range(3)]
    return {"people": people, "places": places, "theme": [theme], "background": background}


def _sentence(rng: random.Random, people: list[str], places: list[str], theme: str) -> str:
    """A sentence of ordinary words around the topic's names: stories share names, not phrasing."""
    words = rng.choices(_WORDS, k=rng.randint(12, 22))
    words[rng.randrange(len(words))] = rng.choice(people)
    words[rng.randrange(len(words))] = rng.choice(places)
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), theme)
    return f"{rng.choice(people)} {rng.choice(_VERBS)} {' '.join(words)}"


def _paragraph(rng: random.Random, people: list[str], places: list[str], theme: str) -> str:
    return ". ".join(_sentence(rng, people, places, theme) for _ in range(rng.randint(2, 3))) + "."


def _story(rng: random.Random, topic: dict[str, list[str]]) -> list[str]:
    paragraphs = [
        _paragraph(rng, topic["people"], topic["places"], topic["theme"][0])
        for _ in range(rng.randint(6, 10))
    ]
    if rng.random() < 0.7:
        paragraphs.insert(rng.randint(2, len(paragraphs)), rng.choice(topic["background"]))
    return paragraphs


def _next_day(rng: random.Random, topic: dict[str, list[str]], previous: list[str]) -> list[str]:
    """A running story's next day: a new top of three paragraphs over most of yesterday's text."""
    fresh = [_paragraph(rng, topic["people"], topic["places"], topic["theme"][0]) for _ in range(3)]
    return fresh + previous[: max(3, len(previous) - 3)]


def _republished(
    rng: random.Random, story: int, paragraphs: list[str], when: datetime, tangled: bool
) -> list[Copy]:
    headline = paragraphs[0].split(" that ")[0]
    count = rng.randint(1, 8)
    sites = rng.sample([f"site{n}.example" for n in range(40)], count)
    result = [Copy(story, sites[0], f"https://{sites[0]}/{story}", when, headline, "\n".join(paragraphs))]
    for site in sites[1:]:
        text = _edited(rng, _excerpt(rng, paragraphs) if tangled else paragraphs)
        later = when + timedelta(minutes=rng.randint(-120 if tangled else 1, 12 * 60))
        result.append(Copy(story, site, f"https://{site}/news/{story}", later, f"{headline}: latest", text))
    return result


def _excerpt(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """A run of 55-80 % of the paragraphs, starting anywhere it fits."""
    size = max(1, round(len(paragraphs) * rng.uniform(0.55, 0.8)))
    start = rng.randint(0, len(paragraphs) - size)
    return paragraphs[start : start + size]


def _edited(rng: random.Random, paragraphs: list[str]) -> str:
    edited = list(paragraphs)
    if rng.random() < 0.5 and len(edited) > 5:
        del edited[-rng.randint(1, 2) :]
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            edited.insert(rng.randint(1, len(edited)), rng.choice(_PROMOS))
    if rng.random() < 0.6:
        edited = [_swap_words(rng, paragraph) for paragraph in edited]
    if rng.random() < 0.2:
        edited.append("Updated: officials added that further talks were planned for next week.")
    return "\n".join(edited)


def _swap_words(rng: random.Random, paragraph: str) -> str:
    words = paragraph.split()
    for _ in range(rng.randint(0, 2)):
        index = rng.randrange(len(words))
        words[index] = _SYNONYMS.get(words[index], words[index])
    return " ".join(words)
