"""Opening the database: one connection per process, WAL, migrations applied on open.

One connection guarded by a lock keeps SQLite's single-writer rule simple for the bot's few threads (Bolt's
listener pool, the scheduler and its workers); every statement is short, so the lock is never held for long.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.schema import migrations


class BotStore:
    """The bot's database (the engine's jobs have their own, `bot.engine.store`). Use `store.tx()` for one
    transaction per state change."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit outside `tx()`: a lone statement is its own transaction (no BEGIN/COMMIT round trips,
        # which on the ack path each hand the interpreter lock to another thread), and nothing can leave an
        # implicit transaction open holding SQLite's write lock. `tx()` begins its own.
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            migrations.apply(self.db)

    @contextmanager
    def tx(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._lock, self.db.atomic():
            yield self.db

    def write_one(self, sql: str, params: list[Any]) -> sqlite3.Cursor:
        """One statement, committed on its own (autocommit): the cheapest durable write there is."""
        with self._lock:
            return self.db.conn.execute(sql, params)

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            yield self.db

    def close(self) -> None:
        with self._lock:
            self.db.close()


def open_store(path: Path | str) -> BotStore:
    return BotStore(path)
