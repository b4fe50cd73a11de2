"""The PostgreSQL backend: psycopg 3 with a connection pool (the optional extra `[postgres]`).

Imported only when the database URL says PostgreSQL (storage.db.open_store), so `import bot` and the embedded
default never load psycopg. Connections are in autocommit: a lone statement is its own transaction, and
`tx()` begins one explicitly. A thread inside `tx()` or `read()` keeps its connection for the block, so a
repository call nested in another (a `tx()` in a `tx()`) joins it (as a savepoint) instead of taking a
second connection that would wait for the first's row locks.

The repository modules write `?` placeholders (SQLite's); `_pg_sql` turns them into psycopg's `%s` (and a
literal `%` into `%%`). None of the bot's SQL has a `?` inside a string literal.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from storage import postgres_schema
from storage.backend import Dialect

log = logging.getLogger(__name__)

# Per process: the ack path's INSERTs, the pipeline's steps (4 workers), the tick and housekeeping. Beyond
# it a caller waits for a connection (up to POOL_TIMEOUT_SECONDS) instead of opening more.
POOL_MAX = 8
POOL_TIMEOUT_SECONDS = 30.0
WAKE_CHANNEL = "symbl_bot_due"
LISTEN_RETRY_SECONDS = 1.0  # a lost listening connection is opened again after this (the 1 s tick covers)


@functools.lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _Handle:
    """One connection's `execute` with `?` placeholders (what `tx()` and `read()` yield)."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None, /) -> psycopg.Cursor[Any]:
        # Without parameters psycopg sends the text as it is (a `%` stays a `%`).
        return self.conn.execute(sql if parameters is None else _pg_sql(sql), parameters)


class PostgresStore:
    dialect: Dialect = "postgres"

    def __init__(self, url: str, *, max_connections: int = POOL_MAX):
        self.url = url
        self._held = threading.local()  # .conn: the connection this thread's open block uses
        self._closing = threading.Event()
        self._listener: threading.Thread | None = None
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs={"autocommit": True},
            open=True,
            name="symbl-bot",
        )
        with self._pool.connection() as conn:
            postgres_schema.apply(conn)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            self._held.conn = conn
            try:
                yield conn
            finally:
                self._held.conn = None

    @contextmanager
    def tx(self) -> Iterator[_Handle]:
        with self._connection() as conn, conn.transaction():
            yield _Handle(conn)

    @contextmanager
    def read(self) -> Iterator[_Handle]:
        with self._connection() as conn:
            yield _Handle(conn)

    def write_one(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self.read() as db:
            cursor = db.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def tables_with_column(self, column: str) -> list[str]:
        with self.read() as db:
            rows = db.execute(
                "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE c.table_schema = "
                "current_schema() AND t.table_type = 'BASE TABLE' AND c.column_name = ? ORDER BY 1",
                [column],
            ).fetchall()
        return [r[0] for r in rows]

    def pending_migrations(self) -> list[str]:
        with self._connection() as conn:
            return postgres_schema.pending(conn)

    def wake_others(self) -> None:
        with self.read() as db:
            db.execute(f"NOTIFY {WAKE_CHANNEL}")

    def listen(self, on_wake: Callable[[], None]) -> bool:
        """A connection of its own (not the pool's: LISTEN belongs to a session) waits for notifications."""
        self._listener = threading.Thread(target=self._listen, args=(on_wake,), name="db-listen", daemon=True)
        self._listener.start()
        return True

    def _listen(self, on_wake: Callable[[], None]) -> None:
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    while not self._closing.is_set():
                        for _notice in conn.notifies(timeout=1.0):
                            on_wake()
            except psycopg.Error as err:
                log.warning("database notifications lost (%s); the tick still polls", err.__class__.__name__)
                self._closing.wait(LISTEN_RETRY_SECONDS)

    def leave_checkpoints_to_another_process(self) -> None:
        """Nothing to do: PostgreSQL's checkpointer is a server process, not a client's commit."""

    def close(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._listener.join(5)
        self._pool.close()
