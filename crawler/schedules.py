"""Schedules of the daemon's crawls: a source's schedule string, and the APScheduler jobs that keep it.

APScheduler 3 with its jobs in the corpus database (`SQLAlchemyJobStore`, table `apscheduler_jobs`):
a restart keeps each job's next run time instead of running everything at once. One job per source
(`crawl:<name>`): `max_instances=1` (a slow crawl is never doubled), `coalesce=True` (missed runs
collapse into one) and no misfire grace time: a run missed while the daemon was down runs once when
it starts. With a grace time of 600 s, APScheduler dropped a run missed by longer (one warning line):
a daily source whose daemon restarted a quarter of an hour after its run time went two days between
reads. A job whose schedule is unchanged keeps its next run; a changed one is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, MetaData, Table, inspect, select

from crawler.sources import Source
from storage import make_engine

DEFAULT_SCHEDULE = "every 30m"
JOBS_TABLE = "apscheduler_jobs"
_EVERY = re.compile(r"^every\s+(\d+(?:\.\d+)?)\s*([smhd])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ScheduleError(ValueError):
    """A source's schedule is neither "every N<unit>" nor a five-field cron line."""


def trigger_for(schedule: str | None, jitter: int = 0) -> BaseTrigger:
    """The APScheduler trigger of a schedule string."""
    text = (schedule or DEFAULT_SCHEDULE).strip()
    every = _EVERY.match(text)
    if every:
        seconds = float(every.group(1)) * _UNIT_SECONDS[every.group(2).lower()]
        return IntervalTrigger(seconds=seconds, jitter=jitter or None, timezone=UTC)
    try:
        return CronTrigger.from_crontab(text, timezone=UTC)
    except ValueError as error:
        raise ScheduleError(
            f"schedule {text!r}: use 'every 30m' (s, m, h, d) or a cron line ({error})"
        ) from error


def make_scheduler(db_url: str) -> BackgroundScheduler:
    """A scheduler whose jobs live in the corpus database."""
    jobstore = SQLAlchemyJobStore(engine=make_engine(db_url), tablename=JOBS_TABLE)
    return BackgroundScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


def schedule_sources(
    scheduler: BackgroundScheduler, sources: list[Source], run: Callable[..., Any], config: dict[str, Any]
) -> None:
    """Add a job per source, `run(name=..., config=config)`; keep the stored next run of jobs whose
    schedule did not change. `run` is stored by its import path: it must stay where it is."""
    wanted = {f"crawl:{source.name}": source for source in sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for job_id, source in wanted.items():
        trigger = trigger_for(source.schedule, source.jitter_seconds)
        existing = scheduler.get_job(job_id)
        kwargs = {"name": source.name, "config": config}
        if existing is not None and str(existing.trigger) == str(trigger) and existing.kwargs == kwargs:
            continue
        scheduler.add_job(
            run,
            trigger,
            id=job_id,
            kwargs=kwargs,
            replace_existing=True,
            next_run_time=existing.next_run_time if existing else datetime.now(UTC),
        )


def run_now(scheduler: BackgroundScheduler, names: Iterable[str]) -> None:
    """Run these sources' jobs at once, those scheduled. Each was in a run its daemon died in (kill
    -9, OOM, a power cut): its job's next run was moved to the next slot when that run began, so
    the run it never finished would wait a whole period (a day, for a daily source)."""
    for name in names:
        job = scheduler.get_job(f"crawl:{name}")
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))


def next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Each scheduled source's next run time, read from the job store's table (no scheduler needed)."""
    if not inspect(engine).has_table(JOBS_TABLE):
        return {}
    jobs = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        rows = connection.execute(select(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        job_id.removeprefix("crawl:"): datetime.fromtimestamp(when, UTC) if when is not None else None
        for job_id, when in rows
    }
