"""The `wiredesk` process: its entry point and what Ctrl-C does, wherever it lands.

The commands live in crawler/commands/ (one module per concern); this module stays small and
imports nothing at load, so that a Ctrl-C from the first moment main() runs (during the imports
of click, SQLAlchemy, Scrapy...) is one line and exit status 130, never a traceback.

Ctrl-C, by phase:
- imports, option parsing, a command's own work: Python's KeyboardInterrupt unwinds the command
  (its `finally` blocks run), then one line and 130;
- a crawl's start-up (`exit_at_once_on_interrupt`, until Scrapy installs its own handler when its
  reactor starts): Scrapy and Twisted would swallow a KeyboardInterrupt into a failed crawl, and
  nothing has been fetched yet, so the process ends at once;
- a running crawl: Scrapy stops it cleanly (`crawl` then says how to resume), a second forces;
- a running import: ends at once, as kill -9 would: each batch is committed with its place in
  the file, so the same command resumes there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

# Exit status after Ctrl-C, as shells report a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
INTERRUPTED = "interrupted"
# The process that removes the semaphores a process ended at once leaves behind, and warns.
RESOURCE_TRACKER = "multiprocessing.resource_tracker"


def __getattr__(name: str) -> Any:
    """`from crawler.cli import cli` still gives the command group, loaded on first use (PEP 562):
    importing this module, which the console script does first, stays instant."""
    if name != "cli":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from crawler.commands import cli

    return cli


def say_interrupted(line: str = INTERRUPTED) -> None:
    """The one line Ctrl-C prints, on stderr; a terminal's cursor is shown again (a progress bar hid it)."""
    with suppress(OSError, ValueError):  # a closed pipe: nobody reads stdout any more
        sys.stdout.flush()
    if sys.stderr.isatty():
        sys.stderr.write("\x1b[?25h\n")  # the cursor back, and a new line after the terminal's ^C
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def exit_interrupted(line: str = INTERRUPTED) -> None:
    """Say so in one line and exit 130; `finally` blocks on the way out still run."""
    say_interrupted(line)
    raise SystemExit(EXIT_INTERRUPTED)


@contextmanager
def exit_at_once_on_interrupt(line: str) -> Iterator[None]:
    """Within the block, Ctrl-C prints `line` and ends the process at once, with exit status 130.

    For stretches where a KeyboardInterrupt would be swallowed or half-handled rather than unwind
    cleanly: a crawl's start-up inside Scrapy and Twisted (until Scrapy replaces this handler with its
    own, which stops the crawl cleanly), an import's asyncio loop. Use it only where ending like
    kill -9 loses nothing: open transactions roll back, cleaning workers die with their parent.
    """
    import os
    import signal

    def end_now(signum: int, frame: Any) -> None:
        say_interrupted(line)
        os._exit(EXIT_INTERRUPTED)

    # Semaphores of a process pool are left to multiprocessing's resource tracker, which removes
    # them; its warning about them ("leaked semaphore objects") has nothing for the user to do.
    # The tracker starts with this process's warning options (-W), when the first pool does.
    quiet_tracker = f"ignore::UserWarning:{RESOURCE_TRACKER}"
    if quiet_tracker not in sys.warnoptions:
        sys.warnoptions.append(quiet_tracker)
    previous = signal.signal(signal.SIGINT, end_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main() -> None:
    """Console-script entry point: click's own handling, except that Ctrl-C is one line and exit
    status 130 (as a shell reports SIGINT), where click would say "Aborted!" and exit 1."""
    try:
        status = _run_command()
    except KeyboardInterrupt:  # during the imports, or click's parsing of the command line
        exit_interrupted()
    except BrokenPipeError:
        # The reader went away (`wiredesk sql ... | head`): nothing more to say, and nobody to say it to.
        sys.stderr.close()
        sys.exit(1)
    sys.exit(status)


def _run_command() -> int:
    """The command line's command, run; its exit status. The commands' group turns a Ctrl-C during a
    command into `exit_interrupted`, and the errors users can fix into one-line ClickExceptions."""
    import click

    from crawler.commands import cli

    try:
        status = cli.main(prog_name="wiredesk", standalone_mode=False)
    except click.Abort:  # click's word for a Ctrl-C it caught itself (while parsing)
        raise KeyboardInterrupt from None
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    main()
