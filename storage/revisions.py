"""An article's revisions as a batch keeps an older fetch among them (`Kind.OLDER`, storage/batch.py).

A page fetched before the article's latest stored fetch (an old WARC imported, a late replay) is
kept as a revision without becoming the current text: its revisions are then numbered again in
fetch order (`renumber`), and a text already kept for the article is not kept again (`OlderTexts`),
so importing the same old captures twice adds nothing.

A refetch whose text is far shorter than the current one (`withheld`) is kept the same way: a page
answered 200 with a consent wall, a login or paywall stub (the first paragraph and "subscribe to
read on"), or an error page the cleaner still finds text in, used to become the article's current
text. Its raw page and revision are kept (and counted as a revision), the current text stays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select, update

from storage.models import Article, Revision

if TYPE_CHECKING:
    from storage.steps import Stored

logger = logging.getLogger(__name__)
_ARTICLES, _REVISIONS = Article.__table__, Revision.__table__
WITHHELD_BELOW = 0.4
"""A new text under this share of the current text's characters is not made current: publishers
revise by paragraphs, walls and stubs replace nearly all of the article."""
_NUMBER = update(_REVISIONS).where(_REVISIONS.c.id == bindparam("b_id")).values(number=bindparam("b_number"))


def withheld(current: Stored, digest: str, text: str, url: str) -> bool:
    """Whether a refetched text (`digest`) is too short beside the current one to replace it."""
    if (
        current.text_chars is None
        or digest == current.text_hash
        or len(text) >= current.text_chars * WITHHELD_BELOW
    ):
        return False
    logger.warning(
        "%s: its new text is %d characters, the stored one %d: kept, not made current (a consent wall, "
        "a paywall or error page?)",
        url,
        len(text),
        current.text_chars,
    )
    return True


@dataclass
class OlderTexts:
    """The texts each article given an older fetch has kept, read once per batch and article."""

    connection: Connection
    kept: dict[Stored, set[str]] = field(default_factory=dict)
    """By the batch's in-memory article (compared by identity)."""
    renumbered: set[int] = field(default_factory=set)
    """Articles given an older text: their revisions are numbered in fetch order again."""

    def known(self, article: Stored, digest: str) -> bool:
        """Whether the article kept this text already; if not, it counts as kept from now on."""
        if article not in self.kept:
            query = select(_REVISIONS.c.text_hash).where(_REVISIONS.c.article_id == article.id)
            self.kept[article] = set(self.connection.execute(query).scalars()) if article.id else set()
        texts = self.kept[article]
        if digest in texts:
            return True
        texts.add(digest)
        return False

    def finish(self) -> None:
        """Once the batch's revisions are written: number those of the articles given an older text."""
        renumber(self.connection, sorted(self.renumbered))


def renumber(connection: Connection, article_ids: list[int]) -> None:
    """Number these articles' revisions again in fetch order, an older fetch kept among them, the
    current text last.

    Order is fetch time, then insertion (a re-cleaned text follows the fetch it cleans). The
    current text's latest row goes last even when an older fetch is dated after it: the article
    was fetched again since with that text (`last_fetched_at`, a refresh keeps no row), so the
    highest number stays the current text (`articles_latest` joins on it). Numbers first move to
    negatives: the unique (article_id, number) holds at every row.
    """
    if not article_ids:
        return
    current = (_REVISIONS.c.text_hash == _ARTICLES.c.text_hash).label("current")
    query = (
        select(_REVISIONS.c.id, _REVISIONS.c.article_id, _REVISIONS.c.number, current)
        .join(_ARTICLES, _ARTICLES.c.id == _REVISIONS.c.article_id)
        .where(_REVISIONS.c.article_id.in_(article_ids))
        .order_by(_REVISIONS.c.article_id, _REVISIONS.c.fetched_at, _REVISIONS.c.id)
    )
    by_article: dict[int, list[Any]] = {}
    for row in connection.execute(query):
        by_article.setdefault(row.article_id, []).append(row)
    moves: list[dict[str, int]] = []
    for rows in by_article.values():
        last = max((index for index, row in enumerate(rows) if row.current), default=len(rows) - 1)
        ordered = rows[:last] + rows[last + 1 :] + [rows[last]]
        moves += [
            {"b_id": row.id, "b_number": number}
            for number, row in enumerate(ordered, start=1)
            if number != row.number
        ]
    if moves:
        connection.execute(_NUMBER, [{**move, "b_number": -move["b_number"]} for move in moves])
        connection.execute(_NUMBER, moves)
