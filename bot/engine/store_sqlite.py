"""The engine store in one SQLite file (sqlite-utils): the default, for one engine process.

One connection is shared by the request threads and the workers behind a lock: each operation is a handful
of small statements, and WAL mode keeps readers in other processes unblocked. The schema is created and
extended in place when the file opens, so an engine.db from any earlier version keeps working.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database


class SqliteEngineDatabase:
    shared = False  # one engine process owns the file
    lock_rows = ""
    skip_locked = ""
    tracker_order = "created_at, rowid"
    unique_violation: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, *, legacy_owner: str):
        """`legacy_owner` receives the rows that have no owner (made before the column existed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = Database(sqlite3.connect(str(path), check_same_thread=False, timeout=30))
        self.db.enable_wal()
        with self.tx():
            _migrate(self.db, legacy_owner)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self.db.atomic():
            yield self.db.conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.db.conn

    def serialize_submissions(self, db: object) -> None:
        """Nothing to do: the lock above serializes this process, and the file has no other writer."""

    def notify(self, db: object, channel: str, payload: str) -> None:
        """Nothing to do: nobody else reads the file; in-process listeners hear from the queue itself."""

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()


def _migrate(db: Database, legacy_owner: str) -> None:
    # Tokens are kept as their sha256 only, with the fingerprint of the credentials that minted them
    # (issue 21, finding 9). The old table held them in clear: dropped, so its tokens stop working
    # (a client asks for a new one on its next 401) and none stays readable on disk.
    db.execute("DROP TABLE IF EXISTS tokens")
    db.table("access_tokens").create(
        {"token_sha256": str, "app_id": str, "credentials": str, "expires_at": float},
        pk="token_sha256",
        if_not_exists=True,
    )
    db.table("conversations").create(
        {
            "id": str,
            "name": str,
            "start_time": str,
            "created_at": float,
            "messages": str,
            "insights": str,
            "last_job_id": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("jobs").create(
        {
            "id": str,
            "seq": int,
            "conversation_id": str,
            "status": str,
            "source": str,
            "media_path": str,
            "url": str,
            "options": str,
            "message": str,
            "webhook_url": str,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
        if_not_exists=True,
    )
    # Columns added since the first version, each when a store of this version first opens the file.
    added = (
        ("tries", int),
        ("retry_at", float),
        ("starts", int),
        ("lease_owner", str),
        ("lease_until", float),
        ("media_cleared", int),  # 1 once an ended job's media is deleted (bot.engine.jobs sweeps the rest)
    )
    for column, kind in added:
        if column not in db.table("jobs").columns_dict:
            db.table("jobs").add_column(column, kind)
    for table in ("conversations", "jobs"):
        if "owner" not in db.table(table).columns_dict:
            db.table(table).add_column("owner", str)
        # Every open, not only when the column is added: a store that added the column earlier
        # left its old rows ownerless, visible to every appId.
        db.execute(f"UPDATE [{table}] SET owner = ? WHERE owner IS NULL", [legacy_owner])
    db.table("jobs").create_index(["status", "seq"], if_not_exists=True)
    db.table("jobs").create_index(["conversation_id", "seq"], if_not_exists=True)
    db.table("jobs").create_index(["media_cleared", "status"], if_not_exists=True)
    # Trackers of the management API (issue 25): created when first opened by this version, so an
    # older store gains the table and loses nothing.
    db.table("trackers").create(
        {"id": str, "owner": str, "name": str, "vocabulary": str, "created_at": float},
        pk="id",
        if_not_exists=True,
    )
    # Names are unique per appId, case-sensitively as Symbl's are: the database enforces it.
    db.table("trackers").create_index(["owner", "name"], unique=True, if_not_exists=True)
    # The webhook outbox (bot.engine.store's notices): INTEGER PRIMARY KEY, so ids follow insertion.
    db.table("job_notices").create(
        {"id": int, "job_id": str, "status": str, "owner": str, "url": str, "created_at": float,
         "claimed_until": float},
        pk="id",
        if_not_exists=True,
    )  # fmt: skip
