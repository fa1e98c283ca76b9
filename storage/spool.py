"""A local on-disk spool for articles that could not be written because the database was down.

Each spooled article is one JSON file (raw page base64-encoded, clean article as a dict), written
atomically (temp file, then rename), so a crash never leaves half a file. `replay()` stores them
through `Corpus` and deletes each file only after its transaction committed: nothing is lost, and
replaying twice stores nothing twice (storing is idempotent per URL and text).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from cleaner import CleanArticle, RemovedBlock
from storage.records import FetchedPage, StoreResult
from storage.repository import Corpus

SPOOL_ENV = "WIREDESK_SPOOL"
DEFAULT_SPOOL = Path(".wiredesk") / "spool"


def spool_dir(path: str | os.PathLike[str] | None, db_url: str) -> Path:
    """The spool of one database: its own folder under the argument, $WIREDESK_SPOOL or .wiredesk/spool.

    One folder per database, so articles meant for one corpus are never replayed into another.
    """
    root = Path(path or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL)
    return root / hashlib.sha256(db_url.encode("utf-8")).hexdigest()[:16]


def spool(directory: Path, page: FetchedPage, article: CleanArticle) -> Path:
    """Write one article to the spool and return its file."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {"page": _page_dict(page), "article": article.to_dict()}
    final = directory / f"{page.fetched_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex}.json"
    temporary = final.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, final)
    return final


def spooled(directory: Path) -> list[Path]:
    """The spooled articles, oldest first."""
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def replay(directory: Path, corpus: Corpus) -> list[StoreResult]:
    """Store every spooled article, deleting each file once stored; stops at the first database error."""
    results = []
    for path in spooled(directory):
        page, article = load(path)
        results.append(corpus.store(page, article))
        path.unlink()
    return results


def load(path: Path) -> tuple[FetchedPage, CleanArticle]:
    """Read one spooled article back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return _page(data["page"]), _article(data["article"])


def _page_dict(page: FetchedPage) -> dict[str, Any]:
    data = asdict(page)
    data["body"] = base64.b64encode(page.body).decode("ascii")
    data["fetched_at"] = page.fetched_at.isoformat()
    return data


def _page(data: dict[str, Any]) -> FetchedPage:
    return FetchedPage(
        **{
            **data,
            "body": base64.b64decode(data["body"]),
            "fetched_at": datetime.fromisoformat(data["fetched_at"]),
        }
    )


def _article(data: dict[str, Any]) -> CleanArticle:
    values: dict[str, Any] = {}
    for field in fields(CleanArticle):
        if field.name not in data:
            continue
        value = data[field.name]
        if field.name in ("published", "modified") and value is not None:
            value = datetime.fromisoformat(value)
        elif field.name == "removed":
            value = [RemovedBlock(**block) for block in value]
        values[field.name] = value
    return CleanArticle(**values)
