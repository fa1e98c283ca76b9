"""A local on-disk spool for articles that could not be written because the database was down.

Only that: an article that failed for any other reason never comes here (`Corpus.store_many`
fails such a page alone and keeps it in `pages` as failed). Each spooled article is one JSON file
(raw page base64-encoded, clean article as a dict, ASCII only), written atomically (temp file,
then rename), so a crash never leaves half a file. `replay()` stores each on its own through
`Corpus` and deletes its file only after its transaction committed: nothing is lost, and replaying
twice stores nothing twice (storing is idempotent per URL and text). An entry that cannot be read
or stored moves to `quarantine/` beside a `.reason` file, and the others go on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cleaner import CleanArticle, RemovedBlock
from storage.engine import database_away, one_line
from storage.records import FetchedPage, Outcome, StoreResult
from storage.repository import Corpus, StoreInterrupted

SPOOL_ENV = "WIREDESK_SPOOL"
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
DEFAULT_SPOOL = Path(".wiredesk") / "spool"
QUARANTINE = "quarantine"
"""The spool's subfolder for entries that could not be read or stored, each beside its `.reason`."""


def spool_dir(path: str | os.PathLike[str] | None, db_url: str) -> Path:
    """The spool of one database: its own folder under the argument, $WIREDESK_SPOOL or .wiredesk/spool.

    One folder per database, so articles meant for one corpus are never replayed into another; and
    one per database however its URL is written (`database_identity`), so a crawl that spooled
    under `postgresql+psycopg://crawler:pw@db/news` is replayed by `wiredesk replay --db
    postgresql://crawler@db:5432/news`. The folder was named after the URL as written: articles
    spooled under that name move to the new folder the first time it is asked for.
    """
    root = Path(path or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL)
    directory = root / _folder_name(database_identity(db_url))
    _adopt(root / _folder_name(db_url), directory)
    return directory


def database_identity(db_url: str) -> str:
    """What names one database whatever its URL's spelling: the backend without the driver, the
    user, host, port (the default when none is given), database and query (`options` may name
    the corpus's schema), no password; a SQLite file by its absolute path. An unparseable URL
    stands for itself."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return db_url
    backend = url.get_backend_name()
    database = url.database or ""
    if backend == "sqlite":
        in_memory = database in ("", ":memory:") or database.startswith("file:")
        return f"sqlite:{database if in_memory else Path(database).resolve()}"
    port = url.port or _DEFAULT_PORTS.get(backend)
    query = sorted((key, str(value)) for key, value in url.query.items())
    return f"{backend}://{url.username or ''}@{(url.host or '').lower()}:{port or ''}/{database}?{query}"


def _folder_name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _adopt(old: Path, new: Path) -> None:
    """Move the entries (and the quarantine) of a spool folder named the old way into the new one."""
    if old == new or not old.is_dir():
        return
    for entry in [*old.glob("*.json"), *old.glob(f"{QUARANTINE}/*")]:
        target = new / entry.relative_to(old)
        target.parent.mkdir(parents=True, exist_ok=True)
        entry.replace(target)


def spool(directory: Path, page: FetchedPage, article: CleanArticle) -> Path:
    """Write one article to the spool and return its file; OSError (disk full...) leaves no file."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {"page": _page_dict(page), "article": article.to_dict()}
    final = directory / f"{page.fetched_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex}.json"
    temporary = final.with_suffix(".tmp")
    try:
        # ASCII: a lone surrogate from a page is written as an escape, not refused by the encoder.
        temporary.write_text(json.dumps(data), encoding="ascii")
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final


def spooled(directory: Path) -> list[Path]:
    """The spooled articles, oldest first."""
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


@dataclass
class Replayed:
    """What one spooled article became: stored (`result`), or quarantined (`problem` says why)."""

    path: Path
    url: str | None
    result: StoreResult | None = None
    problem: str | None = None


@dataclass
class ReplayReport:
    """A replay, entry by entry; `stopped` says why it stopped early (the database went away)."""

    entries: list[Replayed] = field(default_factory=list)
    stopped: str | None = None

    @property
    def stored(self) -> list[StoreResult]:
        return [entry.result for entry in self.entries if entry.result is not None]

    @property
    def quarantined(self) -> list[Replayed]:
        return [entry for entry in self.entries if entry.problem is not None]


def replay(directory: Path, corpus: Corpus) -> ReplayReport:
    """Store each spooled article on its own, deleting its file once stored.

    An entry that cannot be read, or whose page fails to store, is quarantined with the reason and
    the others go on; the replay stops when the database goes away (`stopped`), the rest kept.
    """
    report = ReplayReport()
    for path in spooled(directory):
        try:
            report.entries.append(_replay_one(path, corpus))
        except StoreInterrupted as error:
            report.stopped = str(error)
            break
    return report


def _replay_one(path: Path, corpus: Corpus) -> Replayed:
    """Store one entry; StoreInterrupted when the database is away."""
    try:
        page, article = load(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        return Replayed(path, None, problem=quarantine(path, f"unreadable: {one_line(error)}"))
    try:
        result = corpus.store(page, article)
    except StoreInterrupted:
        raise
    except Exception as error:
        if database_away(error):
            raise StoreInterrupted([None], error) from error
        result = StoreResult(Outcome.FAILED, error=one_line(error))
    if result.outcome is Outcome.FAILED:
        return Replayed(path, page.url, problem=quarantine(path, result.error or "not stored"))
    path.unlink()
    return Replayed(path, page.url, result=result)


def quarantine(path: Path, reason: str) -> str:
    """Move a spool entry out of the way, into `quarantine/`, with the reason beside it.

    Returns the reason, with why the entry stayed where it was if it could not be moved.
    """
    folder = path.parent / QUARANTINE
    try:
        folder.mkdir(exist_ok=True)
        (folder / path.name).with_suffix(".reason").write_text(reason + "\n", encoding="utf-8")
        path.replace(folder / path.name)
    except OSError as error:
        return f"{reason} (left in the spool: cannot quarantine it: {one_line(error)})"
    return reason


def quarantined(directory: Path) -> list[Path]:
    """The entries set aside by earlier replays."""
    folder = directory / QUARANTINE
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load(path: Path) -> tuple[FetchedPage, CleanArticle]:
    """Read one spooled article back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return _page(data["page"]), _article(data["article"])


def _page_dict(page: FetchedPage) -> dict[str, Any]:
    data = {member.name: getattr(page, member.name) for member in fields(FetchedPage)}  # not a subclass's
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
    for member in fields(CleanArticle):
        if member.name not in data:
            continue
        value = data[member.name]
        if member.name in ("published", "modified") and value is not None:
            value = datetime.fromisoformat(value)
        elif member.name == "removed":
            value = [RemovedBlock(**block) for block in value]
        values[member.name] = value
    return CleanArticle(**values)
