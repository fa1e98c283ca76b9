"""One `wiredesk daemon` per corpus database: a lock, and who holds it.

Two daemons on one database would both run every source (everything fetched twice), and the
second would take the first's live runs for a dead daemon's. So a daemon takes this lock before
anything else, and holds it while it runs:

- PostgreSQL: a session advisory lock, keyed by the schema the corpus lives in, held on a
  connection of its own. The server releases it when that connection ends, however the daemon
  dies. The `daemon_lock` row only says who holds it.
- SQLite: the `daemon_lock` row is the lock, taken in a write transaction. Its holder refreshes
  `heartbeat_at` every HEARTBEAT_SECONDS; a row not refreshed for STALE_SECONDS belonged to a
  daemon that died, and is taken over. On the holder's own host a dead pid says so sooner.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from storage.models import DaemonLock as LockRow

HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0
# The first key of wiredesk's daemon advisory lock ("wdmn"); the second is the schema's.
ADVISORY_LOCK_CLASS = 0x77646D6E
_TABLE = LockRow.__table__


@dataclass(frozen=True)
class LockHolder:
    """The daemon that holds the lock, as its row says."""

    host: str
    pid: int
    since: datetime
    heartbeat_at: datetime
    token: str

    def describe(self) -> str:
        age = (datetime.now(UTC) - self.heartbeat_at).total_seconds()
        return (
            f"host {self.host}, pid {self.pid}, since {self.since:%Y-%m-%d %H:%M:%S} UTC, "
            f"last heartbeat {max(age, 0):.0f} s ago"
        )


class LockHeld(RuntimeError):
    """Another daemon holds the lock; the message says who."""

    def __init__(self, holder: LockHolder | None) -> None:
        who = holder.describe() if holder else "a process that has not written its name yet"
        super().__init__(f"another wiredesk daemon runs on this database ({who})")
        self.holder = holder


class DaemonLock:
    """The lock of one database. `acquire()`, then `heartbeat()` regularly, then `release()`."""

    def __init__(self, engine: Engine, name: str = "daemon", stale_after: float = STALE_SECONDS) -> None:
        self.engine = engine
        self.name = name
        self.stale_after = timedelta(seconds=stale_after)
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.since = datetime.now(UTC)
        self._session: Connection | None = None
        """PostgreSQL: the connection that holds the advisory lock."""

    @property
    def postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        """Take the lock; False when another daemon holds it (`holder()` says who)."""
        if self.postgresql:
            return self._acquire_advisory()
        with self.engine.begin() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            holder = self._holder(connection)
            if holder is not None and holder.token != self.token and not self._stale(holder):
                return False
            self._write(connection)
            return True

    def heartbeat(self) -> bool:
        """Say we are alive; False when the lock is no longer ours (taken over, or lost with the server)."""
        if self.postgresql:
            try:
                if self._session is None:
                    raise ConnectionError("no lock connection")
                self._session.execute(self._touch())
                return True
            except (DBAPIError, ConnectionError):
                self._close_session()
                return self._acquire_advisory()
        with self.engine.begin() as connection:
            return connection.execute(self._touch()).rowcount == 1

    def release(self) -> None:
        """Give the lock up (a no-op when it is not ours)."""
        mine = _TABLE.delete().where(_TABLE.c.name == self.name, _TABLE.c.holder == self.token)
        if self.postgresql:
            if self._session is not None:
                self._session.execute(mine)
                self._session.execute(text("SELECT pg_advisory_unlock(:a, :b)"), self._keys(self._session))
                self._close_session()
            return
        with self.engine.begin() as connection:
            connection.execute(mine)

    def holder(self) -> LockHolder | None:
        """Who holds the lock, as the row says (None: nobody, or on SQLite a dead daemon's stale row)."""
        with self.engine.connect() as connection:
            holder = self._holder(connection)
        if holder is None or (not self.postgresql and self._stale(holder)):
            return None
        return holder

    def _acquire_advisory(self) -> bool:
        session = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = session.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"), self._keys(session)
            ).scalar_one()
            if taken:
                self._write(session)
                self._session = session
                return True
        except BaseException:
            session.close()
            raise
        session.close()
        return False

    def _keys(self, connection: Connection) -> dict[str, int]:
        schema = connection.execute(text("SELECT current_database() || '.' || current_schema()")).scalar_one()
        key = zlib.crc32(str(schema).encode())
        return {"a": ADVISORY_LOCK_CLASS, "b": key - 2**32 if key >= 2**31 else key}

    def _close_session(self) -> None:
        if self._session is not None:
            with contextlib.suppress(DBAPIError):
                self._session.close()
            self._session = None

    def _holder(self, connection: Connection) -> LockHolder | None:
        row = connection.execute(select(_TABLE).where(_TABLE.c.name == self.name)).first()
        if row is None:
            return None
        return LockHolder(row.host, row.pid, row.since, row.heartbeat_at, row.holder)

    def _stale(self, holder: LockHolder) -> bool:
        """A holder whose heartbeat stopped: long ago, or (on this host) its process is gone."""
        age = datetime.now(UTC) - holder.heartbeat_at
        if age > self.stale_after:
            return True
        return holder.host == self.host and not _alive(holder.pid) and age.total_seconds() > HEARTBEAT_SECONDS

    def _write(self, connection: Connection) -> None:
        now = datetime.now(UTC)
        values = {"holder": self.token, "host": self.host, "pid": os.getpid(), "since": self.since}
        done = connection.execute(
            update(_TABLE).where(_TABLE.c.name == self.name).values(**values, heartbeat_at=now)
        ).rowcount
        if not done:
            connection.execute(insert(_TABLE).values(name=self.name, **values, heartbeat_at=now))

    def _touch(self) -> object:
        return (
            update(_TABLE)
            .where(_TABLE.c.name == self.name, _TABLE.c.holder == self.token)
            .values(heartbeat_at=datetime.now(UTC))
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True
