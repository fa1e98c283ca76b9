"""An article's revisions as a batch keeps an older fetch among them (`Kind.OLDER`, storage/batch.py).

A page fetched before the article's latest stored fetch (an old WARC imported, a late replay) is
kept as a revision without becoming the current text: its revisions are then numbered again in
fetch order (`renumber`), and a text already kept for the article is not kept again (`OlderTexts`),
so importing the same old captures twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from storage.models import Revision

if TYPE_CHECKING:
    from storage.batch import Stored

_REVISIONS = Revision.__table__
_NUMBER = update(_REVISIONS).where(_REVISIONS.c.id == bindparam("b_id")).values(number=bindparam("b_number"))


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
    """Number these articles' revisions again in fetch order, an older fetch kept among them.

    Order is fetch time, then insertion (a re-cleaned text follows the fetch it cleans), so the
    highest number stays the current text (`articles_latest` joins on it). Numbers first move to
    negatives: the unique (article_id, number) holds at every row.
    """
    if not article_ids:
        return
    query = (
        select(_REVISIONS.c.id, _REVISIONS.c.article_id, _REVISIONS.c.number)
        .where(_REVISIONS.c.article_id.in_(article_ids))
        .order_by(_REVISIONS.c.article_id, _REVISIONS.c.fetched_at, _REVISIONS.c.id)
    )
    numbered: dict[int, int] = {}
    moves: list[dict[str, int]] = []
    for row in connection.execute(query):
        numbered[row.article_id] = number = numbered.get(row.article_id, 0) + 1
        if number != row.number:
            moves.append({"b_id": row.id, "b_number": number})
    if moves:
        connection.execute(_NUMBER, [{**move, "b_number": -move["b_number"]} for move in moves])
        connection.execute(_NUMBER, moves)
