"""The PostgreSQL backend: psycopg 3 with a connection pool (the optional extra `[postgres]`).

Imported only when the database URL says PostgreSQL (storage.db.open_store), so `import bot` and the embedded
default never load psycopg. Connections (autocommit, pooled, a nested block joining its thread's
connection, `?` placeholders) are storage.pg_connections', shared with the engine's store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from storage import postgres_schema
from storage.backend import Dialect
from storage.pg_connections import Handle, PooledConnections

log = logging.getLogger(__name__)

# Per process: the ack path's INSERTs, the pipeline's steps (4 workers), the tick and housekeeping. Beyond
# it a caller waits for a connection (up to pg_connections.POOL_TIMEOUT_SECONDS) instead of opening more.
POOL_MAX = 8
WAKE_CHANNEL = "symbl_bot_due"
LISTEN_RETRY_SECONDS = 1.0  # a lost listening connection is opened again after this (the 1 s tick covers)


class PostgresStore:
    dialect: Dialect = "postgres"

    def __init__(self, url: str, *, max_connections: int = POOL_MAX):
        self.url = url
        self._closing = threading.Event()
        self._listener: threading.Thread | None = None
        self._connections = PooledConnections(url, max_connections=max_connections, name="symbl-bot")
        with self._connections.connection() as conn:
            postgres_schema.apply(conn)

    def tx(self) -> AbstractContextManager[Handle]:
        return self._connections.tx()

    def read(self) -> AbstractContextManager[Handle]:
        return self._connections.read()

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
        with self._connections.connection() as conn:
            return postgres_schema.pending(conn)

    def wake_others(self) -> None:
        with self.read() as db:
            db.execute(f"NOTIFY {WAKE_CHANNEL}")

    def listen(
        self, on_wake: Callable[[], None], channels: Mapping[str, Callable[[str], None]] | None = None
    ) -> bool:
        """A connection of its own (not the pool's: LISTEN belongs to a session) waits for notifications."""
        handlers: dict[str, Callable[[str], None]] = {WAKE_CHANNEL: lambda _: on_wake(), **(channels or {})}
        self._listener = threading.Thread(
            target=self._listen, args=(handlers,), name="db-listen", daemon=True
        )
        self._listener.start()
        return True

    def _listen(self, handlers: Mapping[str, Callable[[str], None]]) -> None:
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    for channel in handlers:
                        conn.execute(f"LISTEN {channel}")
                    while not self._closing.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            try:
                                handlers[notice.channel](notice.payload)
                            except Exception:  # one bad notice must not end the listening
                                log.exception("handling a notification on %s failed", notice.channel)
            except psycopg.Error as err:
                log.warning("database notifications lost (%s); the tick still polls", err.__class__.__name__)
                self._closing.wait(LISTEN_RETRY_SECONDS)

    def leave_checkpoints_to_another_process(self) -> None:
        """Nothing to do: PostgreSQL's checkpointer is a server process, not a client's commit."""

    def close(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._listener.join(5)
        self._connections.close()
