"""The engine server's state: access tokens, jobs and conversation results, in SQLite or PostgreSQL.

`Store(target)` opens the backend the target names (bot.engine.store_backend has the seam): a path is the
embedded SQLite file, a `postgresql://` URL a database shared by any number of engine API nodes. The SQL
here is written once for both; each backend adds its schema and a few words of its dialect.

Tenancy: every conversation and job records the appId (`owner`) whose token created it, and the lookups
that take an `owner` answer None/False for another appId's rows, exactly as for rows that do not exist.
Rows from before the column existed are given to `legacy_owner` when the store opens: the single-user
install's own appId (the bot's embedded client's "local", or the one configured SYMBL_ENGINE_APP_ID), so
its history stays readable to it and to nobody else.

Every state change is one transaction, so a process killed at any point leaves either the old or the new
state, never half of one; that is what lets unfinished jobs resume after a restart.

Workers *claim* jobs with a lease (`lease_owner`, `lease_until`) in one statement, renew it while the job
runs, and every write of a job's end is fenced by it: a worker that stalled past its lease, and whose job
another took over, changes nothing (`LeaseLost`). A killed worker's job is taken over once its lease expires;
one that was running at `max_starts` deaths is failed instead (`fail_crashed`).

Every status change also writes its notice in the same transaction (`job_notices`, an outbox): a row for the
job's `webhookUrl`, sent by any node's notice sender (`claim_notices`, then `notice_sent`), so a worker
killed right after its commit loses no webhook; and, on PostgreSQL, a NOTIFY on `JOB_STATUS_CHANNEL`
(delivered at commit) for a bot that shares the database.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot import insight_kinds
from bot.config import POSTGRES_SCHEMES
from bot.engine.detection_options import Tracker
from bot.engine.store_backend import EngineDatabase, Handle

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
# PostgreSQL's NOTIFY channel for status changes, payload `{"jobId", "status"}` (a bot on the same database
# listens: storage.postgres_store).
JOB_STATUS_CHANNEL = "symbl_job_status"


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


@dataclass(frozen=True)
class Notice:
    """A webhook POST owed: `{"jobId", "status"}` to `url`, after the tenant's (`owner`'s) earlier ones."""

    id: int
    job_id: str
    status: str
    owner: str
    url: str


class JobLimitReached(Exception):
    """add_job: the unfinished jobs already number the limit (checked in the insert's own transaction)."""


class LeaseLost(Exception):
    """A fenced write: the job's lease is no longer this worker's (it stalled past it and another worker took
    the job over), so nothing was written; the new owner finishes the job."""


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


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _open(target: Path | str, legacy_owner: str) -> EngineDatabase:
    if isinstance(target, str) and target.startswith(POSTGRES_SCHEMES):
        # Imported here: psycopg is an optional extra, loaded only by an engine configured for it.
        from bot.engine.store_postgres import PostgresEngineDatabase

        return PostgresEngineDatabase(target)
    from bot.engine.store_sqlite import SqliteEngineDatabase

    return SqliteEngineDatabase(Path(target), legacy_owner=legacy_owner)


# A claimable job: scheduled; or waiting to retry (`retry_later`) and due; or running under a lease that
# expired (its worker was killed or stalled) and started fewer than the most times. Parameters: now, now,
# the most starts.
_RUNNABLE = """(j.status = 'scheduled'
    OR (j.status = 'in_progress' AND j.retry_at IS NOT NULL AND j.retry_at <= ?)
    OR (j.status = 'in_progress' AND j.retry_at IS NULL AND coalesce(j.lease_until, 0) < ?
        AND coalesce(j.starts, 0) < ?))"""
# No job starts while an earlier job of its conversation is unfinished: appends run in submission order.
_FIRST_OF_ITS_CONVERSATION = """NOT EXISTS (SELECT 1 FROM jobs e WHERE e.conversation_id = j.conversation_id
    AND e.seq < j.seq AND e.status IN ('scheduled', 'in_progress'))"""


def _tracker(row: tuple[str, str, list[str]]) -> Tracker:
    """A tracker as the management API answers it: {id, name, vocabulary}."""
    return {"id": row[0], "name": row[1], "vocabulary": row[2]}


class Store:
    def __init__(self, target: Path | str, *, legacy_owner: str = LOCAL_APP_ID):
        """`target`: the SQLite file's path or a PostgreSQL URL. `legacy_owner` receives the SQLite rows that
        have no owner (made before the column existed)."""
        self.backend = _open(target, legacy_owner)
        self.shared = self.backend.shared

    def _tx(self) -> Any:
        return self.backend.tx()

    def _read(self) -> Any:
        return self.backend.read()

    # --- tokens ------------------------------------------------------------------------------------

    def add_token(self, token: str, app_id: str, lifetime: float, credentials: str) -> None:
        """Keep `token` (as its hash) for `app_id`, minted under `credentials` (a fingerprint of the
        server's configured credentials); tokens expired or minted under other credentials are dropped."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "DELETE FROM access_tokens WHERE expires_at < ? OR credentials != ?", [now, credentials]
            )
            db.execute(
                "INSERT INTO access_tokens (token_sha256, app_id, credentials, expires_at) "
                "VALUES (?, ?, ?, ?)",
                [_token_hash(token), app_id, credentials, now + lifetime],
            )

    def token_app(self, token: str, credentials: str) -> str | None:
        """The appId a live token was generated for under `credentials` (the server's current ones), else
        None: a token minted before a secret rotation, or in open mode, no longer counts."""
        with self._read() as db:
            row = db.execute(
                "SELECT app_id, expires_at FROM access_tokens WHERE token_sha256 = ? AND credentials = ?",
                [_token_hash(token), credentials],
            ).fetchone()
        return row[0] if row and row[1] > time.time() else None

    # --- submissions -------------------------------------------------------------------------------

    def conversation_exists(self, conversation_id: str, owner: str | None = None) -> bool:
        with self._read() as db:
            row = _owner_row(db, conversation_id)
        return bool(row) and _visible(row[0], owner)

    def unfinished_count(self) -> int:
        with self._read() as db:
            return _unfinished(db)

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
        counted in the same transaction as the insert, taken in turns by every process on the database, so
        concurrent submissions cannot overshoot it."""
        now = time.time()
        with self._tx() as db:
            self.backend.serialize_submissions(db)
            if max_unfinished is not None and _unfinished(db) >= max_unfinished:
                raise JobLimitReached
            if new_conversation:
                db.execute(
                    "INSERT INTO conversations (id, name, start_time, created_at, messages, insights, "
                    "last_job_id, owner) VALUES (?, ?, ?, ?, '[]', '{}', ?, ?)",
                    [conversation_id, name, start_time, now, job_id, owner],
                )
            else:
                # Locked: an edit of the conversation (update_conversation) ends before the append is queued.
                row = _owner_row(db, conversation_id, self.backend.lock_rows)
                if not row or not _visible(row[0], owner):
                    return False
            seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM jobs").fetchone()[0]
            db.execute(
                "INSERT INTO jobs (id, seq, conversation_id, status, source, media_path, url, options, "
                "message, webhook_url, owner, created_at, updated_at) "
                "VALUES (?, ?, ?, 'scheduled', ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                [job_id, seq, conversation_id, source, media_path, url, json.dumps(options),
                 options.get("webhookUrl"), owner, now, now],
            )  # fmt: skip
            self._notice(db, job_id, "scheduled")
        return True

    # --- the queue ---------------------------------------------------------------------------------

    def requeue_interrupted(self, max_starts: int, message: str) -> tuple[list[str], list[str]]:
        """For the one process that owns a SQLite file, at its start (whoever ran jobs before is gone):
        jobs a killed process left running go back to `scheduled`, unless they were started `max_starts`
        times already: those are `failed` with `message`, so a recording that kills its worker is not
        resumed at every start. Returns (resumed ids, failed ids). Jobs waiting to retry stay as they are.
        On a shared database nobody may do this (other processes' jobs run): leases expire instead."""
        running = "status = 'in_progress' AND retry_at IS NULL"
        now = time.time()
        with self._tx() as db:
            rows = db.execute(f"SELECT id, coalesce(starts, 0) FROM jobs WHERE {running}").fetchall()
            for job_id, starts in rows:
                if starts >= max_starts:
                    self._notice(db, job_id, "failed")
            db.execute(
                "UPDATE jobs SET status = 'failed', message = ?, updated_at = ?, lease_owner = NULL, "
                f"lease_until = NULL WHERE {running} AND coalesce(starts, 0) >= ?",
                [message, now, max_starts],
            )
            db.execute(
                "UPDATE jobs SET status = 'scheduled', updated_at = ?, lease_owner = NULL, "
                f"lease_until = NULL WHERE {running}",
                [now],
            )
        return [r[0] for r in rows if r[1] < max_starts], [r[0] for r in rows if r[1] >= max_starts]

    def release_interrupted(self, job_id: str, lease_owner: str) -> None:
        """A clean shutdown interrupted the job: its start does not count as a crash, and its lease ends now,
        so another worker (or the next start) takes it up at once. Nothing if the lease is another's."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET starts = CASE WHEN coalesce(starts, 0) > 0 THEN starts - 1 ELSE 0 END, "
                "lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND lease_owner = ? AND status = 'in_progress'",
                [job_id, lease_owner],
            )

    def claim(
        self, lease_owner: str, seconds: float, max_starts: int, now: float | None = None
    ) -> Job | None:
        """The oldest runnable job whose conversation has no earlier unfinished job, now `in_progress` and
        leased to `lease_owner` until now + `seconds`; None when there is none.

        Runnable: `scheduled`; waiting to retry and due; or running under an expired lease (taken over) and
        started fewer than `max_starts` times (beyond, `fail_crashed` ends it).
        Appends to one conversation therefore run in submission order, one at a time, while different
        conversations proceed in parallel. A start is counted unless the job was waiting to retry (a full
        disk is not a crash). On PostgreSQL concurrent claimers skip each other's candidates.
        """
        now = time.time() if now is None else now
        sql = (
            "UPDATE jobs SET status = 'in_progress', retry_at = NULL, updated_at = ?, lease_owner = ?, "
            "lease_until = ?, starts = coalesce(starts, 0) + CASE WHEN retry_at IS NULL THEN 1 ELSE 0 END "
            f"WHERE id IN (SELECT j.id FROM jobs j WHERE {_RUNNABLE} AND {_FIRST_OF_ITS_CONVERSATION} "
            f"ORDER BY j.seq LIMIT 1{self.backend.skip_locked}) RETURNING id, coalesce(tries, 0)"
        )
        with self._tx() as db:
            # fetchall: sqlite3 finishes an UPDATE … RETURNING only once its rows are read to the end.
            rows = db.execute(sql, [now, lease_owner, now + seconds, now, now, max_starts]).fetchall()
            if rows and not rows[0][1]:  # a retry after a full disk was announced when it first started
                self._notice(db, rows[0][0], "in_progress")
            return self.job(rows[0][0]) if rows else None

    def fail_crashed(self, max_starts: int, message: str, now: float | None = None) -> list[Job]:
        """Jobs whose lease expired while they ran and that were started `max_starts` times already: their
        workers died each time, so they are `failed` with `message` instead of taken over again."""
        now = time.time() if now is None else now
        sql = (
            "UPDATE jobs SET status = 'failed', message = ?, updated_at = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE id IN (SELECT j.id FROM jobs j WHERE j.status = 'in_progress' "
            "AND j.retry_at IS NULL AND coalesce(j.lease_until, 0) < ? AND coalesce(j.starts, 0) >= ?"
            f"{self.backend.skip_locked}) RETURNING id"
        )
        with self._tx() as db:
            ids = [r[0] for r in db.execute(sql, [message, now, now, max_starts]).fetchall()]
            for job_id in ids:
                self._notice(db, job_id, "failed")
            return [job for job in map(self.job, ids) if job is not None]

    def renew(self, job_id: str, lease_owner: str, seconds: float) -> bool:
        """Extend the lease to now + `seconds`; False when it is no longer `lease_owner`'s."""
        with self._tx() as db:
            changed = db.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'in_progress'",
                [time.time() + seconds, job_id, lease_owner],
            ).rowcount
        return bool(changed)

    def retry_later(self, job_id: str, at: float, lease_owner: str) -> None:
        """The job stays `in_progress` (to its clients it is still being worked on) and is claimed again at
        `at` by any worker; its `tries` count one more. Raises LeaseLost when the lease is another's."""
        with self._tx() as db:
            _hold(db, job_id, lease_owner)
            db.execute(
                "UPDATE jobs SET retry_at = ?, tries = coalesce(tries, 0) + 1, updated_at = ?, "
                "lease_owner = NULL, lease_until = NULL WHERE id = ?",
                [at, time.time(), job_id],
            )

    def seconds_to_next_retry(self) -> float | None:
        """How long until the earliest waiting retry is due (0 when one is due now), or None."""
        with self._read() as db:
            row = db.execute(
                "SELECT min(retry_at) FROM jobs WHERE status IN ('scheduled', 'in_progress')"
            ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - time.time())

    def uncleared_media(self, ended_before: float, limit: int = 100) -> list[Job]:
        """Jobs that ended before `ended_before` and whose media was never deleted: their worker died
        between the job's end and the deletion."""
        with self._read() as db:
            rows = _dicts(
                db.execute(
                    "SELECT * FROM jobs WHERE coalesce(media_cleared, 0) = 0 AND status IN "
                    "('completed', 'failed') AND updated_at < ? ORDER BY seq LIMIT ?",
                    [ended_before, limit],
                )
            )
        return [_job(r) for r in rows]

    def media_cleared(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET media_cleared = 1 WHERE id = ?", [job_id])

    def job(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job, or None when it does not exist or (given `owner`) belongs to another appId."""
        with self._read() as db:
            rows = _dicts(db.execute("SELECT * FROM jobs WHERE id = ?", [job_id]))
        job = _job(rows[0]) if rows else None
        return job if job is not None and _visible(job.owner, owner) else None

    def finish_job(self, job_id: str, status: str, message: str | None = None, *, lease_owner: str) -> None:
        """End the job with `status`. Raises LeaseLost when its lease is another's."""
        with self._tx() as db:
            _hold(db, job_id, lease_owner)
            db.execute(
                "UPDATE jobs SET status = ?, message = ?, updated_at = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE id = ?",
                [status, message, time.time(), job_id],
            )
            self._notice(db, job_id, status)

    def complete_job(self, job: Job, result: dict, *, lease_owner: str) -> bool:
        """Store a conversation's new messages and insights and mark the job done, atomically.

        The language is the newest analysis's; warnings add up (an earlier recording's stays true of the
        messages it gave). False when the conversation was deleted while the job ran: its results are dropped.
        Raises LeaseLost (writing nothing) when the job's lease is another worker's.
        """
        with self._tx() as db:
            row = db.execute(
                f"SELECT insights FROM conversations WHERE id = ?{self.backend.lock_rows}",
                [job.conversation_id],
            ).fetchone()
            if not row:
                db.execute("DELETE FROM jobs WHERE id = ?", [job.id])
                return False
            _hold(db, job.id, lease_owner)
            warnings = list(json.loads(row[0]).get("warnings") or [])
            warnings += [w for w in result.get("warnings") or [] if w not in warnings]
            insights = {key: result.get(key, []) for key in INSIGHT_KEYS}
            insights |= {"language": result.get("language"), "warnings": warnings}
            db.execute(
                "UPDATE conversations SET messages = ?, insights = ?, last_job_id = ? WHERE id = ?",
                [json.dumps(result["messages"]), json.dumps(insights), job.id, job.conversation_id],
            )
            db.execute(
                "UPDATE jobs SET status = 'completed', message = NULL, updated_at = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE id = ?",
                [time.time(), job.id],
            )
            self._notice(db, job.id, "completed")
        return True

    # --- status notices (the outbox) ---------------------------------------------------------------

    def _notice(self, db: Handle, job_id: str, status: str) -> None:
        """Inside the transaction that changed the job's status: owe its webhook, and tell listeners."""
        db.execute(
            "INSERT INTO job_notices (job_id, status, owner, url, created_at) "
            "SELECT id, ?, owner, webhook_url, ? FROM jobs WHERE id = ? AND webhook_url IS NOT NULL",
            [status, time.time(), job_id],
        )
        self.backend.notify(db, JOB_STATUS_CHANNEL, json.dumps({"jobId": job_id, "status": status}))

    def claim_notices(self, seconds: float, limit: int = 50, now: float | None = None) -> list[Notice]:
        """Up to `limit` unsent notices, oldest first, each held for `seconds`: a sender killed before
        `notice_sent` leaves it to any node's sender once the hold ends (a webhook may then come twice,
        never not at all)."""
        now = time.time() if now is None else now
        sql = (
            "UPDATE job_notices SET claimed_until = ? WHERE id IN (SELECT n.id FROM job_notices n "
            f"WHERE coalesce(n.claimed_until, 0) < ? ORDER BY n.id LIMIT ?{self.backend.skip_locked}) "
            "RETURNING id, job_id, status, owner, url"
        )
        with self._tx() as db:
            rows = db.execute(sql, [now + seconds, now, limit]).fetchall()
        return sorted((Notice(r[0], r[1], r[2], r[3] or "", r[4]) for r in rows), key=lambda n: n.id)

    def notice_sent(self, notice_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM job_notices WHERE id = ?", [notice_id])

    def unsent_notices(self) -> int:
        with self._read() as db:
            return int(db.execute("SELECT count(*) FROM job_notices", []).fetchone()[0])

    # --- conversations -----------------------------------------------------------------------------

    def conversation(self, conversation_id: str, owner: str | None = None) -> dict[str, Any] | None:
        """The conversation, or None when it does not exist or (given `owner`) belongs to another appId."""
        with self._read() as db:
            row = _owned_conversation_row(db, conversation_id, owner)
        return None if row is None else _conversation(row)

    def update_conversation(
        self, conversation_id: str, owner: str | None, edit: Callable[[dict[str, Any]], T]
    ) -> T | None:
        """Let `edit` change the conversation (the dict `conversation` returns, in place) and store its
        messages and insights; returns what `edit` returns, or None when the conversation does not exist or
        belongs to another appId. Raises ConversationBusy while one of its jobs is unfinished.

        One transaction from read to write, holding the conversation's row (the file, on SQLite): a job
        submitted meanwhile is queued after the edit and so reads the edited conversation, and two edits
        never undo each other. An exception from `edit` stores nothing."""
        with self._tx() as db:
            row = _owned_conversation_row(db, conversation_id, owner, self.backend.lock_rows)
            if row is None:
                return None
            if _has_unfinished_job(db, conversation_id):
                raise ConversationBusy
            conversation = _conversation(row)
            result = edit(conversation)
            insights = {key: conversation[key] for key in (*INSIGHT_KEYS, *LANGUAGE_KEYS)}
            db.execute(
                "UPDATE conversations SET messages = ?, insights = ? WHERE id = ?",
                [json.dumps(conversation["messages"]), json.dumps(insights), conversation_id],
            )
        return result

    def has_unfinished_job(self, conversation_id: str) -> bool:
        with self._read() as db:
            return _has_unfinished_job(db, conversation_id)

    def set_insight(self, conversation_id: str, key: str, value: Any) -> bool:
        """Replace one stored insight (e.g. a regenerated summary); False when the conversation is gone."""
        with self._tx() as db:
            row = db.execute(
                f"SELECT insights FROM conversations WHERE id = ?{self.backend.lock_rows}", [conversation_id]
            ).fetchone()
            if row is None:
                return False
            insights = {**json.loads(row[0]), key: value}
            db.execute(
                "UPDATE conversations SET insights = ? WHERE id = ?", [json.dumps(insights), conversation_id]
            )
        return True

    def delete_conversation(self, conversation_id: str) -> list[str]:
        """Delete a conversation and its jobs; returns the media paths the caller should remove."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT media_path FROM jobs WHERE conversation_id = ? AND media_path IS NOT NULL",
                [conversation_id],
            ).fetchall()
            db.execute("DELETE FROM jobs WHERE conversation_id = ?", [conversation_id])
            db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])
        return [r[0] for r in rows]

    def completed_job_options(self, conversation_id: str) -> list[dict]:
        """The submission options of the conversation's completed jobs, oldest first: what was asked of the
        messages it holds (read-time detections such as trackers and entities follow them)."""
        with self._read() as db:
            rows = db.execute(
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
        with self._tx() as db:
            count = db.execute("SELECT count(*) FROM trackers WHERE owner = ?", [owner]).fetchone()[0]
            if count + len(trackers) > max_trackers:
                raise TrackerLimitReached
            for tracker_id, name, vocabulary in trackers:
                try:
                    db.execute(
                        "INSERT INTO trackers (id, owner, name, vocabulary, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [tracker_id, owner, name, json.dumps(vocabulary), now],
                    )
                except self.backend.unique_violation:
                    raise TrackerNameTaken(f"A tracker named {name!r} already exists.") from None
        return [_tracker(t) for t in trackers]

    def trackers(self, owner: str, name: str | None = None) -> list[Tracker]:
        """`owner`'s trackers in creation order; only the one named `name` (exactly) when given."""
        sql, params = "SELECT id, name, vocabulary FROM trackers WHERE owner = ?", [owner]
        if name is not None:
            sql, params = sql + " AND name = ?", [owner, name]
        with self._read() as db:
            rows = db.execute(f"{sql} ORDER BY {self.backend.tracker_order}", params).fetchall()
        return [_tracker((r[0], r[1], json.loads(r[2]))) for r in rows]

    def tracker(self, tracker_id: str, owner: str) -> Tracker | None:
        """The tracker, or None when it does not exist or belongs to another appId."""
        with self._read() as db:
            row = db.execute(
                "SELECT id, name, vocabulary FROM trackers WHERE id = ? AND owner = ?", [tracker_id, owner]
            ).fetchone()
        return None if row is None else _tracker((row[0], row[1], json.loads(row[2])))

    def update_tracker(self, tracker_id: str, owner: str, name: str, vocabulary: list[str]) -> Tracker | None:
        """Replace the tracker's name and vocabulary; None when it is not `owner`'s. TrackerNameTaken when
        another of `owner`'s trackers has `name`."""
        try:
            with self._tx() as db:
                changed = db.execute(
                    "UPDATE trackers SET name = ?, vocabulary = ? WHERE id = ? AND owner = ?",
                    [name, json.dumps(vocabulary), tracker_id, owner],
                ).rowcount
        except self.backend.unique_violation:
            raise TrackerNameTaken(f"A tracker named {name!r} already exists.") from None
        return _tracker((tracker_id, name, vocabulary)) if changed else None

    def delete_tracker(self, tracker_id: str, owner: str) -> bool:
        with self._tx() as db:
            deleted = db.execute(
                "DELETE FROM trackers WHERE id = ? AND owner = ?", [tracker_id, owner]
            ).rowcount
        return bool(deleted)

    def jobs(self) -> Iterator[Job]:
        with self._read() as db:
            rows = _dicts(db.execute("SELECT * FROM jobs ORDER BY seq", []))
        return (_job(r) for r in rows)

    def close(self) -> None:
        self.backend.close()


# --- statements run inside a caller's transaction ------------------------------------------------------


def _unfinished(db: Handle) -> int:
    return int(
        db.execute("SELECT count(*) FROM jobs WHERE status IN ('scheduled', 'in_progress')", []).fetchone()[0]
    )


def _owner_row(db: Handle, conversation_id: str, lock: str = "") -> Any:
    return db.execute(f"SELECT owner FROM conversations WHERE id = ?{lock}", [conversation_id]).fetchone()


def _owned_conversation_row(
    db: Handle, conversation_id: str, owner: str | None, lock: str = ""
) -> dict | None:
    """The conversation's row, or None: missing, or another appId's."""
    rows = _dicts(db.execute(f"SELECT * FROM conversations WHERE id = ?{lock}", [conversation_id]))
    return rows[0] if rows and _visible(rows[0].get("owner"), owner) else None


def _has_unfinished_job(db: Handle, conversation_id: str) -> bool:
    return bool(
        db.execute(
            "SELECT 1 FROM jobs WHERE conversation_id = ? AND status IN ('scheduled', 'in_progress')",
            [conversation_id],
        ).fetchone()
    )


def _hold(db: Handle, job_id: str, lease_owner: str) -> None:
    """The fence: locks the job's row for the rest of the transaction (so no claim takes it meanwhile) and
    raises LeaseLost unless `lease_owner` still holds it. An expired lease nobody took over still counts: no
    other worker has run the job, so the write is still the only one."""
    rows = db.execute(
        "UPDATE jobs SET lease_owner = lease_owner WHERE id = ? AND lease_owner = ? RETURNING id",
        [job_id, lease_owner],
    ).fetchall()
    if not rows:
        raise LeaseLost(f"job {job_id}: the lease is no longer {lease_owner}'s")
