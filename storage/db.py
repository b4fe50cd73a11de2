"""Opening the bot's database: `open_store(target)` picks the backend from the target.

A path opens the embedded SQLite file (`storage.sqlite_store`), a `postgresql://` URL a PostgreSQL database
through psycopg 3 (`storage.postgres_store`, imported only then: psycopg is an optional extra). What either
offers is `storage.backend.BotStore`.
"""

from __future__ import annotations

from pathlib import Path

from storage.backend import BotStore, Handle, is_postgres_url, redacted

__all__ = ["BotStore", "Handle", "open_store", "redacted"]


def open_store(target: Path | str) -> BotStore:
    """The store for a SQLite file path or a PostgreSQL URL, migrated to the current schema."""
    if is_postgres_url(target):
        from storage.postgres_store import PostgresStore

        return PostgresStore(str(target))
    from storage.sqlite_store import SqliteStore

    return SqliteStore(target)
