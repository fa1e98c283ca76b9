"""The `wiredesk` command group: each command is a thin click wrapper over a library function.

Commands live by concern: crawling.py (crawl, worker, demo, import), reading.py (sql, search, page,
export), cleaning.py (clean, reclean), scheduling.py (daemon, runs, status), admin.py (sources, db,
replay, serve); common.py holds the shared options and the one error handler (CommandGroup). A new
command goes into the module of its concern and is added to COMMANDS below; then regenerate
docs/cli-reference.md with `python -m crawler.clidoc > docs/cli-reference.md`.

Heavy modules (Scrapy, the spiders, the pipelines, the cleaner, Redis, pyarrow) are imported inside
the commands that need them: `wiredesk sql` and `wiredesk --help` start without them.
"""

from __future__ import annotations

import click

from crawler.commands import admin, cleaning, crawling, reading, scheduling
from crawler.commands.common import CommandGroup

COMMANDS: list[click.Command] = [
    crawling.crawl,
    crawling.worker,
    crawling.demo,
    crawling.import_command,
    reading.sql,
    reading.search_command,
    reading.page_command,
    reading.export,
    cleaning.clean_command,
    cleaning.reclean_command,
    scheduling.daemon,
    scheduling.runs,
    scheduling.status,
    admin.sources,
    admin.db,
    admin.replay,
    admin.serve_command,
]


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wiredesk")
def cli() -> None:
    """Collect wire news stories, strip the boilerplate, keep a clean deduplicated corpus in SQL."""


for command in COMMANDS:
    cli.add_command(command)
