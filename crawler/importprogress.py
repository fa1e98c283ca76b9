"""What `wiredesk import` shows while it reads: a bar per file on a terminal, nothing elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit


class ProgressSink(Protocol):
    """Told what is being read, so a bar can show bytes done of the total (when the size is known)."""

    def start_file(self, name: str, total: int | None, done: int) -> None: ...

    def advance_to(self, done: int) -> None: ...

    def end_file(self) -> None: ...


class NoProgress:
    def start_file(self, name: str, total: int | None, done: int) -> None:
        """Nothing shown."""

    def advance_to(self, done: int) -> None:
        """Nothing shown."""

    def end_file(self) -> None:
        """Nothing shown."""


class ProgressBar:
    """A rich bar per file on a terminal: bytes done of the total (when known), speed, time left."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task: Any = None

    def start_file(self, name: str, total: int | None, done: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(Path(urlsplit(name).path).name or name, total=total, completed=done)

    def advance_to(self, done: int) -> None:
        self._bar.update(self._task, completed=done)

    def end_file(self) -> None:
        self._bar.remove_task(self._task)
        self._bar.stop()
