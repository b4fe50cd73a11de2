"""Operator queries: list recordings, retry a failed one, purge old finished rows, expire stored transcripts.

Each change is one transaction, like the pipeline's own state changes, so they are safe while the bot runs:
a retried row is simply due again and the owning process's next tick picks it up.
"""

from __future__ import annotations

import time
from typing import Any

from storage import recordings
from storage.backend import BotStore
from storage.recordings import ACTIVE_STATES, Recording, State

FINISHED_STATES = (State.POSTED, State.FAILED)
_FINISHED_SQL = ", ".join(f"'{s.value}'" for s in FINISHED_STATES)


def list_recordings(
    store: BotStore, *, state: str | None = None, team_id: str | None = None, limit: int = 50
) -> list[Recording]:
    """Newest first; optionally one state or one team."""
    where, params = [], []
    if state:
        where.append("state = ?")
        params.append(state)
    if team_id:
        where.append("team_id = ?")
        params.append(team_id)
    return recordings.rows(store, " AND ".join(where) or "1 = 1", params, "id DESC", limit)


def counts_by_state(store: BotStore) -> dict[str, int]:
    with store.read() as db:
        return dict(db.execute("SELECT state, count(*) FROM recordings GROUP BY state"))


def retry(store: BotStore, recording_id: int, now: float | None = None) -> bool:
    """A failed row goes back to `queued`, due now, with a clean error and attempt count.

    It is submitted again from the start (a failed job's provider state is not reused); a summary part
    already in the thread is still found by its metadata, so nothing is posted twice.
    """
    now = time.time() if now is None else now
    with store.tx() as db:
        return (
            db.execute(
                "UPDATE recordings SET state = ?, next_poll_at = ?, attempts = 0, polls = 0, error = NULL, "
                "job_id = NULL, status_stage = NULL, updated_at = ? WHERE id = ? AND state = ?",
                [State.QUEUED.value, now, now, recording_id, State.FAILED.value],
            ).rowcount
            == 1
        )


def purge_finished(store: BotStore, older_than_days: float, now: float | None = None) -> int:
    """Delete posted and failed rows last changed more than `older_than_days` ago. Returns how many.

    Active rows are never touched. Slack stops redelivering an event after minutes, so a purged row's
    message cannot come back as a new recording.
    """
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    with store.tx() as db:
        return db.execute(
            f"DELETE FROM recordings WHERE state IN ({_FINISHED_SQL}) AND updated_at < ?", [cutoff]
        ).rowcount


def expired_conversations(
    store: BotStore, older_than_days: float, now: float | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Cached conversations fetched more than `older_than_days` ago (retention)."""
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    with store.read() as db:
        cursor = db.execute(
            "SELECT conversation_id, team_id, channel_id FROM conversations WHERE fetched_at < ? "
            "ORDER BY fetched_at LIMIT ?",
            [cutoff, limit],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def forget_conversation(store: BotStore, conversation_id: str) -> int:
    """Delete everything stored about a conversation: every table with a `conversation_id` column except
    `recordings` (the job row stays, so the recording is not processed again). Returns rows deleted.

    Generic on purpose: tables added later (search indexes, action-item state) are covered without edits.
    """
    deleted = 0
    with store.tx() as db:
        for table in store.tables_with_column("conversation_id"):
            if table != "recordings":
                deleted += db.execute(
                    f'DELETE FROM "{table}" WHERE conversation_id = ?', [conversation_id]
                ).rowcount
    return deleted


def active_count(store: BotStore) -> int:
    states = ", ".join(f"'{s.value}'" for s in ACTIVE_STATES)
    with store.read() as db:
        return int(db.execute(f"SELECT count(*) FROM recordings WHERE state IN ({states})").fetchone()[0])
