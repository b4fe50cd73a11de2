"""Pooled PostgreSQL connections with `?` placeholders: what the bot's store (storage.postgres_store) and
the engine's (bot.engine.store_postgres) both stand on.

Connections are in autocommit: a lone statement is its own transaction, and `tx()` begins one explicitly. A
thread inside `tx()` or `read()` keeps its connection for the block, so a repository call nested in another
(a `tx()` in a `tx()`) joins it (as a savepoint) instead of taking a second connection that would wait for
the first's row locks.

Both stores write `?` placeholders (SQLite's); `pg_sql` turns them into psycopg's `%s` (and a literal `%`
into `%%`). Neither has a `?` inside a string literal in its SQL.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

POOL_TIMEOUT_SECONDS = 30.0


@functools.lru_cache(maxsize=1024)
def pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Handle:
    """One connection's `execute` with `?` placeholders (what `tx()` and `read()` yield)."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None, /) -> psycopg.Cursor[Any]:
        # Without parameters psycopg sends the text as it is (a `%` stays a `%`).
        return self.conn.execute(sql if parameters is None else pg_sql(sql), parameters)


class PooledConnections:
    def __init__(self, url: str, *, max_connections: int, name: str, options: str | None = None):
        self._held = threading.local()  # .conn: the connection this thread's open block uses
        kwargs: dict[str, Any] = {"autocommit": True}
        if options:
            kwargs["options"] = options
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs=kwargs,
            open=True,
            name=name,
        )

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            self._held.conn = conn
            try:
                yield conn
            finally:
                self._held.conn = None

    @contextmanager
    def tx(self) -> Iterator[Handle]:
        with self.connection() as conn, conn.transaction():
            yield Handle(conn)

    @contextmanager
    def read(self) -> Iterator[Handle]:
        with self.connection() as conn:
            yield Handle(conn)

    def close(self) -> None:
        self.pool.close()
