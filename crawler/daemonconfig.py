"""What the daemon's parts share: its configuration, and its log lines (one event a line on stderr)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class DaemonConfig:
    """What every scheduled crawl needs; plain values, so APScheduler can store them with the jobs."""

    db_url: str
    sources_file: str | None
    crawl_timeout: float = 3600.0
    grace: float = 30.0
    overrides: list[str] = field(default_factory=list)
    log_format: str = "text"


def log_event(fmt: str, event: str, **fields: Any) -> None:
    """One line per event on stderr: JSON with --log-format json, else key=value."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if fmt == "json":
        line = json.dumps({"time": stamp, "event": event, **fields}, default=str)
    else:
        line = f"{stamp} {event} " + " ".join(f"{key}={value}" for key, value in fields.items())
    print(line, file=sys.stderr, flush=True)
