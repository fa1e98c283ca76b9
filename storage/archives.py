"""How far each WARC import got: one row per file in `warc_imports`, moved with the articles it stored.

`wiredesk import` stores a file's records in batches; each batch's transaction also moves the
file's `next_offset` past the batch's last record (`progress_step`, run inside `Corpus.store_many`).
So the offset never says more than what is committed, and never less: an import killed with kill -9
resumes at the first record whose articles were not committed, and stores nothing twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from storage.keyset import Report, Unreadable, read_rows
from storage.models import Page, WarcImport

_IMPORTS = WarcImport.__table__


@dataclass(frozen=True)
class ImportState:
    """Where an import of one file stands."""

    next_offset: int
    records: int
    finished: bool


def begin_import(engine: Engine, name: str) -> ImportState:
    """The file's state, its row created when it was never imported; a finished file stays finished."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(select(_IMPORTS).where(_IMPORTS.c.name == name)).first()
        if row is None:
            connection.execute(
                insert(_IMPORTS).values(name=name, next_offset=0, records=0, started_at=now, updated_at=now)
            )
            return ImportState(0, 0, False)
        return ImportState(row.next_offset, row.records, row.finished_at is not None)


def progress_step(name: str, next_offset: int, records: int) -> Callable[[Connection], None]:
    """A statement for the batch's transaction: the file is imported up to `next_offset`."""

    def record(connection: Connection) -> None:
        connection.execute(
            update(_IMPORTS)
            .where(_IMPORTS.c.name == name)
            .values(next_offset=next_offset, records=records, updated_at=datetime.now(UTC))
        )

    return record


def finish_import(engine: Engine, name: str, size: int | None) -> None:
    """Every record of the file was read and its articles committed: later imports skip it."""
    with engine.begin() as connection:
        connection.execute(
            update(_IMPORTS).where(_IMPORTS.c.name == name).values(finished_at=datetime.now(UTC), size=size)
        )


def import_states(engine: Engine) -> dict[str, ImportState]:
    """Every file ever imported, by name."""
    with engine.connect() as connection:
        rows = connection.execute(select(_IMPORTS))
        return {
            row.name: ImportState(row.next_offset, row.records, row.finished_at is not None) for row in rows
        }


@dataclass(frozen=True)
class RawPage:
    """A stored raw page, as `wiredesk export --format warc` writes it."""

    url: str
    final_url: str
    source: str
    fetched_at: datetime
    http_status: int
    content_type: str | None
    body: bytes


def raw_pages(
    engine: Engine, unreadable: Report, since: datetime | None = None, source: str | None = None
) -> Iterator[RawPage]:
    """Every raw page kept (failed ones too: a better cleaner may read them), oldest first, streamed.

    A page that cannot be read (its row, or its compressed body) goes to `unreadable` and is skipped.
    """
    query = select(Page)
    if since is not None:
        query = query.where(Page.fetched_at >= since)
    if source is not None:
        query = query.where(Page.source == source)
    with engine.connect() as connection:
        for rows in read_rows(connection, query, Page.__table__.c.id, 500, unreadable):
            for row in rows:
                try:
                    body = zlib.decompress(row.body_zlib)
                except zlib.error as error:
                    unreadable(Unreadable(row.id, f"body not zlib: {error}"))
                    continue
                yield RawPage(
                    row.url,
                    row.final_url,
                    row.source,
                    row.fetched_at,
                    row.http_status,
                    row.content_type,
                    body,
                )


def count_raw_pages(engine: Engine, since: datetime | None = None, source: str | None = None) -> int:
    """How many pages `raw_pages` yields, for a progress bar."""
    query = select(func.count()).select_from(Page)
    if since is not None:
        query = query.where(Page.fetched_at >= since)
    if source is not None:
        query = query.where(Page.source == source)
    with engine.connect() as connection:
        return connection.scalar(query) or 0
