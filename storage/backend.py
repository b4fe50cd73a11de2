"""The storage seam: what the repository functions need from a database (`BotStore`), whichever backend it
is (`storage.sqlite_store`, `storage.postgres_store`; `storage.db.open_store` picks one). The repository
modules write their SQL once, with `?` placeholders and the statements both dialects share (`ON CONFLICT …
DO NOTHING`, `RETURNING`); where the dialects differ (the schema, full-text search, the catalog) they ask
`store.dialect` or the store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    """The DB-API cursor both drivers return (sqlite3's and psycopg's)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class Handle(Protocol):
    """What `tx()` and `read()` yield: one connection's `execute`, `?` placeholders on both backends."""

    def execute(self, sql: str, parameters: Any = None, /) -> Any: ...


class BotStore(Protocol):
    """The bot's database. `tx()` is one transaction per state change (committed when the block ends, rolled
    back if it raises; a nested one joins it); `read()` lone statements, each its own transaction."""

    dialect: Dialect

    def tx(self) -> AbstractContextManager[Handle]: ...

    def read(self) -> AbstractContextManager[Handle]: ...

    def write_one(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """One statement committed on its own, off the store's shared connection (the ack path); its rows."""
        ...

    def tables_with_column(self, column: str) -> list[str]:
        """The plain tables (not search indexes) that have `column`."""
        ...

    def pending_migrations(self) -> list[str]: ...

    def leave_checkpoints_to_another_process(self) -> None: ...

    def wake_others(self) -> None:
        """Tell every process listening on this database that rows may be due now (PostgreSQL's NOTIFY; on
        SQLite nothing: the web process wakes its own worker over their pipe)."""
        ...

    def listen(
        self, on_wake: Callable[[], None], channels: Mapping[str, Callable[[str], None]] | None = None
    ) -> bool:
        """Call `on_wake` on every `wake_others()` of any process, and `channels[name](payload)` on every
        notification on another channel of the database (an engine's job statuses), from a thread of the
        store's, until `close()`. False where the backend has no such channel (SQLite)."""
        ...

    def close(self) -> None: ...


def redacted(url: str) -> str:
    """A database URL without its password (for logs, /healthz and the doctor)."""
    head, sep, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{head}{sep}{user}@{place}"


def is_postgres_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)
