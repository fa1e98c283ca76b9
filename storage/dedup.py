"""Which story a new article belongs to.

Exact copies (same normalised-text hash) join the story of the copy already stored.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article


def find_story(session: Session, text_hash: str) -> int | None:
    """The story of a stored article with the same normalised text, if there is one."""
    return session.scalar(select(Article.story_id).where(Article.text_hash == text_hash).limit(1))
