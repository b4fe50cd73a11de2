"""Files an event named but did not describe, noted before the event is acknowledged.

A `file_shared` event (or a Slack Connect `check_file_info` stub) needs files.info before it can become a
recording, and files.info must not run before the ack (it may be rate limited: Slack would deliver again). The
note is written before the ack; the listener resolves it right after; the scheduler resolves what a crash in
between left behind. So an acknowledged event is never lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.backend import BotStore

COLUMNS = "team_id, channel_id, file_id, message_ts, thread_ts, user_id, created_at"  # PendingFile's fields


@dataclass(frozen=True)
class PendingFile:
    team_id: str
    channel_id: str
    file_id: str
    message_ts: str | None
    thread_ts: str | None
    user_id: str | None
    created_at: float


def note(
    store: BotStore,
    *,
    team_id: str,
    channel_id: str,
    file_id: str,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    user_id: str | None = None,
    now: float | None = None,
) -> PendingFile:
    now = time.time() if now is None else now
    with store.tx() as db:
        db.execute(
            "INSERT INTO pending_files (team_id, channel_id, file_id, message_ts, thread_ts, "
            "user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [team_id, channel_id, file_id, message_ts, thread_ts, user_id, now],
        )
    return PendingFile(team_id, channel_id, file_id, message_ts, thread_ts, user_id, now)


def done(store: BotStore, pending: PendingFile) -> None:
    with store.tx() as db:
        db.execute(
            "DELETE FROM pending_files WHERE team_id = ? AND channel_id = ? AND file_id = ?",
            [pending.team_id, pending.channel_id, pending.file_id],
        )


def older_than(store: BotStore, cutoff: float, limit: int = 100) -> list[PendingFile]:
    with store.read() as db:
        rows = db.execute(
            f"SELECT {COLUMNS} FROM pending_files WHERE created_at < ? ORDER BY created_at LIMIT ?",
            [cutoff, limit],
        ).fetchall()
    return [PendingFile(*row) for row in rows]


def get(store: BotStore, team_id: str, channel_id: str, file_id: str) -> PendingFile | None:
    with store.read() as db:
        row = db.execute(
            f"SELECT {COLUMNS} FROM pending_files WHERE team_id = ? AND channel_id = ? AND file_id = ?",
            [team_id, channel_id, file_id],
        ).fetchone()
    return PendingFile(*row) if row else None
