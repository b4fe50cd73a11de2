"""The engine store in PostgreSQL (psycopg 3, the optional extra `[postgres]`): any number of engine API
nodes share conversations, jobs, results and tokens.

Imported only when SYMBL_ENGINE_DATABASE_URL is set (bot.engine.store), so `import bot` and the SQLite
default never load psycopg. The tables live in their own schema, `engine` (every connection's search_path),
so the engine can share the bot's database without a name of one meeting a name of the other.

The schema history is numbered migrations, applied in one transaction under an advisory lock: nodes starting
at once take turns, the first applies what is pending, the others find nothing left. Append migrations; never
edit an applied one.

Connections (pooled, `?` placeholders, a nested block joining its thread's connection) are
storage.pg_connections', shared with the bot's store.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import psycopg

from storage.pg_connections import Handle, PooledConnections
from storage.postgres_schema import run_pending

SCHEMA = "engine"
# Advisory lock keys: constants nothing else on a shared database uses ("engine" in ASCII, and the next one).
MIGRATION_LOCK = 0x656E67696E65
SUBMISSION_LOCK = MIGRATION_LOCK + 1
# Per node: request threads and the queue's workers. Beyond it a caller waits for a connection.
POOL_MAX = 8

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "m001_schema",
        (
            """
            CREATE TABLE access_tokens (
                token_sha256 TEXT PRIMARY KEY,
                app_id TEXT NOT NULL,
                credentials TEXT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE conversations (
                id TEXT PRIMARY KEY,
                name TEXT,
                start_time TEXT,
                created_at DOUBLE PRECISION,
                messages TEXT,
                insights TEXT,
                last_job_id TEXT,
                owner TEXT
            )
            """,
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                seq BIGINT NOT NULL UNIQUE,
                conversation_id TEXT,
                status TEXT NOT NULL,
                source TEXT,
                media_path TEXT,
                url TEXT,
                options TEXT,
                message TEXT,
                webhook_url TEXT,
                created_at DOUBLE PRECISION,
                updated_at DOUBLE PRECISION,
                tries INTEGER,
                retry_at DOUBLE PRECISION,
                starts INTEGER,
                owner TEXT,
                lease_owner TEXT,
                lease_until DOUBLE PRECISION
            )
            """,
            "CREATE INDEX jobs_status_seq ON jobs (status, seq)",
            "CREATE INDEX jobs_conversation_seq ON jobs (conversation_id, seq)",
            # `position` keeps creation order among trackers made in one call (SQLite's rowid does there).
            """
            CREATE TABLE trackers (
                id TEXT PRIMARY KEY,
                position BIGINT GENERATED ALWAYS AS IDENTITY,
                owner TEXT NOT NULL,
                name TEXT NOT NULL,
                vocabulary TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX trackers_owner_name ON trackers (owner, name)",
        ),
    ),
    (
        "m002_job_notices",
        (
            """
            CREATE TABLE job_notices (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                job_id TEXT NOT NULL,
                status TEXT NOT NULL,
                owner TEXT,
                url TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                claimed_until DOUBLE PRECISION
            )
            """,
        ),
    ),
    (
        # 1 once an ended job's media is deleted; the ended jobs still at 0 are what a worker killed between
        # its commit and the deletion left behind (bot.engine.jobs sweeps them).
        "m003_media_cleared",
        (
            "ALTER TABLE jobs ADD COLUMN media_cleared INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX jobs_media_uncleared ON jobs (seq) "
            "WHERE media_cleared = 0 AND status IN ('completed', 'failed')",
        ),
    ),
)


class PostgresEngineDatabase:
    shared = True
    lock_rows = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    tracker_order = "created_at, position"
    unique_violation: tuple[type[Exception], ...] = (psycopg.errors.UniqueViolation,)

    def __init__(self, url: str, *, max_connections: int = POOL_MAX):
        self._connections = PooledConnections(
            url, max_connections=max_connections, name="symbl-engine", options=f"-c search_path={SCHEMA}"
        )
        with self._connections.connection() as conn:
            apply_migrations(conn)

    def tx(self) -> AbstractContextManager[Handle]:
        return self._connections.tx()

    def read(self) -> AbstractContextManager[Handle]:
        return self._connections.read()

    def serialize_submissions(self, db: Any) -> None:
        # Released when the transaction ends. Submissions are short (a few small statements), so taking
        # turns across nodes costs little and keeps the job limit and the queue's order exact.
        db.execute("SELECT pg_advisory_xact_lock(?)", [SUBMISSION_LOCK])

    def notify(self, db: Any, channel: str, payload: str) -> None:
        # Transactional: listeners hear it at commit, and never about a change that was rolled back.
        db.execute("SELECT pg_notify(?, ?)", [channel, payload])

    def close(self) -> None:
        self._connections.close()


def applied(conn: psycopg.Connection[Any]) -> list[str]:
    """Names of the applied migrations (an empty list before the first)."""
    if conn.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.schema_migrations"]).fetchone() == (None,):
        return []
    return [r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}.schema_migrations ORDER BY name")]


def apply_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply what is pending, in one transaction under the advisory lock; the names applied."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        # The migrations name tables unqualified; a connection opened outside the pool has no search_path.
        conn.execute(f"SET LOCAL search_path = {SCHEMA}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        )
        return run_pending(conn, MIGRATIONS, set(applied(conn)), f"{SCHEMA}.schema_migrations")
