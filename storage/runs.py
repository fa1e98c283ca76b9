"""The record of crawl runs (`crawl_runs`): written by the daemon, read by `wiredesk runs` and `status`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from storage.models import CrawlRun


@dataclass(frozen=True)
class RunFigures:
    """What a `crawl_runs` row keeps of a run's report (`CrawlReport.figures`, the keys `--report`
    writes): typed once, where the figures arrive from the crawl's process as JSON. A run killed
    before it reported has none: zeros."""

    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    revisions: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, figures: Mapping[str, Any]) -> RunFigures:
        """The figures a run record keeps, out of a report's (which holds more)."""
        return cls(**{name.name: figures[name.name] for name in fields(cls) if name.name in figures})


def start_run(engine: Engine, source: str) -> int:
    """Record a run as started ("running"), so a daemon killed mid-run leaves a trace."""
    with Session(engine) as session, session.begin():
        run = CrawlRun(source=source, started_at=datetime.now(UTC), outcome="running", errors={})
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    engine: Engine, run_id: int, outcome: str, figures: RunFigures, message: str | None = None
) -> None:
    """Record how a run ended, with its figures."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(
                finished_at=datetime.now(UTC),
                outcome=outcome,
                pages_fetched=figures.fetched,
                articles_new=figures.new,
                duplicates=figures.duplicates,
                revisions=figures.revisions,
                errors=figures.errors,
                message=message,
            )
        )


def running_sources(engine: Engine) -> set[str]:
    """The sources of runs still "running": at daemon start (holding the daemon lock), the runs a
    dead daemon was in, which `abandon_running` then marks."""
    with Session(engine) as session:
        return set(session.scalars(select(CrawlRun.source).where(CrawlRun.outcome == "running")))


def abandon_running(engine: Engine) -> int:
    """At daemon start: runs still "running" belong to a daemon that died; say so."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(CrawlRun)
            .where(CrawlRun.outcome == "running")
            .values(
                outcome="interrupted",
                finished_at=datetime.now(UTC),
                message="the daemon stopped during the run",
            )
        )
        return result.rowcount or 0


def list_runs(
    engine: Engine, source: str | None = None, failed: bool = False, limit: int = 50
) -> list[CrawlRun]:
    """Recent runs, newest first."""
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    if source is not None:
        query = query.where(CrawlRun.source == source)
    if failed:
        query = query.where(CrawlRun.outcome != "finished")
    with Session(engine) as session:
        return list(session.scalars(query))


def last_runs(engine: Engine) -> dict[str, CrawlRun]:
    """The latest run of each source."""
    latest = select(CrawlRun.source, func.max(CrawlRun.id).label("id")).group_by(CrawlRun.source).subquery()
    with Session(engine) as session:
        rows = session.scalars(select(CrawlRun).join(latest, latest.c.id == CrawlRun.id))
        return {run.source: run for run in rows}
