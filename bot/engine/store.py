"""The engine server's SQLite state (sqlite-utils): access tokens, jobs and conversation results.

Tenancy: every conversation and job records the appId (`owner`) whose token created it, and the lookups
that take an `owner` answer None/False for another appId's rows, exactly as for rows that do not exist.
Rows from before the column existed are given to `legacy_owner` when the store opens: the single-user
install's own appId (the bot's embedded client's "local", or the one configured SYMBL_ENGINE_APP_ID), so
its history stays readable to it and to nobody else.

Every state change is one transaction, so a process killed at any point leaves either the old or the new
state, never half of one; that is what lets unfinished jobs resume after a restart. One connection is
shared by the request threads and the workers behind a lock: each operation is a handful of small
statements, and WAL mode keeps readers in other processes unblocked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from bot import insight_kinds
from bot.engine.detection_options import Tracker

JOB_STATUSES = ("scheduled", "in_progress", "completed", "failed")
UNFINISHED = ("scheduled", "in_progress")
INSIGHT_KEYS = (*insight_kinds.KEYS, "members", "summary")
# Facts of the conversation stored beside its insights (bot.engine.language_check): the language it was
# processed in (None when not known, as for a conversation analysed before it was recorded) and the warnings
# its notes show first.
LANGUAGE_KEYS = ("language", "warnings")
# The appId the bot's client sends to an engine on loopback without configured credentials
# (bot/providers/symbl/client.py): the owner of an embedded engine's pre-owner rows.
LOCAL_APP_ID = "local"


@dataclass(frozen=True)
class Job:
    id: str
    conversation_id: str
    seq: int
    status: str
    source: str  # "file" | "url" | "text" (media_path: the Text API messages as JSON)
    media_path: str | None
    url: str | None
    options: dict
    message: str | None
    webhook_url: str | None
    owner: str | None = None
    tries: int = 0  # downloads that failed for a full disk (the job waits `retry_at` before the next)
    starts: int = 0  # times a worker took it up (not counting the retries above)


class JobLimitReached(Exception):
    """add_job: the unfinished jobs already number the limit (checked in the insert's own transaction)."""


class TrackerNameTaken(Exception):
    """add_trackers / update_tracker: the appId already has a tracker of that name (the message names it)."""


class TrackerLimitReached(Exception):
    """add_trackers: the appId would have more than `max_trackers` trackers."""


class ConversationBusy(Exception):
    """update_conversation: a job of the conversation is unfinished. Its result, computed from the
    conversation as it was when the job started, would overwrite the edit when it completes."""


T = TypeVar("T")


def _job(row: dict) -> Job:
    return Job(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        status=row["status"],
        source=row["source"],
        media_path=row["media_path"],
        url=row["url"],
        options=json.loads(row["options"] or "{}"),
        message=row["message"],
        webhook_url=row["webhook_url"],
        owner=row.get("owner"),
        tries=row.get("tries") or 0,
        starts=row.get("starts") or 0,
    )


def _token_hash(token: str) -> str:
    """What is stored of a token: a leaked database yields no usable one (tokens are 256 random bits, so an
    unsalted hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _visible(row_owner: str | None, owner: str | None) -> bool:
    """`owner` None: the engine's own callers (the queue), which see every row."""
    return owner is None or row_owner == owner


def _conversation(row: dict) -> dict[str, Any]:
    """A stored conversation as the engine reads it: every insight key present, `[]` when never computed."""
    return {
        "id": row["id"],
        "name": row["name"],
        "start_time": row["start_time"],
        "messages": json.loads(row["messages"]),
        **{k: [] for k in INSIGHT_KEYS},
        "language": None,
        "warnings": [],
        **json.loads(row["insights"]),
    }


def _tracker(row: tuple[str, str, list[str]]) -> Tracker:
    """A tracker as the management API answers it: {id, name, vocabulary}."""
    return {"id": row[0], "name": row[1], "vocabulary": row[2]}


class Store:
    def __init__(self, path: Path, *, legacy_owner: str = LOCAL_APP_ID):
        """`legacy_owner` receives the rows that have no owner (made before the column existed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = Database(sqlite3.connect(str(path), check_same_thread=False, timeout=30))
        self.db.enable_wal()
        self._migrate(legacy_owner)

    def _migrate(self, legacy_owner: str) -> None:
        with self._lock, self.db.atomic():
            # Tokens are kept as their sha256 only, with the fingerprint of the credentials that minted them
            # (issue 21, finding 9). The old table held them in clear: dropped, so its tokens stop working
            # (a client asks for a new one on its next 401) and none stays readable on disk.
            self.db.execute("DROP TABLE IF EXISTS tokens")
            self.db.table("access_tokens").create(
                {"token_sha256": str, "app_id": str, "credentials": str, "expires_at": float},
                pk="token_sha256",
                if_not_exists=True,
            )
            self.db.table("conversations").create(
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
            self.db.table("jobs").create(
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
            for column, kind in (("tries", int), ("retry_at", float), ("starts", int)):
                if column not in self.db.table("jobs").columns_dict:
                    self.db.table("jobs").add_column(column, kind)
            for table in ("conversations", "jobs"):
                if "owner" not in self.db.table(table).columns_dict:
                    self.db.table(table).add_column("owner", str)
                # Every open, not only when the column is added: a store that added the column earlier
                # left its old rows ownerless, visible to every appId.
                self.db.execute(f"UPDATE [{table}] SET owner = ? WHERE owner IS NULL", [legacy_owner])
            self.db.table("jobs").create_index(["status", "seq"], if_not_exists=True)
            self.db.table("jobs").create_index(["conversation_id", "seq"], if_not_exists=True)
            # Trackers of the management API (issue 25): created when first opened by this version, so an
            # older store gains the table and loses nothing.
            self.db.table("trackers").create(
                {"id": str, "owner": str, "name": str, "vocabulary": str, "created_at": float},
                pk="id",
                if_not_exists=True,
            )
            # Names are unique per appId, case-sensitively as Symbl's are: the database enforces it.
            self.db.table("trackers").create_index(["owner", "name"], unique=True, if_not_exists=True)

    # --- tokens ------------------------------------------------------------------------------------

    def add_token(self, token: str, app_id: str, lifetime: float, credentials: str) -> None:
        """Keep `token` (as its hash) for `app_id`, minted under `credentials` (a fingerprint of the
        server's configured credentials); tokens expired or minted under other credentials are dropped."""
        now = time.time()
        row = {"token_sha256": _token_hash(token), "app_id": app_id, "credentials": credentials}
        with self._lock, self.db.atomic():
            self.db.execute(
                "DELETE FROM access_tokens WHERE expires_at < ? OR credentials != ?", [now, credentials]
            )
            self.db.table("access_tokens").insert({**row, "expires_at": now + lifetime})

    def token_app(self, token: str, credentials: str) -> str | None:
        """The appId a live token was generated for under `credentials` (the server's current ones), else
        None: a token minted before a secret rotation, or in open mode, no longer counts."""
        with self._lock:
            row = self.db.execute(
                "SELECT app_id, expires_at FROM access_tokens WHERE token_sha256 = ? AND credentials = ?",
                [_token_hash(token), credentials],
            ).fetchone()
        return row[0] if row and row[1] > time.time() else None

    # --- submissions -------------------------------------------------------------------------------

    def conversation_exists(self, conversation_id: str, owner: str | None = None) -> bool:
        with self._lock:
            row = self._owner_row(conversation_id)
        return bool(row) and _visible(row[0], owner)

    def unfinished_count(self) -> int:
        with self._lock:
            return self._unfinished()

    def _unfinished(self) -> int:
        return self.db.execute(
            "SELECT count(*) FROM jobs WHERE status IN ('scheduled', 'in_progress')"
        ).fetchone()[0]

    def _owner_row(self, conversation_id: str) -> Any:
        return self.db.execute("SELECT owner FROM conversations WHERE id = ?", [conversation_id]).fetchone()

    def add_job(
        self,
        *,
        job_id: str,
        conversation_id: str,
        new_conversation: bool,
        name: str | None,
        start_time: str,
        source: str,
        media_path: str | None,
        url: str | None,
        options: dict,
        owner: str,
        max_unfinished: int | None = None,
    ) -> bool:
        """Record a submission; False when appending to a conversation that does not exist (any more) or
        belongs to another owner. Raises JobLimitReached when `max_unfinished` jobs are already unfinished:
        counted in the same transaction as the insert, so concurrent submissions cannot overshoot it."""
        now = time.time()
        with self._lock, self.db.atomic():
            if max_unfinished is not None and self._unfinished() >= max_unfinished:
                raise JobLimitReached
            if new_conversation:
                self.db.table("conversations").insert(
                    {
                        "id": conversation_id,
                        "name": name,
                        "start_time": start_time,
                        "created_at": now,
                        "messages": "[]",
                        "insights": "{}",
                        "last_job_id": job_id,
                        "owner": owner,
                    }
                )
            else:
                row = self._owner_row(conversation_id)
                if not row or not _visible(row[0], owner):
                    return False
            seq = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM jobs").fetchone()[0]
            self.db.table("jobs").insert(
                {
                    "id": job_id,
                    "seq": seq,
                    "conversation_id": conversation_id,
                    "status": "scheduled",
                    "source": source,
                    "media_path": media_path,
                    "url": url,
                    "options": json.dumps(options),
                    "message": None,
                    "webhook_url": options.get("webhookUrl"),
                    "owner": owner,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        return True

    # --- the queue ---------------------------------------------------------------------------------

    def requeue_interrupted(self, max_starts: int, message: str) -> tuple[list[str], list[str]]:
        """Jobs a killed process left running go back to `scheduled`, unless they were started `max_starts`
        times already: those are `failed` with `message`, so a recording that kills its worker is not
        resumed at every start. Returns (resumed ids, failed ids). Jobs waiting to retry stay as they are."""
        running = "status = 'in_progress' AND retry_at IS NULL"
        with self._lock, self.db.atomic():
            rows = self.db.execute(f"SELECT id, coalesce(starts, 0) FROM jobs WHERE {running}").fetchall()
            failed = [r[0] for r in rows if r[1] >= max_starts]
            now = time.time()
            self.db.execute(
                f"UPDATE jobs SET status = 'failed', message = ?, updated_at = ? "
                f"WHERE {running} AND coalesce(starts, 0) >= ?",
                [message, now, max_starts],
            )
            self.db.execute(f"UPDATE jobs SET status = 'scheduled', updated_at = ? WHERE {running}", [now])
        return [r[0] for r in rows if r[1] < max_starts], failed

    def give_back_starts(self, job_ids: list[str]) -> None:
        """Jobs a clean shutdown left running: their start does not count as a crash."""
        with self._lock, self.db.atomic():
            for job_id in job_ids:
                self.db.execute(
                    "UPDATE jobs SET starts = max(coalesce(starts, 0) - 1, 0) WHERE id = ?", [job_id]
                )

    def claim_next(self) -> Job | None:
        """The oldest runnable job whose conversation has no earlier unfinished job, now `in_progress`.

        Runnable: `scheduled`, or `in_progress` and waiting to retry (`retry_later`) whose time has come.
        Appends to one conversation therefore run in submission order, one at a time, while different
        conversations proceed in parallel.
        """
        now = time.time()
        with self._lock, self.db.atomic():
            row = self.db.execute(
                """
                SELECT j.id FROM jobs j
                WHERE (j.status = 'scheduled' OR (j.status = 'in_progress' AND j.retry_at IS NOT NULL))
                  AND coalesce(j.retry_at, 0) <= ?
                  AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.conversation_id = j.conversation_id
                                  AND e.seq < j.seq AND e.status IN ('scheduled', 'in_progress'))
                ORDER BY j.seq LIMIT 1
                """,
                [now],
            ).fetchone()
            if row is None:
                return None
            self.db.execute(
                "UPDATE jobs SET status = 'in_progress', retry_at = NULL, updated_at = ?, "
                "starts = coalesce(starts, 0) + (status = 'scheduled') WHERE id = ?",
                [now, row[0]],
            )
            return self.job(row[0])

    def retry_later(self, job_id: str, at: float) -> None:
        """The job stays `in_progress` (to its clients it is still being worked on) and is claimed again at
        `at`; its `tries` count one more."""
        with self._lock, self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET retry_at = ?, tries = coalesce(tries, 0) + 1, updated_at = ? WHERE id = ?",
                [at, time.time(), job_id],
            )

    def seconds_to_next_retry(self) -> float | None:
        """How long until the earliest waiting retry is due (0 when one is due now), or None."""
        with self._lock:
            row = self.db.execute(
                "SELECT min(retry_at) FROM jobs WHERE status IN ('scheduled', 'in_progress')"
            ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - time.time())

    def job(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job, or None when it does not exist or (given `owner`) belongs to another appId."""
        with self._lock:
            try:
                job = _job(self.db.table("jobs").get(job_id))
            except NotFoundError:
                return None
        return job if _visible(job.owner, owner) else None

    def finish_job(self, job_id: str, status: str, message: str | None = None) -> None:
        with self._lock, self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET status = ?, message = ?, updated_at = ? WHERE id = ?",
                [status, message, time.time(), job_id],
            )

    def complete_job(self, job: Job, result: dict) -> bool:
        """Store a conversation's new messages and insights and mark the job done, atomically.

        The language is the newest analysis's; warnings add up (an earlier recording's stays true of the
        messages it gave). False when the conversation was deleted while the job ran: its results are dropped.
        """
        with self._lock, self.db.atomic():
            row = self.db.execute(
                "SELECT insights FROM conversations WHERE id = ?", [job.conversation_id]
            ).fetchone()
            if not row:
                self.db.execute("DELETE FROM jobs WHERE id = ?", [job.id])
                return False
            warnings = list(json.loads(row[0]).get("warnings") or [])
            warnings += [w for w in result.get("warnings") or [] if w not in warnings]
            insights = {key: result.get(key, []) for key in INSIGHT_KEYS}
            insights |= {"language": result.get("language"), "warnings": warnings}
            self.db.execute(
                "UPDATE conversations SET messages = ?, insights = ?, last_job_id = ? WHERE id = ?",
                [json.dumps(result["messages"]), json.dumps(insights), job.id, job.conversation_id],
            )
            self.db.execute(
                "UPDATE jobs SET status = 'completed', message = NULL, updated_at = ? WHERE id = ?",
                [time.time(), job.id],
            )
        return True

    # --- conversations -----------------------------------------------------------------------------

    def conversation(self, conversation_id: str, owner: str | None = None) -> dict[str, Any] | None:
        """The conversation, or None when it does not exist or (given `owner`) belongs to another appId."""
        with self._lock:
            row = self._owned_conversation_row(conversation_id, owner)
        return None if row is None else _conversation(row)

    def _owned_conversation_row(self, conversation_id: str, owner: str | None) -> dict | None:
        """The conversation's row (the caller holds the lock), or None: missing, or another appId's."""
        try:
            row = self.db.table("conversations").get(conversation_id)
        except NotFoundError:
            return None
        return row if _visible(row.get("owner"), owner) else None

    def update_conversation(
        self, conversation_id: str, owner: str | None, edit: Callable[[dict[str, Any]], T]
    ) -> T | None:
        """Let `edit` change the conversation (the dict `conversation` returns, in place) and store its
        messages and insights; returns what `edit` returns, or None when the conversation does not exist or
        belongs to another appId. Raises ConversationBusy while one of its jobs is unfinished.

        One transaction under the store's lock from read to write: a job submitted meanwhile is queued after
        the edit and so reads the edited conversation, and two edits never undo each other. An exception
        from `edit` stores nothing."""
        with self._lock, self.db.atomic():
            row = self._owned_conversation_row(conversation_id, owner)
            if row is None:
                return None
            if self._has_unfinished_job(conversation_id):
                raise ConversationBusy
            conversation = _conversation(row)
            result = edit(conversation)
            insights = {key: conversation[key] for key in (*INSIGHT_KEYS, *LANGUAGE_KEYS)}
            self.db.execute(
                "UPDATE conversations SET messages = ?, insights = ? WHERE id = ?",
                [json.dumps(conversation["messages"]), json.dumps(insights), conversation_id],
            )
        return result

    def has_unfinished_job(self, conversation_id: str) -> bool:
        with self._lock:
            return self._has_unfinished_job(conversation_id)

    def _has_unfinished_job(self, conversation_id: str) -> bool:
        return bool(
            self.db.execute(
                "SELECT 1 FROM jobs WHERE conversation_id = ? AND status IN ('scheduled', 'in_progress')",
                [conversation_id],
            ).fetchone()
        )

    def set_insight(self, conversation_id: str, key: str, value: Any) -> bool:
        """Replace one stored insight (e.g. a regenerated summary); False when the conversation is gone."""
        with self._lock, self.db.atomic():
            row = self.db.execute(
                "SELECT insights FROM conversations WHERE id = ?", [conversation_id]
            ).fetchone()
            if row is None:
                return False
            insights = {**json.loads(row[0]), key: value}
            self.db.execute(
                "UPDATE conversations SET insights = ? WHERE id = ?", [json.dumps(insights), conversation_id]
            )
        return True

    def delete_conversation(self, conversation_id: str) -> list[str]:
        """Delete a conversation and its jobs; returns the media paths the caller should remove."""
        with self._lock, self.db.atomic():
            paths = [
                r[0]
                for r in self.db.execute(
                    "SELECT media_path FROM jobs WHERE conversation_id = ? AND media_path IS NOT NULL",
                    [conversation_id],
                )
            ]
            self.db.execute("DELETE FROM jobs WHERE conversation_id = ?", [conversation_id])
            self.db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])
        return paths

    def completed_job_options(self, conversation_id: str) -> list[dict]:
        """The submission options of the conversation's completed jobs, oldest first: what was asked of the
        messages it holds (read-time detections such as trackers and entities follow them)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT options FROM jobs WHERE conversation_id = ? AND status = 'completed' ORDER BY seq",
                [conversation_id],
            ).fetchall()
        return [json.loads(row[0] or "{}") for row in rows]

    # --- trackers (management API) -----------------------------------------------------------------

    def add_trackers(
        self, owner: str, trackers: list[tuple[str, str, list[str]]], max_trackers: int
    ) -> list[Tracker]:
        """Create `(id, name, vocabulary)` trackers for `owner`, all or none: raises TrackerNameTaken when a
        name is taken (by an existing tracker or twice in `trackers`), TrackerLimitReached past
        `max_trackers`."""
        now = time.time()
        with self._lock, self.db.atomic():
            count = self.db.execute("SELECT count(*) FROM trackers WHERE owner = ?", [owner]).fetchone()[0]
            if count + len(trackers) > max_trackers:
                raise TrackerLimitReached
            for tracker_id, name, vocabulary in trackers:
                try:
                    self.db.execute(
                        "INSERT INTO trackers (id, owner, name, vocabulary, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [tracker_id, owner, name, json.dumps(vocabulary), now],
                    )
                except sqlite3.IntegrityError:
                    raise TrackerNameTaken(f"A tracker named {name!r} already exists.") from None
        return [_tracker(t) for t in trackers]

    def trackers(self, owner: str, name: str | None = None) -> list[Tracker]:
        """`owner`'s trackers in creation order; only the one named `name` (exactly) when given."""
        sql, params = "SELECT id, name, vocabulary FROM trackers WHERE owner = ?", [owner]
        if name is not None:
            sql, params = sql + " AND name = ?", [owner, name]
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY created_at, rowid", params).fetchall()
        return [_tracker((r[0], r[1], json.loads(r[2]))) for r in rows]

    def tracker(self, tracker_id: str, owner: str) -> Tracker | None:
        """The tracker, or None when it does not exist or belongs to another appId."""
        with self._lock:
            row = self.db.execute(
                "SELECT id, name, vocabulary FROM trackers WHERE id = ? AND owner = ?", [tracker_id, owner]
            ).fetchone()
        return None if row is None else _tracker((row[0], row[1], json.loads(row[2])))

    def update_tracker(self, tracker_id: str, owner: str, name: str, vocabulary: list[str]) -> Tracker | None:
        """Replace the tracker's name and vocabulary; None when it is not `owner`'s. TrackerNameTaken when
        another of `owner`'s trackers has `name`."""
        with self._lock, self.db.atomic():
            try:
                changed = self.db.execute(
                    "UPDATE trackers SET name = ?, vocabulary = ? WHERE id = ? AND owner = ?",
                    [name, json.dumps(vocabulary), tracker_id, owner],
                ).rowcount
            except sqlite3.IntegrityError:
                raise TrackerNameTaken(f"A tracker named {name!r} already exists.") from None
        return _tracker((tracker_id, name, vocabulary)) if changed else None

    def delete_tracker(self, tracker_id: str, owner: str) -> bool:
        with self._lock, self.db.atomic():
            deleted = self.db.execute(
                "DELETE FROM trackers WHERE id = ? AND owner = ?", [tracker_id, owner]
            ).rowcount
        return bool(deleted)

    def jobs(self) -> Iterator[Job]:
        with self._lock:
            rows = list(self.db.table("jobs").rows_where(order_by="seq"))
        return (_job(r) for r in rows)

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()
