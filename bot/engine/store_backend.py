"""The engine store's seam: what `bot.engine.store.Store` needs from a database, whichever backend it is.

`bot.engine.store_sqlite` (the default: one file under the data directory, one process) and
`bot.engine.store_postgres` (any number of engine API nodes on one database; psycopg 3, imported only then)
each keep their schema and their few dialect words here; the store writes every other statement once, with
`?` placeholders.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class Handle(Protocol):
    """One connection's `execute` with `?` placeholders; returns a DB-API cursor."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


class EngineDatabase(Protocol):
    """`tx()` is one transaction per state change (a nested one joins it); `read()` lone statements."""

    # Whether other processes share the database: then no process may requeue another's running jobs at its
    # start, and an interrupted job is taken over only once its lease expires.
    shared: bool
    # Appended to a SELECT whose rows the transaction will write: " FOR UPDATE" where rows are locked one by
    # one (PostgreSQL); nothing on SQLite, whose writer holds the whole file.
    lock_rows: str
    # The same for the claim's candidates: other claimers skip them instead of queueing behind them.
    skip_locked: str
    # Trackers in creation order: the insertion order of rows created in one call (one `created_at`).
    tracker_order: str
    # What an INSERT or UPDATE raises on a unique index (a tracker's name).
    unique_violation: tuple[type[Exception], ...]

    def tx(self) -> AbstractContextManager[Handle]: ...

    def read(self) -> AbstractContextManager[Handle]: ...

    def serialize_submissions(self, db: Handle) -> None:
        """Make this transaction the only submission in flight until it ends, across every process on the
        database: the unfinished-job count and the next `seq` are then read and written as one step."""
        ...

    def notify(self, db: Handle, channel: str, payload: str) -> None:
        """Tell other processes listening on the database, when this transaction commits."""
        ...

    def close(self) -> None: ...
