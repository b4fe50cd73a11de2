"""The SQLite backend (the embedded default): WAL, migrations applied on open, one locked connection for reads
and transactions.

One connection guarded by a lock keeps SQLite's single-writer rule simple for the bot's few threads (Bolt's
listener pool, the scheduler and its workers); every statement is short, so the lock is never held for long.
The one exception is `write_one`, the ack path's INSERT, which has connections of its own (see there).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.backend import Dialect
from storage.schema import migrations


class SqliteStore:
    """The bot's database in one SQLite file (the engine's jobs have their own, `bot.engine.store`)."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit outside `tx()`: a lone statement is its own transaction (no BEGIN/COMMIT round trips,
        # which on the ack path each hand the interpreter lock to another thread), and nothing can leave an
        # implicit transaction open holding SQLite's write lock. `tx()` begins its own.
        self._auto_checkpoint = True
        self.db = sqlite_utils.Database(self._connect())
        self._lock = threading.RLock()
        self._holder = threading.local()  # .depth: how deep this thread is inside the store's lock
        self._writers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_writers: list[sqlite3.Connection] = []  # to close; appended under _writers_lock
        self._writers_lock = threading.Lock()  # not the store's: a new writer must not wait for a transaction
        self.db.enable_wal()
        with self._locked():
            migrations.apply(self.db)

    def _connect(self) -> sqlite3.Connection:
        """A connection set up like every other of this store (the locked one and the pooled writers)."""
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")
        if not self._auto_checkpoint:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        return conn

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            self._holder.depth = getattr(self._holder, "depth", 0) + 1
            try:
                yield
            finally:
                self._holder.depth -= 1

    def leave_checkpoints_to_another_process(self) -> None:
        """No automatic WAL checkpoints on this store's connections: another process (the worker) runs them.

        A checkpoint copies the WAL into the database with an fsync, ~20 ms every few hundred rows, inside
        whichever write crossed the threshold: on the web process's connections, an ack. Call it before the
        first write."""
        self._auto_checkpoint = False
        with self._locked():
            self.db.execute("PRAGMA wal_autocheckpoint = 0")

    @contextmanager
    def tx(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._locked(), self.db.atomic():
            yield self.db

    def write_one(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """One statement, committed on its own (autocommit): the cheapest durable write there is.

        It runs on a connection taken from a pool, not under the store's lock. Under concurrent requests
        SQLite hands the interpreter lock to another thread during the statement, and getting it back can
        take the whole 5 ms switch interval. A thread holding the store's lock meanwhile made every other
        request queue behind it (p99 1.6–2.6× the bare Bolt app's when 50 events arrived at once, bench
        `--arrival at-once`). Across connections SQLite's own file lock serializes the writers, and a writer
        that finds it taken waits outside the interpreter. Each connection's rowcount and lastrowid belong
        to one writer at a time. Inside `tx()` or `read()` the statement joins that connection instead: a
        second connection would wait for the lock the same thread holds."""
        if getattr(self._holder, "depth", 0):
            return self.db.conn.execute(sql, params).fetchall()
        try:
            conn = self._writers.get_nowait()
        except queue.Empty:
            conn = self._new_writer()
        try:
            # Fetched here: a RETURNING statement completes (and commits) only once its rows are read.
            return conn.execute(sql, params).fetchall()
        finally:
            self._writers.put(conn)

    def _new_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        with self._writers_lock:
            self._all_writers.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        with self._locked():
            yield self.db

    def tables_with_column(self, column: str) -> list[str]:
        with self._locked():
            # Plain tables only: full-text indexes follow their content table through its triggers.
            names = [
                r[0]
                for r in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return [n for n in names if column in {c.name for c in self.db[n].columns}]

    def wake_others(self) -> None:
        """Nothing: one machine, and the web process wakes its own worker over their pipe."""

    def listen(
        self, on_wake: Callable[[], None], channels: Mapping[str, Callable[[str], None]] | None = None
    ) -> bool:
        return False

    def pending_migrations(self) -> list[str]:
        with self._locked():
            return [m.name for m in migrations.pending(self.db)]

    def close(self) -> None:
        with self._locked(), self._writers_lock:
            for conn in self._all_writers:
                conn.close()
            self.db.close()
