"""Repository functions for `recordings` and the cached insights in `conversations`.

State machine (one transaction per change):

    queued ─submit→ submitted ─job in_progress→ processing ─job completed→ completed ─summary posted→ posted
       └──────────────┴──────────────────────────────┴──────────────────────────┴──→ failed (permanent error)

Active rows carry `next_poll_at`; the scheduler selects due rows through the (state, next_poll_at) index.
Finished rows (posted, failed) have `next_poll_at` NULL and cost the tick nothing.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from storage.backend import BotStore
from storage.fence import hold


# Not StrEnum (UP042): that would change what str() and f-strings of a State give, which callers may rely on.
class State(str, Enum):  # noqa: UP042
    QUEUED = "queued"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    COMPLETED = "completed"
    POSTED = "posted"
    FAILED = "failed"


# A recording's name (a file's title, a link's last path segment) is shown in every heading and link about its
# conversation: clipped here, where it enters, so no renderer meets a name the length of a URL.
MAX_NAME_CHARS = 200

ACTIVE_STATES = (State.QUEUED, State.SUBMITTED, State.PROCESSING, State.COMPLETED)
_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE_STATES)


@dataclass(frozen=True)
class Recording:
    id: int
    team_id: str
    channel_id: str
    source: str
    message_ts: str
    thread_ts: str
    user_id: str | None
    kind: str
    name: str | None
    download_url: str | None
    mimetype: str | None
    size: int | None
    duration_ms: int | None
    state: str
    next_poll_at: float | None
    attempts: int
    polls: int
    error: str | None
    status_ts: str | None
    status_stage: str | None
    summary_ts: str | None
    summary_started_at: float | None
    conversation_id: str | None
    job_id: str | None
    created_at: float
    updated_at: float
    append_to: str | None = None  # the conversation this recording extends (an append), else None
    status_started_at: float | None = None  # a status post went out (maybe unanswered): search before posting
    lease_owner: str | None = None  # the worker process stepping it (storage.leases), until lease_until
    lease_until: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Recording:
        return cls(**{name: row[name] for name in _FIELDS})


_FIELDS = tuple(f.name for f in fields(Recording))


def rows(
    store: BotStore, where: str, params: list[Any], order_by: str = "id", limit: int | None = None
) -> list[Recording]:
    """The recordings matching `where` (SQL with `?` placeholders), in `order_by` order."""
    sql = f"SELECT * FROM recordings WHERE {where} ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with store.read() as db:
        cursor = db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [Recording.from_row(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def _one(store: BotStore, where: str, params: list[Any]) -> Recording | None:
    found = rows(store, where, params, limit=1)
    return found[0] if found else None


def get(store: BotStore, recording_id: int) -> Recording | None:
    return _one(store, "id = ?", [recording_id])


def by_job(store: BotStore, job_id: str) -> Recording | None:
    return _one(store, "job_id = ?", [job_id])


def source_seen(store: BotStore, team_id: str, channel_id: str, source: str) -> bool:
    """Whether any message in this channel already brought this file or URL (cheap pre-check for twins)."""
    with store.read() as db:
        return bool(
            db.execute(
                "SELECT 1 FROM recordings WHERE team_id = ? AND channel_id = ? AND source = ? LIMIT 1",
                [team_id, channel_id, source],
            ).fetchone()
        )


# What the schema gives the columns `record` leaves out (a test compares the result with the stored row).
_NEW_ROW_DEFAULTS: dict[str, Any] = dict.fromkeys(_FIELDS) | {"attempts": 0, "polls": 0}


@functools.cache
def _insert_sql(columns: tuple[str, ...]) -> str:
    """Built once: `record` runs before every ack."""
    return (
        f"INSERT INTO recordings ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )


def record(
    store: BotStore,
    *,
    team_id: str,
    channel_id: str,
    source: str,
    message_ts: str,
    thread_ts: str | None = None,
    user_id: str | None = None,
    kind: str = "file",
    name: str | None = None,
    download_url: str | None = None,
    mimetype: str | None = None,
    size: int | None = None,
    duration_ms: int | None = None,
    append_to: str | None = None,
    now: float | None = None,
) -> tuple[Recording, bool]:
    """Insert a queued recording unless its key exists. Returns (row, created)."""
    now = time.time() if now is None else now
    values = {
        "team_id": team_id,
        "channel_id": channel_id,
        "source": source,
        "message_ts": message_ts,
        "thread_ts": thread_ts or message_ts,
        "user_id": user_id,
        "kind": kind,
        "name": clip_name(name),
        "download_url": download_url,
        "mimetype": mimetype,
        "size": size,
        "duration_ms": duration_ms,
        "state": State.QUEUED.value,
        "next_poll_at": now,
        "created_at": now,
        "updated_at": now,
        "append_to": append_to,
    }
    # On the ack path, so one autocommitted statement and nothing read back: under concurrent requests each
    # statement (and BEGIN, COMMIT, each row fetched) hands the interpreter lock to another thread and waits
    # to get it back. The new row is the values written plus the columns' defaults.
    inserted = store.write_one(_insert_sql(tuple(values)), list(values.values()))
    if inserted:
        return Recording(**{**_NEW_ROW_DEFAULTS, **values, "id": inserted[0][0]}), True
    # Already recorded (a redelivery).
    existing = _one(
        store,
        "team_id = ? AND channel_id = ? AND source = ? AND message_ts = ?",
        [team_id, channel_id, source, message_ts],
    )
    assert existing is not None  # the key the INSERT conflicted on
    return existing, False


def clip_name(name: str | None) -> str | None:
    return name if name is None or len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def due(store: BotStore, now: float, limit: int = 100) -> list[int]:
    """Ids of active rows whose `next_poll_at` has come, oldest first (served by the recordings_due index)."""
    with store.read() as db:
        rows = db.execute(
            f"SELECT id FROM recordings WHERE state IN ({_ACTIVE_SQL}) AND next_poll_at <= ? "
            "ORDER BY next_poll_at LIMIT ?",
            [now, limit],
        ).fetchall()
    return [r[0] for r in rows]


def resume_all(store: BotStore, now: float | None = None) -> int:
    """Make every active row due now (on start-up: whatever was in flight when the process died resumes)."""
    now = time.time() if now is None else now
    with store.tx() as db:
        return db.execute(
            f"UPDATE recordings SET next_poll_at = ? WHERE state IN ({_ACTIVE_SQL}) AND next_poll_at > ?",
            [now, now],
        ).rowcount


def poll_now(store: BotStore, recording_id: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with store.tx() as db:
        db.execute(
            f"UPDATE recordings SET next_poll_at = ? WHERE id = ? AND state IN ({_ACTIVE_SQL})",
            [now, recording_id],
        )


def _update(
    store: BotStore, recording_id: int, values: dict[str, Any], *, only_from: tuple[State, ...] = ()
) -> bool:
    values = {**values, "updated_at": time.time()}
    sets = ", ".join(f"{k} = ?" for k in values)
    params = [v.value if isinstance(v, State) else v for v in values.values()]
    where = "id = ?"
    if only_from:
        where += " AND state IN (" + ", ".join(f"'{s.value}'" for s in only_from) + ")"
    with store.tx() as db:
        hold(db)
        return (
            db.execute(f"UPDATE recordings SET {sets} WHERE {where}", [*params, recording_id]).rowcount == 1
        )


def set_status_message(store: BotStore, recording_id: int, ts: str, stage: str) -> None:
    _update(store, recording_id, {"status_ts": ts, "status_stage": stage})


def start_status(store: BotStore, recording_id: int, now: float | None = None) -> None:
    """Note that the status message is about to be posted: a retry after this searches the thread first."""
    now = time.time() if now is None else now
    with store.tx() as db:
        hold(db)
        db.execute(
            "UPDATE recordings SET status_started_at = COALESCE(status_started_at, ?) WHERE id = ?",
            [now, recording_id],
        )


def set_status_stage(store: BotStore, recording_id: int, stage: str) -> None:
    _update(store, recording_id, {"status_stage": stage})


def mark_submitted(
    store: BotStore, recording_id: int, conversation_id: str, job_id: str, next_poll_at: float
) -> bool:
    return _update(
        store,
        recording_id,
        {
            "state": State.SUBMITTED,
            "conversation_id": conversation_id,
            "job_id": job_id,
            "next_poll_at": next_poll_at,
            "attempts": 0,
            "polls": 0,
            "error": None,
        },
        only_from=(State.QUEUED,),
    )


def mark_processing(store: BotStore, recording_id: int, next_poll_at: float, polls: int) -> bool:
    return _update(
        store,
        recording_id,
        {
            "state": State.PROCESSING,
            "next_poll_at": next_poll_at,
            "polls": polls,
            "attempts": 0,
            "error": None,
        },
        only_from=(State.SUBMITTED, State.PROCESSING),
    )


def reschedule(store: BotStore, recording_id: int, next_poll_at: float, polls: int) -> None:
    """Nothing changed at the provider: look again later."""
    _update(store, recording_id, {"next_poll_at": next_poll_at, "polls": polls, "attempts": 0, "error": None})


def mark_completed(
    store: BotStore, rec: Recording, insights: dict[str, Any], now: float | None = None
) -> bool:
    """Cache the conversation's insights and move the row to `completed`, in one transaction."""
    now = time.time() if now is None else now
    with store.tx() as db:
        hold(db)
        db.execute(
            """
            INSERT INTO conversations (conversation_id, recording_id, team_id, channel_id, name, insights,
                fetched_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (conversation_id) DO UPDATE SET insights = excluded.insights,
                fetched_at = excluded.fetched_at
            """,
            [rec.conversation_id, rec.id, rec.team_id, rec.channel_id, rec.name, json.dumps(insights), now],
        )
        return (
            db.execute(
                "UPDATE recordings SET state = ?, next_poll_at = ?, attempts = 0, error = NULL, updated_at = "
                "? "
                "WHERE id = ? AND state IN (?, ?)",
                [State.COMPLETED.value, now, now, rec.id, State.SUBMITTED.value, State.PROCESSING.value],
            ).rowcount
            == 1
        )


def replace_insights(
    store: BotStore, conversation_id: str, insights: dict[str, Any], now: float | None = None
) -> bool:
    """The conversation's insights as the provider answers them after an edit (a speaker renamed); False when
    the conversation is not cached (forgotten meanwhile). `fetched_at` moves on, so search re-indexes it."""
    now = time.time() if now is None else now
    with store.tx() as db:
        return (
            db.execute(
                "UPDATE conversations SET insights = ?, fetched_at = ? WHERE conversation_id = ?",
                [json.dumps(insights), now, conversation_id],
            ).rowcount
            == 1
        )


def insights_for(store: BotStore, conversation_id: str) -> dict[str, Any] | None:
    with store.read() as db:
        row = db.execute(
            "SELECT insights FROM conversations WHERE conversation_id = ?", [conversation_id]
        ).fetchone()
    return json.loads(row[0]) if row else None


def start_summary(store: BotStore, recording_id: int, now: float | None = None) -> None:
    """Note that a summary post is about to go out: a restart after this point searches the thread first."""
    now = time.time() if now is None else now
    with store.tx() as db:
        hold(db)
        db.execute(
            "UPDATE recordings SET summary_started_at = COALESCE(summary_started_at, ?) WHERE id = ?",
            [now, recording_id],
        )


def mark_posted(store: BotStore, recording_id: int, summary_ts: str) -> bool:
    """The summary is in Slack: store its ts and finish the row in the same transaction."""
    return _update(
        store,
        recording_id,
        {"state": State.POSTED, "summary_ts": summary_ts, "next_poll_at": None, "error": None},
        only_from=(State.COMPLETED,),
    )


def mark_failed(store: BotStore, recording_id: int, error: str) -> bool:
    return _update(
        store,
        recording_id,
        {"state": State.FAILED, "error": error, "next_poll_at": None},
        only_from=ACTIVE_STATES,
    )


def retry_later(store: BotStore, recording_id: int, error: str, next_poll_at: float) -> int:
    """A transient error: keep the row, count the attempt, try again at `next_poll_at`. Returns attempts."""
    with store.tx() as db:
        hold(db)
        db.execute(
            "UPDATE recordings SET attempts = attempts + 1, error = ?, next_poll_at = ?, updated_at = ? "
            "WHERE id = ?",
            [error, next_poll_at, time.time(), recording_id],
        )
        row = db.execute("SELECT attempts FROM recordings WHERE id = ?", [recording_id]).fetchone()
    return int(row[0]) if row else 0
