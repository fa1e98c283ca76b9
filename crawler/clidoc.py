"""`docs/cli-reference.md`, written from the commands' own --help, so the two never disagree.

    python -m crawler.clidoc > docs/cli-reference.md

`tests/test_cli.py` checks that the file is what this prints (the habit of sqlite-utils, whose docs
are generated from its --help with cog).
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from crawler.commands import cli

WIDTH = 100
HEADER = """# wiredesk command reference

Generated from each command's `--help` by `python -m crawler.clidoc > docs/cli-reference.md`
(a test checks it is current). Output formats, the search syntax, errors and exit statuses are
explained in `docs/cli.md`.
"""


def help_pages(command: click.Command = cli, parent: click.Context | None = None) -> Iterator[str]:
    """One Markdown section per command and subcommand, in the order --help lists them."""
    if parent is None:
        context = cli.make_context("wiredesk", ["--help"], resilient_parsing=True)
        context.terminal_width = context.max_content_width = WIDTH
    else:
        context = click.Context(command, info_name=command.name, parent=parent)
    yield f"## {context.command_path}\n\n```\n{command.get_help(context)}\n```\n"
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            yield from help_pages(command.commands[name], context)


def reference() -> str:
    """The whole of docs/cli-reference.md."""
    return "\n".join([HEADER, *help_pages()])


if __name__ == "__main__":
    print(reference(), end="")
