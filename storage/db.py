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

import sqlite_utils

from storage.schema import migrations


class BotStore:
    """The bot's database (the engine's jobs have their own, `bot.engine.store`). Use `store.tx()` for one
    transaction per state change."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
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

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            yield self.db

    def close(self) -> None:
        with self._lock:
            self.db.close()


def open_store(path: Path | str) -> BotStore:
    return BotStore(path)
