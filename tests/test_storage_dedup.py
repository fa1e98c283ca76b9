"""Stories: exact and near copies join one story; same-topic stories and next-day updates do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from cleaner import CleanArticle
from cleaner.fingerprint import BANDS, minhash, shingles, similarity, text_hash
from storage import Corpus, FetchedPage, Outcome
from storage.containment import CONTAINED, Overlap
from storage.dedup import Fingerprint, jaccard
from storage.models import Article, ArticleUrl, MinhashBand, Revision, Story

T0 = datetime(2023, 12, 1, 10, tzinfo=UTC)
OSCE_2023 = [
    "SKOPJE, North Macedonia (AP) — Russian Foreign Minister Sergey Lavrov delivered a blunt message to "
    "Western leaders Friday and declared at an international security conference that his government was "
    "not prepared to review its goals in Ukraine.",
    "We aren't seeing any signals from Kyiv or its masters about their readiness to seek any kind of "
    "political settlement, Lavrov told reporters while attending the conference in North Macedonia.",
    "North Macedonia, which joined NATO in 2020, waived a flight ban on Russian officials so Lavrov could "
    "attend the two-day meeting of the OSCE's Ministerial Council, prompting the top diplomats of Ukraine, "
    "Estonia, Latvia and Lithuania to skip the event in protest.",
    "Participants at the meeting accused Moscow of undermining the OSCE with its war in Ukraine. The Vienna "
    "based organization, originally created to ease Cold War tensions, includes 57 member countries.",
    "Participants voted to pass the OSCE's rotating presidency from North Macedonia to Malta, sidestepping "
    "objections from Moscow which had blocked an earlier bid by Estonia. Malta will assume the presidency.",
    "OSCE Secretary-General Helga Schmid also had her term extended for nine months, along with two other "
    "senior executives at the organization. A third executive was newly appointed for a nine-month term.",
]
OSCE_2024 = [
    "Russian foreign minister Sergey Lavrov clashed on Thursday indirectly with US secretary of state Antony "
    "Blinken at an annual security meeting, accusing the West of risking escalation over Ukraine.",
    "Speaking at the Organisation for Security and Co-operation in Europe ministerial meeting in Malta, Mr "
    "Lavrov accused the West of reviving the Cold War and provoking a direct conflict with Russia.",
    "Mr Blinken, who spoke after Mr Lavrov left the room, put the blame for escalation in the region "
    "back on Russia, noting that the Russian foreign minister did not stop to listen to other speakers.",
    "Ukraine's foreign minister Andrii Sybiha, who was the first to address the panel, walked out as "
    "Mr Lavrov "
    "took the podium, along with the foreign ministers of Poland and Estonia.",
    "Mr Lavrov attended the event last year in Skopje, North Macedonia, but Poland denied him a visa the "
    "previous year in the wake of Russia's invasion of Ukraine.",
    "Reporters Without Borders called on the OSCE to release 38 journalists detained by Russia, including 19 "
    "Ukrainians arrested in illegally occupied territories.",
]


def store(
    engine: Engine,
    url: str,
    paragraphs: list[str],
    published: datetime,
    fetched: datetime | None = None,
    title: str = "T",
) -> tuple[Outcome, int]:
    fetched_at = fetched or published + timedelta(minutes=5)
    page = FetchedPage(url, url, url, url.split("/")[2], fetched_at, 200, b"<html/>")
    result = Corpus(engine).store(
        page, CleanArticle(text="\n".join(paragraphs), title=title, published=published)
    )
    return result.outcome, result.story_id


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model)) or 0


def test_fingerprints_are_stable_and_fold_typography() -> None:
    text = "\n".join(OSCE_2023)
    assert text_hash(text) == text_hash(text.replace("'", "’").replace(" ", "  ").upper())
    assert (minhash(text) == minhash(text)).all()
    assert similarity(minhash(text), minhash("\n".join(OSCE_2024))) < 0.1


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: p, id="exact copy"),
        pytest.param(lambda p: p[:-1], id="dropped last paragraph"),
        pytest.param(
            lambda p: [p[0], "Advertisement", *p[1:3], "Sign up for our newsletter", *p[3:]], id="promo lines"
        ),
        pytest.param(
            lambda p: [x.replace("Friday", "on Friday").replace("blunt", "stark") for x in p], id="word edits"
        ),
        pytest.param(
            lambda p: [*p, "Associated Press writer Jane Doe in Vienna contributed."], id="added line"
        ),
    ],
)
def test_copies_on_other_sites_join_the_story(engine: Engine, edit: object) -> None:
    _, original = store(engine, "https://apnews.example/article/lavrov-osce", OSCE_2023, T0)
    outcome, story = store(
        engine,
        "https://portal.example/news/lavrov-says",
        edit(OSCE_2023),  # type: ignore[operator]
        T0 + timedelta(hours=2),
        title="Lavrov says goals unchanged",
    )
    assert (outcome, story) == (Outcome.COPY, original)
    assert count(engine, Story) == 1 and count(engine, Article) == 2


def test_same_people_and_places_a_year_later_is_another_story(engine: Engine) -> None:
    _, first = store(engine, "https://apnews.example/article/osce-2023", OSCE_2023, T0)
    outcome, second = store(engine, "https://lbc.example/news/osce-2024", OSCE_2024, T0 + timedelta(days=370))
    assert outcome is Outcome.NEW and second != first


def test_a_running_story_next_day_is_a_new_story(engine: Engine) -> None:
    _, day_one = store(engine, "https://apnews.example/article/osce-day-1", OSCE_2023, T0)
    update = [
        "Lavrov left Skopje on Saturday after the talks ended without a joint statement.",
        "Diplomats said the meeting had at least kept the organization running for another year.",
        *OSCE_2023[:4],
    ]
    outcome, day_two = store(
        engine, "https://apnews.example/article/osce-day-2", update, T0 + timedelta(days=1)
    )
    assert outcome is Outcome.NEW and day_two != day_one


def test_an_update_an_hour_later_on_another_site_is_the_same_story(engine: Engine) -> None:
    _, story = store(engine, "https://apnews.example/article/osce", OSCE_2023, T0)
    later = [*OSCE_2023[:4], "Update: the council later adopted its budget.", *OSCE_2023[4:]]
    assert store(engine, "https://yahoo.example/news/osce.html", later, T0 + timedelta(hours=1)) == (
        Outcome.COPY,
        story,
    )


def test_revision_keeps_old_text_and_reindexes(engine: Engine) -> None:
    url = "https://apnews.example/article/osce"
    store(engine, url, OSCE_2023, T0)
    assert (
        store(engine, url, [*OSCE_2023, "CORRECTION: an earlier version misspelled a name."], T0)[0]
        is Outcome.REVISION
    )
    with engine.connect() as connection:
        assert [n for (n,) in connection.execute(select(Revision.number).order_by(Revision.number))] == [1, 2]
    assert count(engine, MinhashBand) == BANDS + len(Fingerprint.of("\n".join(OSCE_2023)).anchors)


def test_representative_is_the_earliest_then_longest_copy(engine: Engine) -> None:
    store(engine, "https://portal.example/news/osce", OSCE_2023[:-1], T0 + timedelta(hours=1), title="Portal")
    store(
        engine,
        "https://apnews.example/article/osce",
        OSCE_2023,
        T0,
        fetched=T0 + timedelta(hours=3),
        title="AP",
    )
    with engine.connect() as connection:
        title, first = connection.execute(select(Story.title, Story.first_published_at)).one()
        representative = connection.scalar(
            select(Article.site).join(Story, Story.representative_article_id == Article.id)
        )
    assert (representative, title, first) == ("apnews.example", "AP", T0)


def test_duplicate_copy_keeps_its_url_source_and_time(engine: Engine) -> None:
    store(engine, "https://portal.example/news/osce", OSCE_2023, T0)
    store(engine, "https://portal.example/amp/osce", OSCE_2023, T0, fetched=T0 + timedelta(hours=4))
    with engine.connect() as connection:
        seen = connection.execute(
            select(ArticleUrl.url, ArticleUrl.first_seen_at).order_by(ArticleUrl.url)
        ).all()
    assert ("https://portal.example/amp/osce", T0 + timedelta(hours=4)) in seen


_PLACES = ("Vienna", "Skopje", "Valletta", "Tallinn", "Riga", "Vilnius", "Warsaw", "Prague")
_THINGS = ("ferry fares", "rail timetables", "harbour dues", "school meals", "bridge repairs", "tram lines")
TEASERS = [
    f"Most read: council in {place} votes on {thing} after {number} hours of debate"
    for number, (place, thing) in enumerate(zip(_PLACES * 6, _THINGS * 8, strict=False), start=3)
]
"""A page template's furniture: more words than OSCE_2023, so a copy keeping it has Jaccard < 0.5."""


def test_a_copy_that_kept_its_template_joins_the_story(engine: Engine) -> None:
    _, story = store(engine, "https://apnews.example/article/osce", OSCE_2023, T0)
    outcome, copy_story = store(
        engine, "https://portal.example/news/osce", [*OSCE_2023, *TEASERS], T0 + timedelta(hours=2)
    )
    assert jaccard_of(OSCE_2023, [*OSCE_2023, *TEASERS]) < 0.5
    assert (outcome, copy_story) == (Outcome.COPY, story)


SUBSCRIBE = [
    "Subscribe to our newsletter for the best of the week, delivered to your inbox every Friday morning, "
    "free of charge and without any obligation to stay.",
    "Our journalism depends on readers like you: support independent reporting today and get unlimited "
    "access to every article on this site for one low price.",
]
"""Another site's furniture: subscription prose."""


def test_copies_that_each_kept_other_furniture_are_one_story(engine: Engine) -> None:
    original = [*OSCE_2023, *SUBSCRIBE]
    copy = [*OSCE_2023[:5], *TEASERS[:10]]
    overlap = Overlap.of(shingles("\n".join(original)), shingles("\n".join(copy)))
    assert overlap.jaccard < 0.5 and overlap.containment < CONTAINED
    _, story = store(engine, "https://apnews.example/article/osce", original, T0)
    outcome, copy_story = store(engine, "https://portal.example/news/osce", copy, T0 + timedelta(hours=3))
    assert (outcome, copy_story) == (Outcome.COPY, story)


def test_mostly_shared_texts_need_most_of_the_larger_too() -> None:
    assert Overlap(shared=60, smaller=100, larger=150).contained()
    assert not Overlap(shared=60, smaller=100, larger=151).contained()
    assert not Overlap(shared=59, smaller=100, larger=130).contained()
    assert not Overlap(shared=30, smaller=50, larger=60).contained()


def test_a_copy_cut_short_and_its_original_are_one_story(engine: Engine) -> None:
    longer = [*OSCE_2023, *OSCE_2024]
    assert jaccard_of(longer, OSCE_2023[:5]) < 0.5
    _, cut = store(engine, "https://portal.example/news/osce", OSCE_2023[:5], T0 + timedelta(hours=1))
    assert store(engine, "https://apnews.example/article/osce", longer, T0) == (Outcome.COPY, cut)


def test_two_stories_in_one_sites_template_stay_apart(engine: Engine) -> None:
    short = [
        "Malta's harbour authority said on Tuesday that ferry fares would rise by four percent from January, "
        "citing higher fuel costs and new port charges."
    ]
    _, first = store(engine, "https://portal.example/news/1", [*short, *TEASERS], T0)
    long_story = [*OSCE_2024, *OSCE_2023[1:]]
    outcome, second = store(
        engine, "https://portal.example/news/2", [*long_story, *TEASERS], T0 + timedelta(hours=1)
    )
    assert jaccard_of([*short, *TEASERS], [*long_story, *TEASERS]) < 0.5
    assert outcome is Outcome.NEW and second != first


def test_a_text_holding_another_a_day_later_is_another_story(engine: Engine) -> None:
    _, first = store(engine, "https://apnews.example/article/osce", OSCE_2023[:5], T0)
    outcome, second = store(
        engine, "https://portal.example/osce", [*OSCE_2023, *TEASERS], T0 + timedelta(days=1)
    )
    assert outcome is Outcome.NEW and second != first


def test_a_shared_quotation_is_not_a_copy(engine: Engine) -> None:
    _, first = store(engine, "https://apnews.example/article/osce-2024", OSCE_2024, T0)
    quoted = [OSCE_2024[0][:120], *OSCE_2023]
    outcome, second = store(engine, "https://portal.example/osce", quoted, T0 + timedelta(hours=1))
    assert outcome is Outcome.NEW and second != first


def jaccard_of(first: list[str], second: list[str]) -> float:
    return jaccard(shingles("\n".join(first)), shingles("\n".join(second)))
